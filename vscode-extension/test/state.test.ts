// The transcript reducer fed with an event stream recorded from a real codex-lsp run
// (`codex-lsp exec --json` against the scripted model server: a plan, a command, a patch, an answer).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  answered,
  closed,
  decisions,
  emptyState,
  forked,
  opened,
  overridden,
  panelStatus,
  queued,
  reduce,
  replayed,
  undoable,
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
