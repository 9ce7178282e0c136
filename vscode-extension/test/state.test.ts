// The transcript reducer fed with an event stream recorded from a real codex-lsp run
// (`codex-lsp exec --json` against the scripted model server: a plan, a command, a patch, an answer).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  answered,
  applyDelta,
  closed,
  decisions,
  emptyState,
  forked,
  opened,
  overridden,
  panelDelta,
  panelStatus,
  panelView,
  queued,
  reduce,
  replayed,
  terminalsListed,
  undoable,
  withUndoable,
  type ChatState,
} from "../src/shared/state";
import type { Event } from "../src/shared/generated";

function recorded(): Event[] {
  const text = readFileSync(join(__dirname, "..", "test", "fixtures", "turn.jsonl"), "utf8");
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Event);
}

function replay(events: Event[]): ChatState {
  return events.reduce(reduce, emptyState);
}

test("a recorded turn becomes a transcript", () => {
  const events = recorded();
  const state = replay(events);
  const conversation = state.conversations[events[0].conversationId];
  assert.equal(conversation.model, "fake-model");
  assert.equal(conversation.running, false);
  const kinds = conversation.entries.map((e) => e.kind);
  assert.deepEqual(kinds, ["user", "reasoning", "plan", "command", "patch", "agent"]);
  const [user, , plan, command, patch, agent] = conversation.entries;
  assert.equal(user.kind === "user" && user.text, "set x to 2");
  assert.ok(plan.kind === "plan" && plan.plan.length === 2);
  assert.ok(command.kind === "command" && command.exitCode === 0 && command.output.includes("x = 1"));
  assert.ok(patch.kind === "patch" && patch.success === true && "app.py" in patch.changes);
  assert.ok(agent.kind === "agent" && agent.done && agent.text === "Set `x` to **2** in app.py.");
  assert.ok((conversation.totalTokens ?? 0) > 0);
});

test("streamed deltas build the message before it completes", () => {
  const events = recorded();
  const firstDelta = events.findIndex((e) => e.msg.type === "agentMessageDelta");
  const lastDelta = events.map((e) => e.msg.type).lastIndexOf("agentMessageDelta");
  const midway = replay(events.slice(0, lastDelta + 1));
  const agent = midway.conversations[events[0].conversationId].entries.find((e) => e.kind === "agent");
  assert.ok(firstDelta >= 0 && agent && agent.kind === "agent");
  assert.equal(agent.done, false);
  assert.equal(agent.text, "Set `x` to **2** in app.py.");
});

test("approvals are pending until answered, and patches offer no 'always'", () => {
  const id = "c1";
  let state = reduce(emptyState, {
    conversationId: id,
    submissionId: "s",
    msg: {
      type: "execApprovalRequest",
      turnId: "t",
      itemId: "i",
      callId: "call-1",
      command: ["rm", "-rf", "build"],
      cwd: "/w",
      reason: "clean",
      parsedCmd: [],
    },
  });
  const [approval] = state.conversations[id].approvals;
  assert.equal(approval.what, "rm -rf build");
  assert.deepEqual(
    decisions(approval).map((d) => d.decision),
    ["approved", "approvedForSession", "approvedAlways", "denied", "abort"],
  );
  assert.equal(decisions({ ...approval, kind: "patch" }).length, 4);
  state = answered(state, id, "call-1");
  assert.equal(state.conversations[id].approvals.length, 0);
});

test("a resumed conversation is rebuilt from its stored events", () => {
  const events = recorded();
  const id = events[0].conversationId;
  const stored = events.filter((e) => !e.msg.type.endsWith("Delta")).map((e) => e.msg);
  const state = replayed(emptyState, id, stored);
  assert.equal(state.active, id);
  const kinds = state.conversations[id].entries.map((e) => e.kind);
  assert.deepEqual(kinds, ["user", "reasoning", "plan", "command", "patch", "agent"]);
});

test("an undo is reported in the transcript", () => {
  const state = reduce(emptyState, {
    conversationId: "c",
    submissionId: "s",
    msg: {
      type: "undoCompleted",
      turnId: "t9",
      success: true,
      message: "ok",
      restoredFiles: ["app.py"],
      skippedFiles: [],
    },
  });
  const [notice] = state.conversations.c.entries;
  assert.ok(notice.kind === "notice" && notice.text === "Undo done: restored app.py.");
});

