// A spec-kit run in the panel (shared/speckit.ts folded by the reducer, its card in cards.ts):
// the events of docs/protocol.md's spec-kit section, in the order a /speckit.auto run sends them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { ChatBridge } from "../src/host/bridge";
import type { Server } from "../src/host/requests";
import { renderCard, speckitAnswerOf, type CardContext } from "../src/webview/cards";
import { emptyState, reduce, type ChatState, type Entry } from "../src/shared/state";
import type { EventMsg } from "../src/shared/generated";
import { RecordingHost } from "./host";

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
  // the clarify gate's agents, before the plan stage
  { ...base, type: "speckitStageStarted", stage: "clarify", agents: ["gemini"], arbiter: null, mode: "sequential" },
  { ...base, type: "speckitAgentAnswered", stage: "clarify", agent: "gemini", attempt: 1, ok: true, costUsd: 0.01 },
  { ...base, type: "speckitStageCompleted", stage: "clarify", status: "ok", files: [], message: "Clarify: ok" },
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
    questions: [
      {
        issueId: "CLR-009",
        question: "Which identity provider does sign-in use?",
        magnitude: "critical",
        options: ["Okta", "Auth0"],
        file: "docs/SPEC-KIT-071-login/spec.md",
        line: 12,
      },
      { issueId: "CLR-010", question: "Is a session 30 or 60 minutes?", magnitude: "important", options: ["30"] },
    ],
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

test("a gate holding the run: the plan stage waits, the rest pending, each question with its answers", () => {
  const { entry, html } = card(fed(gateHeld));
  assert.deepEqual(
    entry.run.stages.map((s) => [s.name, s.status]),
    [
      ["plan", "waiting"],
      ["clarify", "ok"],
    ],
  );
  const shown = text(html);
  assert.match(shown, /\/speckit\.auto SPEC-KIT-071: 0 of 6 stage\(s\) done/);
  // the gate's agents come before the stage it holds, and are not one of the six stages
  assert.match(shown, /clarify \(quality gate before plan\) ok gemini answered · \$0\.01 ⚠ plan waiting for an answer/);
  for (const stage of ["tasks", "implement", "validate", "audit", "unlock"])
    assert.match(shown, new RegExp(`${stage} pending`));
  assert.match(shown, /Gate before-plan: 2 question\(s\), 1 holding the run/);
  assert.match(shown, /Fixed automatically: CLR-001/);
  assert.match(shown, /CLR-009 needs an answer/);
  // the question's text, then one button per suggested answer and a box for the user's own words
  assert.match(
    shown,
    /CLR-009 critical \(holds the run\): Which identity provider does sign-in use\? Okta Auth0 Answer/,
  );
  assert.match(shown, /CLR-010 important: Is a session 30 or 60 minutes\? 30 Answer/);
  const data = 'data-run="4f1c2a9b0d3e5f67" data-checkpoint="before-plan" data-issue="CLR-009"';
  for (const option of ["Okta", "Auth0"])
    assert.ok(
      html.includes(
        `<button data-action="speckitAnswer" ${data} data-answer="${option}" aria-label="Answer CLR-009: ${option}">${option}</button>`,
      ),
      option,
    );
  assert.equal(html.match(/data-action="speckitAnswer" [^>]*data-issue="CLR-010"/g)?.length, 1);
  assert.ok(
    html.includes(
      `<input type="text" class="speckit-answer-text" ${data} maxlength="2000" placeholder="Answer…" aria-label="Your answer to CLR-009">`,
    ),
  );
  assert.ok(
    html.includes(
      `<button data-action="speckitAnswerText" ${data} aria-label="Send your answer to CLR-009">Answer</button>`,
    ),
  );
  assert.match(html, /role="status"/, "a run waiting for the user is announced");
  assert.match(html, /role="group" aria-label="Quality gate before-plan"/);
});

