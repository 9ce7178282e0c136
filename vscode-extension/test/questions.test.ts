// The quick-pick flow of request_user_input: options picked, "Other…" typed, a dismissal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { askQuestions, OTHER, type QuestionUi } from "../src/host/questions";
import type { RequestUserInputParams } from "../src/shared/generated";

const PARAMS: RequestUserInputParams = {
  conversationId: "c1",
  type: "requestUserInput",
  turnId: "turn-1",
  itemId: "item-1",
  callId: "call-1",
  questions: [
    {
      id: "db",
      header: "Database",
      question: "Which database?",
      options: [
        { label: "SQLite", description: "one file" },
        { label: "Postgres", description: "" },
      ],
      isOther: true,
    },
    { id: "orm", header: "", question: "Which ORM?", options: [{ label: "None", description: "" }], isOther: true },
  ],
};

function scripted(picks: (string | undefined)[], typed: string | undefined): QuestionUi & { titles: string[] } {
  const titles: string[] = [];
  return {
    titles,
    pick: (items, title) => {
      titles.push(`${title} [${items.map((i) => i.label).join("|")}]`);
      return Promise.resolve(picks.shift());
    },
    type: () => Promise.resolve(typed),
  };
}

test("each question is a quick pick; Other… is typed", async () => {
  const ui = scripted(["Postgres", OTHER], "raw SQL");
  const result = await askQuestions(PARAMS, ui);
  assert.deepEqual(result, { answers: { db: { answers: ["Postgres"] }, orm: { answers: ["raw SQL"] } } });
  assert.deepEqual(ui.titles, ["Database: Which database? [SQLite|Postgres|Other…]", "Which ORM? [None|Other…]"]);
});

test("a dismissed question answers nothing", async () => {
  assert.deepEqual(await askQuestions(PARAMS, scripted(["SQLite", undefined], undefined)), { answers: {} });
  assert.deepEqual(await askQuestions(PARAMS, scripted([OTHER], "")), { answers: {} });
});