test("tabs: a new conversation opens a tab, closing one activates its neighbour, news reopens it", () => {
  const say = (conversationId: string, turnId: string, message: string): Event => ({
    conversationId,
    submissionId: "s",
    msg: { type: "userMessage", turnId, itemId: `i-${turnId}`, message, images: [], localImages: [], mentions: [] },
  });
  let state = reduce(reduce(emptyState, say("a", "t1", "first question\nwith details")), say("b", "t2", "second"));
  assert.deepEqual(state.tabs, ["a", "b"]);
  assert.equal(state.conversations.a.title, "first question");
  state = opened(state, "b");
  state = closed(state, "b");
  assert.deepEqual(state.tabs, ["a"]);
  assert.equal(state.active, "a");
  state = reduce(state, say("b", "t3", "more"));
  assert.deepEqual(state.tabs, ["a", "b"]);
});

test("undo and fork per turn: which turns can be undone, and a fork keeps the turns up to its point", () => {
  const events = recorded();
  const id = events[0].conversationId;
  let state = replay(events);
  const [turn] = state.conversations[id].turns;
  assert.ok(turn.changedFiles && undoable(state.conversations[id]).has(turn.id));
  state = forked(state, id, turn.id, "fork-1");
  assert.equal(state.active, "fork-1");
  assert.deepEqual(state.conversations["fork-1"].entries, state.conversations[id].entries);
  assert.equal(undoable(state.conversations["fork-1"]).size, 0, "the fork did not change files itself");
  state = reduce(state, {
    conversationId: id,
    submissionId: "s",
    msg: {
      type: "undoCompleted",
      turnId: "t9",
      success: true,
      message: "ok",
      restoredFiles: ["app.py"],
      skippedFiles: [],
      undoneTurnIds: [turn.id],
    },
  });
  assert.equal(undoable(state.conversations[id]).size, 0);
});

test("undo is offered where the server can undo: the turn's undoable flag, then a resume's undoableTurnIds", () => {
  const events = recorded();
  const id = events[0].conversationId;
  const withoutFlag = events.map((e) =>
    e.msg.type === "taskComplete" ? { ...e, msg: { ...e.msg, undoable: undefined } } : e,
  );
  assert.equal(undoable(replay(withoutFlag).conversations[id]).size, 0, "a patch alone does not offer undo");
  const live = replay(events);
  const [turn] = live.conversations[id].turns;
  assert.ok(undoable(live.conversations[id]).has(turn.id));
  // Resumed from a server whose store has no snapshot of it (or one already undone): no button.
  const messages = events.map((e) => e.msg);
  const gone = withUndoable(replayed(emptyState, id, messages), id, []);
  assert.equal(undoable(gone.conversations[id]).size, 0);
  const kept = withUndoable(replayed(emptyState, id, messages), id, [turn.id]);
  assert.deepEqual([...undoable(kept.conversations[id])], [turn.id]);
});

test("a picker change keeps the other settings, and token counts carry the cost", () => {
  let state = reduce(emptyState, {
    conversationId: "c",
    submissionId: "s",
    msg: {
      type: "sessionConfigured",
      sessionId: "c",
      model: "gpt-5",
      modelProviderId: "openai",
      approvalPolicy: "on-request",
      sandboxPolicy: { type: "read-only" },
      cwd: "/w",
    },
  });
  state = overridden(state, "c", { effort: "high", model: undefined });
  assert.equal(state.conversations.c.model, "gpt-5");
  assert.equal(state.conversations.c.effort, "high");
  const usage = { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, reasoningOutputTokens: 0, totalTokens: 15 };
  state = reduce(state, {
    conversationId: "c",
    submissionId: "s",
    msg: { type: "tokenCount", info: { totalTokenUsage: usage, lastTokenUsage: usage, costUsd: 0.25 } },
  });
  assert.equal(state.conversations.c.costUsd, 0.25);
});