test("what an answer control sends: its suggested answer, or the words typed in the box", () => {
  const data = { run: RUN, checkpoint: "before-plan", issue: "CLR-009" };
  const target = { type: "speckitAnswer", runId: RUN, checkpoint: "before-plan", issueId: "CLR-009" } as const;
  assert.deepEqual(speckitAnswerOf({ ...data, action: "speckitAnswer", answer: "Auth0" }), {
    ...target,
    answer: "Auth0",
  });
  assert.deepEqual(speckitAnswerOf({ ...data, action: "speckitAnswerText" }, "  Keycloak, self-hosted \n"), {
    ...target,
    answer: "Keycloak, self-hosted",
  });
  // an empty box sends nothing (the box gets the focus); incomplete data sends nothing
  assert.equal(speckitAnswerOf({ ...data, action: "speckitAnswerText" }, "   "), undefined);
  assert.equal(speckitAnswerOf({ ...data, action: "speckitAnswerText" }), undefined);
  assert.equal(speckitAnswerOf({ run: RUN, issue: "CLR-009", action: "speckitAnswer", answer: "Okta" }), undefined);
});

/** A server that records what the bridge sends and answers codex-lsp.speckit.answer as codex-lsp does. */
function answeringServer(sent: unknown[]): Server {
  return {
    request: (method, params) => {
      sent.push({ method, params });
      const args = (params as { arguments: string[] }).arguments;
      return Promise.resolve({ answered: true, issueId: args[2], answer: args[3], resumed: false });
    },
  };
}

test("an answer typed in the panel goes to codex-lsp.speckit.answer; the card shows it, its buttons gone", async () => {
  const sent: unknown[] = [];
  const host = new RecordingHost(tmpdir());
  const bridge = new ChatBridge(answeringServer(sent), host);
  gateHeld.forEach((msg) => bridge.receive({ conversationId: "c", submissionId: "s", msg }));
  await bridge.handle({
    type: "speckitAnswer",
    runId: RUN,
    checkpoint: "before-plan",
    issueId: "CLR-009",
    answer: "Keycloak, self-hosted",
  });
  assert.deepEqual(sent, [
    {
      method: "workspace/executeCommand",
      params: {
        command: "codex-lsp.speckit.answer",
        arguments: [RUN, "before-plan", "CLR-009", "Keycloak, self-hosted"],
      },
    },
  ]);
  assert.deepEqual(host.warnings, []);
  const { html } = card(bridge.state);
  const shown = text(html);
  assert.match(shown, /CLR-009 critical: Which identity provider does sign-in use\? — answered: Keycloak, self-hosted/);
  assert.match(shown, /Gate before-plan: 2 question\(s\), 1 answered/);
  assert.doesNotMatch(shown, /holding the run/);
  assert.doesNotMatch(html, /data-issue="CLR-009" data-answer|speckitAnswerText" [^>]*data-issue="CLR-009"/);
  assert.match(html, /data-action="speckitAnswerText" [^>]*data-issue="CLR-010"/, "the other question stays open");
  // without an answer (a client with no box) the server asks; the card shows what was chosen
  await bridge.handle({ type: "speckitAnswer", runId: RUN, checkpoint: "before-plan", issueId: "CLR-010" });
  assert.deepEqual((sent[1] as { params: unknown }).params, {
    command: "codex-lsp.speckit.answer",
    arguments: [RUN, "before-plan", "CLR-010"],
  });
});

test("a critical question answered elsewhere (the Problems view): the run goes on, the card says answered", () => {
  const { html } = card(
    fed([
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
    ]),
  );
  const shown = text(html);
  assert.match(shown, /CLR-009 critical: Which identity provider does sign-in use\? — answered/);
  assert.match(shown, /CLR-010 important: Is a session 30 or 60 minutes\? 30 Answer/);
  assert.doesNotMatch(html, /data-issue="CLR-009" data-answer/);
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
      ["clarify", "ok"],
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
  const asked = card(
    fed([
      {
        ...base,
        type: "speckitGate",
        stage: "plan",
        runId: RUN,
        checkpoint: "before-plan",
        gate: "clarify",
        asked: ["Q<1>"],
        questions: [
          { issueId: "Q<1>", question: "<script>x()</script>?", magnitude: "minor", options: ['"><img src=y>'] },
        ],
      },
    ]),
  ).html;
  assert.doesNotMatch(asked, /<script>|<img|data-answer=""/);
  assert.match(asked, /data-answer="&quot;&gt;&lt;img src=y&gt;"/);
});
