// A spec-kit run in the panel (shared/speckit.ts folded by the reducer, its card in cards.ts):
// the events of docs/protocol.md's spec-kit section, in the order a /speckit.auto run sends them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderCard, type CardContext } from "../src/webview/cards";
import { emptyState, reduce, type ChatState, type Entry } from "../src/shared/state";
import type { EventMsg } from "../src/shared/generated";

const ctx: CardContext = { conversationId: "c", markdown: (t) => t, open: (_k, fallback) => fallback };
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();

const SPEC = "SPEC-KIT-071";
const RUN = "4f1c2a9b0d3e5f67";
const base = { specId: SPEC } as const;

function fed(messages: EventMsg[], state: ChatState = emptyState): ChatState {
  return messages.reduce((s, msg) => reduce(s, { conversationId: "c", submissionId: "s", msg }), state);
}

function card(state: ChatState): { entry: Extract<Entry, { kind: "speckit" }>; html: string } {
  const entry = state.conversations.c.entries.find((e) => e.kind === "speckit");
  assert.ok(entry?.kind === "speckit", "a spec-kit card");
  return { entry, html: renderCard(ctx, entry) };
}

const gateHeld: EventMsg[] = [
  { ...base, type: "speckitAutoProgress", stage: "plan", runId: RUN, stageNumber: 1, stageCount: 6, state: "running" },
  {
    ...base,
    type: "speckitGate",
    stage: "plan",
    runId: RUN,
    checkpoint: "before-plan",
    gate: "clarify",
    autoFixed: ["CLR-001"],
    asked: ["CLR-009", "CLR-010"],
    critical: ["CLR-009"],
  },
  {
    ...base,
    type: "speckitAutoProgress",
    stage: "plan",
    runId: RUN,
    stageNumber: 1,
    stageCount: 6,
    state: "waiting",
    reason: "CLR-009 needs an answer",
  },
];

test("a gate holding the run: the plan stage waits, the rest pending, an Answer button per question", () => {
  const { entry, html } = card(fed(gateHeld));
  assert.deepEqual(
    entry.run.stages.map((s) => [s.name, s.status]),
    [["plan", "waiting"]],
  );
  const shown = text(html);
  assert.match(shown, /\/speckit\.auto SPEC-KIT-071: 0 of 6 stage\(s\) done/);
  assert.match(shown, /plan waiting for an answer/);
  for (const stage of ["tasks", "implement", "validate", "audit", "unlock"])
    assert.match(shown, new RegExp(`${stage} pending`));
  assert.match(shown, /Gate before-plan: 2 question\(s\), 1 holding the run/);
  assert.match(shown, /Fixed automatically: CLR-001/);
  assert.match(shown, /CLR-009 needs an answer/);
  assert.match(
    html,
    /<button data-action="speckitAnswer" data-run="4f1c2a9b0d3e5f67" data-checkpoint="before-plan" data-issue="CLR-009" aria-label="Answer CLR-009 \(holds the run\)">/,
  );
  assert.match(html, /data-issue="CLR-010" aria-label="Answer CLR-010"/);
  assert.match(html, /role="status"/, "a run waiting for the user is announced");
  assert.match(html, /role="group" aria-label="Quality gate before-plan"/);
});

test("agents, retries and the cost meter as the stage runs, then consensus states per stage", () => {
  const running = fed([
    ...gateHeld,
    {
      ...base,
      type: "speckitAutoProgress",
      stage: "plan",
      runId: RUN,
      stageNumber: 1,
      stageCount: 6,
      state: "running",
    },
    {
      ...base,
      type: "speckitStageStarted",
      stage: "plan",
      agents: ["gemini", "claude"],
      arbiter: null,
      mode: "sequential",
    },
    { ...base, type: "speckitAgentStarted", stage: "plan", agent: "gemini", model: "m", role: "agent", attempt: 1 },
    { ...base, type: "speckitAgentAnswered", stage: "plan", agent: "gemini", attempt: 1, ok: true, costUsd: 0.02 },
    { ...base, type: "speckitAgentStarted", stage: "plan", agent: "claude", model: "m", role: "agent", attempt: 1 },
    { ...base, type: "speckitAgentAnswered", stage: "plan", agent: "claude", attempt: 1, ok: false, costUsd: 0.01 },
    {
      ...base,
      type: "speckitAgentRetry",
      stage: "plan",
      agent: "claude",
      attempt: 2,
      maxAttempts: 3,
      reason: "the reply contained no JSON object",
      guidance: "…",
    },
    {
      ...base,
      type: "speckitCost",
      stage: "plan",
      totalSpent: 0.08,
      budget: 0.1,
      utilization: 0.8,
      alert: "warning",
    },
  ]);
  const { entry, html } = card(running);
  const plan = entry.run.stages[0];
  assert.equal(plan.status, "running");
  assert.equal(plan.retries, 1);
  const shown = text(html);
  assert.match(shown, /plan running 1 retry/);
  assert.match(shown, /gemini answered · \$0\.02/);
  assert.match(shown, /claude asking again \(attempt 2 of 3\): the reply contained no JSON object · \$0\.01/);
  assert.match(shown, /\$0\.08 of \$0\.10 \(budget warning\)/);
  assert.match(
    html,
    /<meter min="0" max="0.1"[^>]* value="0.08" aria-label="Spent of the budget" aria-valuetext="\$0.08 of \$0.10">/,
  );
  assert.match(html, /aria-busy="true"/);

  const ended = fed(
    [
      {
        ...base,
        type: "speckitStageCompleted",
        stage: "plan",
        status: "degraded",
        files: [],
        message: "Plan: degraded",
      },
      { ...base, type: "speckitStageStarted", stage: "tasks", agents: ["gemini"], arbiter: null, mode: "sequential" },
      {
        ...base,
        type: "speckitStageCompleted",
        stage: "tasks",
        status: "conflict",
        files: [],
        message: "Tasks: conflict",
      },
    ],
    running,
  );
  assert.deepEqual(
    card(ended).entry.run.stages.map((s) => [s.name, s.status]),
    [
      ["plan", "degraded"],
      ["tasks", "conflict"],
    ],
  );
  assert.match(text(card(ended).html), /plan degraded .* tasks conflict .* implement pending/);
});

test("a completed run: every stage ok, no Answer buttons left", () => {
  const stages = ["plan", "tasks", "implement", "validate", "audit", "unlock"];
  const done = fed([
    ...gateHeld,
    ...stages.map((stage): EventMsg => ({
      ...base,
      type: "speckitStageCompleted",
      stage,
      status: "ok",
      files: [],
      message: "ok",
    })),
    {
      ...base,
      type: "speckitAutoProgress",
      stage: "unlock",
      runId: RUN,
      stageNumber: 6,
      stageCount: 6,
      state: "completed",
    },
  ]);
  const { html } = card(done);
  assert.match(text(html), /\/speckit\.auto SPEC-KIT-071: 6 of 6 stage\(s\) done completed/);
  assert.doesNotMatch(html, /data-action="speckitAnswer"/);
  assert.match(html, /class="card card-speckit is-ok"/);
});

test("what an agent or the SPEC sent is escaped, never markup", () => {
  const { html } = card(
    fed([
      {
        specId: "<b>S</b>",
        type: "speckitStageStarted",
        stage: "<i>plan</i>",
        agents: ["<img src=x>"],
        arbiter: null,
        mode: "m",
      },
    ]),
  );
  assert.doesNotMatch(html, /<b>S|<i>plan|<img/);
  assert.match(html, /&lt;img src=x&gt;/);
});