test("a message sent while the turn runs is queued until the model gets it; the status bar sees every tab", () => {
  let state = reduce(emptyState, {
    conversationId: "c",
    submissionId: "s",
    msg: { type: "taskStarted", turnId: "t1" },
  });
  state = reduce(state, {
    conversationId: "d",
    submissionId: "s",
    msg: {
      type: "execApprovalRequest",
      turnId: "t",
      itemId: "i",
      callId: "x",
      command: ["ls"],
      cwd: "/w",
      parsedCmd: [],
    },
  });
  assert.equal(panelStatus(opened(state, "c")), "approval", "an approval in a background tab shows");
  state = queued(state, "c", "also check the docs");
  assert.deepEqual(state.conversations.c.queued, ["also check the docs"]);
  state = reduce(state, {
    conversationId: "c",
    submissionId: "s",
    msg: {
      type: "userMessage",
      turnId: "t1",
      itemId: "u2",
      message: "also check the docs",
      images: [],
      localImages: [],
      mentions: [],
    },
  });
  assert.deepEqual(state.conversations.c.queued, []);
  assert.equal(panelStatus(answered(state, "d", "x")), "working");
});

const on = (conversationId: string, msg: Event["msg"]): Event => ({ conversationId, submissionId: "s", msg });

function run(msgs: Event["msg"][], start: ChatState = emptyState): ChatState {
  return msgs.reduce((s, msg) => reduce(s, on("c", msg)), start);
}

const USER: Event["msg"] = {
  type: "userMessage",
  turnId: "t1",
  itemId: "u1",
  message: "find the TODOs",
  images: [],
  localImages: [],
  mentions: [],
};

test("cards: a search command, a failed command, an MCP call and a plan updated in place", () => {
  const state = run([
    { type: "taskStarted", turnId: "t1", modelContextWindow: 272000 },
    USER,
    {
      type: "execCommandBegin",
      turnId: "t1",
      itemId: "c1",
      callId: "c1",
      command: ["rg", "-n", "TODO", "src"],
      cwd: "/w",
      parsedCmd: [{ type: "search", cmd: "rg -n TODO src", query: "TODO", path: "src" }],
    },
    { type: "execCommandOutputDelta", turnId: "t1", itemId: "c1", callId: "c1", stream: "stdout", chunk: "src/a.py:1" },
    { type: "planUpdate", turnId: "t1", itemId: "p", plan: [{ step: "Find", status: "inProgress" }] },
    {
      type: "execCommandEnd",
      turnId: "t1",
      itemId: "c1",
      callId: "c1",
      command: ["rg", "-n", "TODO", "src"],
      cwd: "/w",
      stdout: "",
      stderr: "",
      aggregatedOutput: "src/a.py:1: # TODO\n",
      exitCode: 1,
      durationMs: 1500,
      formattedOutput: "",
      status: "failed",
    },
    {
      type: "mcpToolCallEnd",
      turnId: "t1",
      itemId: "m",
      callId: "m",
      invocation: { server: "docs", tool: "search", arguments: { q: "x" } },
      durationMs: 120,
      result: { content: [{ type: "text", text: "3 results" }] },
    },
    {
      type: "planUpdate",
      turnId: "t1",
      itemId: "p",
      explanation: "done",
      plan: [
        { step: "Find", status: "completed" },
        { step: "Fix", status: "inProgress" },
      ],
    },
  ]);
  const [, command, plan, mcp] = state.conversations.c.entries;
  assert.deepEqual(
    state.conversations.c.entries.map((e) => e.kind),
    ["user", "command", "plan", "mcp"],
    "the second plan replaced the first where it was",
  );
  assert.ok(command.kind === "command");
  assert.deepEqual(command.parsed, [{ type: "search", cmd: "rg -n TODO src", query: "TODO", path: "src" }]);
  assert.equal(command.output, "src/a.py:1: # TODO\n");
  assert.deepEqual([command.exitCode, command.durationMs, command.status], [1, 1500, "failed"]);
  assert.ok(plan.kind === "plan" && plan.plan.length === 2 && plan.explanation === "done");
  assert.ok(mcp.kind === "mcp" && mcp.durationMs === 120 && mcp.server === "docs");
  assert.equal(state.conversations.c.contextWindow, 272000);
});

test("cards: reasoning streams into one card, paragraph by paragraph", () => {
  const state = run([
    USER,
    { type: "agentReasoningDelta", turnId: "t1", itemId: "r", delta: "Look" },
    { type: "agentReasoningDelta", turnId: "t1", itemId: "r", delta: "ing at it" },
    { type: "agentReasoning", turnId: "t1", itemId: "r", text: "Looking at it." },
    { type: "agentReasoningSectionBreak", turnId: "t1", itemId: "r", summaryIndex: 1 },
    { type: "agentReasoningDelta", turnId: "t1", itemId: "r", delta: "Then" },
  ]);
  const reasoning = state.conversations.c.entries[1];
  assert.ok(reasoning.kind === "reasoning");
  assert.equal(reasoning.text, "Looking at it.\n\nThen");
  assert.equal(reasoning.done, false);
  const done = run([{ type: "agentReasoning", turnId: "t1", itemId: "r", text: "Then fix it." }], state);
  const final = done.conversations.c.entries[1];
  assert.ok(final.kind === "reasoning" && final.done && final.text === "Looking at it.\n\nThen fix it.");
});

test("cards: retries update one notice; an error replaces it and says its kind; a success says it recovered", () => {
  const retry = (attempt: number): Event["msg"] => ({
    type: "streamError",
    message: `HTTP 429; reconnecting ${attempt}/5`,
    codexErrorInfo: "usageLimitExceeded",
    attempt,
    maxAttempts: 5,
    retryInMs: 800,
  });
  let state = run([USER, retry(1), retry(2)]);
  let notices = state.conversations.c.entries.filter((e) => e.kind === "notice");
  assert.equal(notices.length, 1);
  assert.ok(notices[0].kind === "notice" && notices[0].retry?.attempt === 2);
  const failed = run(
    [{ type: "error", message: "HTTP 401: bad key", codexErrorInfo: "unauthorized", turnId: "t1" }],
    state,
  );
  notices = failed.conversations.c.entries.filter((e) => e.kind === "notice");
  assert.equal(notices.length, 1);
  assert.ok(notices[0].kind === "notice" && notices[0].level === "error" && notices[0].errorInfo === "unauthorized");
  state = run([{ type: "taskComplete", turnId: "t1" }], state);
  const [recovered] = state.conversations.c.entries.filter((e) => e.kind === "notice");
  assert.ok(recovered.kind === "notice" && recovered.level === "info" && !recovered.retry);
  assert.match(recovered.text, /failed 2 time\(s\) and went through on a retry/);
  const compacted = run([
    { type: "contextCompacted", turnId: "t1", automatic: true, item: { type: "contextCompaction", id: "k" } },
  ]);
  const [note] = compacted.conversations.c.entries;
  assert.ok(note.kind === "notice" && note.text.includes("summarised automatically"));
});

test("the meter: context tokens of the window and the auto-compaction limit", () => {
  const usage = {
    inputTokens: 200,
    cachedInputTokens: 0,
    outputTokens: 20,
    reasoningOutputTokens: 0,
    totalTokens: 220,
  };
  const state = run([
    {
      type: "tokenCount",
      info: {
        totalTokenUsage: usage,
        lastTokenUsage: usage,
        modelContextWindow: 1000,
        contextTokens: 880,
        contextLeftPercent: 12,
        autoCompactTokenLimit: 900,
      },
    },
  ]);
  const c = state.conversations.c;
  assert.deepEqual([c.contextTokens, c.contextWindow, c.autoCompactTokenLimit], [880, 1000, 900]);
});

test("deltas: a streamed token posts the one entry it changed; applied, it gives the new view", () => {
  const events = recorded();
  const id = events[0].conversationId;
  const firstDelta = events.findIndex((e) => e.msg.type === "agentMessageDelta");
  let state = events.slice(0, firstDelta + 1).reduce(reduce, emptyState);
  const before = panelView(state);
  state = reduce(state, events[firstDelta + 1]);
  const after = panelView(state);
  const delta = panelDelta(before, after);
  assert.ok(delta);
  assert.equal(delta.entries.length, 1, "only the streaming message");
  assert.equal(delta.entries[0].entry.kind, "agent");
  assert.equal(delta.conversation.turns, undefined, "turns did not change");
  const shown = applyDelta(structuredClone(before), structuredClone(delta));
  assert.deepEqual(shown, structuredClone(after));
  // Another tab shown: the whole view is posted.
  const other = panelView(opened(reduce(state, on("other", USER)), "other"));
  assert.equal(panelDelta(after, other), undefined);
  assert.equal(after.conversation?.id, id);
});

test("a terminal: listed while it runs, its output live after its turn, its end on its card", () => {
  const id = "conv";
  const ev = (msg: unknown): Event => ({ conversationId: id, submissionId: "s", msg }) as Event;
  const user = (turnId: string) => ev({ type: "userMessage", turnId, itemId: `u-${turnId}`, message: "go" });
  const base = { itemId: "item-1", callId: "call_1", terminalId: 1000 };
  const command = ["bash", "-lc", "python -m http.server 8000"];
  let state = [
    user("turn-1"),
    ev({ type: "execCommandBegin", turnId: "turn-1", ...base, command, cwd: "/w" }),
    ev({ type: "execCommandOutputDelta", turnId: "turn-1", ...base, stream: "stdout", chunk: "Serving HTTP\n" }),
    ev({ type: "taskComplete", turnId: "turn-1" }),
    user("turn-2"),
    ev({
      type: "execCommandOutputDelta",
      turnId: "turn-1",
      ...base,
      stream: "stdout",
      chunk: '"GET / HTTP/1.1" 200\n',
    }),
  ].reduce(reduce, emptyState);
  let c = state.conversations[id];
  assert.deepEqual(
    c.entries.map((e) => e.kind),
    ["user", "command", "user"],
  ); // the late output made no card in the second turn
  assert.equal(c.terminals?.length, 1);
  assert.equal(c.terminals?.[0].output, 'Serving HTTP\n"GET / HTTP/1.1" 200\n');
  const end = {
    type: "execCommandEnd",
    turnId: "turn-1",
    ...base,
    command,
    cwd: "/w",
    stdout: "",
    stderr: "",
    aggregatedOutput: "Serving HTTP\n",
    exitCode: 143,
    durationMs: 9000,
    formattedOutput: "",
    status: "failed",
  };
  state = reduce(state, ev(end));
  c = state.conversations[id];
  assert.deepEqual(c.terminals, []);
  const card = c.entries[1];
  assert.ok(card.kind === "command" && card.exitCode === 143 && card.status === "failed");
  assert.equal(c.entries.length, 3);
});

test("the server's list of terminals replaces what a replay showed as running", () => {
  const id = "conv";
  const begin = {
    type: "execCommandBegin",
    turnId: "t",
    itemId: "i",
    callId: "call_1",
    terminalId: 1000,
    command: ["sleep", "9"],
    cwd: "/w",
  };
  const state = reduce(emptyState, { conversationId: id, submissionId: "s", msg: begin } as Event);
  assert.equal(state.conversations[id].terminals?.length, 1);
  assert.deepEqual(terminalsListed(state, id, []).conversations[id].terminals, []);
  const listed = terminalsListed(state, id, [
    {
      conversationId: id,
      terminalId: 1001,
      command: ["cat"],
      cwd: "/w",
      tty: true,
      callId: "call_2",
      running: true,
      startedMsAgo: 5,
      output: "hi",
    },
  ]);
  assert.deepEqual(
    listed.conversations[id].terminals?.map((t) => [t.terminalId, t.output]),
    [[1001, "hi"]],
  );
});

test("the model's questions stay in the panel as a notice", () => {
  const state = reduce(emptyState, {
    conversationId: "c",
    submissionId: "s",
    msg: {
      type: "requestUserInput",
      turnId: "t1",
      itemId: "i1",
      callId: "call-1",
      questions: [
        { id: "db", header: "Database", question: "Which one?", options: [{ label: "SQLite", description: "" }] },
        { id: "orm", header: "", question: "An ORM?", options: [] },
      ],
    },
  });
  const [note] = state.conversations.c.entries;
  assert.ok(note.kind === "notice" && note.level === "info");
  assert.equal(note.text, "Asked you: Database: Which one? / An ORM?");
});
