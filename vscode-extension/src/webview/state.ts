// The chat transcript as a pure reducer over codex/event notifications: the webview renders
// what this produces, and the unit tests feed it recorded event streams.
import type { AddFile, DeleteFile, Event, EventMsg, PlanItem, ReviewDecision, UpdateFile } from "../protocol/generated";

type FileChange = AddFile | DeleteFile | UpdateFile;

export type Entry =
  | { kind: "user"; id: string; text: string }
  | { kind: "agent"; id: string; text: string; done: boolean }
  | { kind: "reasoning"; id: string; text: string }
  | {
      kind: "command";
      id: string;
      command: string[];
      output: string;
      exitCode?: number;
      durationMs?: number;
    }
  | { kind: "patch"; id: string; changes: Record<string, FileChange>; success?: boolean }
  | { kind: "mcp"; id: string; server: string; tool: string; args: unknown; result?: unknown; error?: string | null }
  | { kind: "plan"; id: string; plan: PlanItem[] }
  | { kind: "notice"; id: string; level: "error" | "warning" | "info"; text: string };

export interface Approval {
  callId: string;
  conversationId: string;
  what: string;
  reason?: string | null;
  kind: "exec" | "patch";
}

export interface Conversation {
  id: string;
  model: string;
  entries: Entry[];
  running: boolean;
  approvals: Approval[];
  contextLeftPercent?: number | null;
  totalTokens?: number;
}

export interface ChatState {
  conversations: Record<string, Conversation>;
  active?: string;
}

export const emptyState: ChatState = { conversations: {} };

function conversationOf(state: ChatState, id: string): Conversation {
  return state.conversations[id] ?? { id, model: "", entries: [], running: false, approvals: [] };
}

function upsert(entries: Entry[], entry: Entry, merge: (old: Entry) => Entry): Entry[] {
  const index = entries.findIndex((e) => e.id === entry.id && e.kind === entry.kind);
  if (index < 0) return [...entries, entry];
  const copy = entries.slice();
  copy[index] = merge(copy[index]);
  return copy;
}

/** The next state after one `codex/event` notification. */
export function reduce(state: ChatState, event: Event): ChatState {
  const conversation = step(conversationOf(state, event.conversationId), event.msg, event.conversationId);
  return {
    conversations: { ...state.conversations, [conversation.id]: conversation },
    active: state.active ?? conversation.id,
  };
}

function step(c: Conversation, msg: EventMsg, conversationId: string): Conversation {
  switch (msg.type) {
    case "sessionConfigured":
      return { ...c, model: msg.model };
    case "taskStarted":
      return { ...c, running: true };
    case "taskComplete":
      return { ...c, running: false, approvals: [] };
    case "turnAborted":
      return {
        ...c,
        running: false,
        approvals: [],
        entries: [...c.entries, { kind: "notice", id: `abort-${msg.turnId}`, level: "warning", text: `Turn aborted (${msg.reason}).` }],
      };
    case "userMessage":
      return { ...c, entries: [...c.entries, { kind: "user", id: msg.itemId, text: msg.message }] };
    case "agentMessageDelta": {
      const entry: Entry = { kind: "agent", id: msg.itemId, text: msg.delta, done: false };
      return { ...c, entries: upsert(c.entries, entry, (old) => ({ ...old, text: (old as { text: string }).text + msg.delta }) as Entry) };
    }
    case "agentMessage": {
      const entry: Entry = { kind: "agent", id: msg.itemId, text: msg.message, done: true };
      return { ...c, entries: upsert(c.entries, entry, () => entry) };
    }
    case "agentReasoning": {
      const entry: Entry = { kind: "reasoning", id: msg.itemId, text: msg.text };
      return { ...c, entries: upsert(c.entries, entry, () => entry) };
    }
    case "execCommandBegin": {
      const entry: Entry = { kind: "command", id: msg.callId, command: msg.command, output: "" };
      return { ...c, entries: upsert(c.entries, entry, (old) => ({ ...old, command: msg.command }) as Entry) };
    }
    case "execCommandOutputDelta": {
      const entry: Entry = { kind: "command", id: msg.callId, command: [], output: msg.chunk };
      return { ...c, entries: upsert(c.entries, entry, (old) => ({ ...old, output: (old as { output: string }).output + msg.chunk }) as Entry) };
    }
    case "execCommandEnd": {
      const entry: Entry = { kind: "command", id: msg.callId, command: msg.command, output: msg.aggregatedOutput, exitCode: msg.exitCode, durationMs: msg.durationMs };
      return { ...c, entries: upsert(c.entries, entry, (old) => ({ ...old, exitCode: msg.exitCode, durationMs: msg.durationMs, output: msg.aggregatedOutput }) as Entry) };
    }
    case "patchApplyBegin": {
      const entry: Entry = { kind: "patch", id: msg.callId, changes: msg.changes };
      return { ...c, entries: upsert(c.entries, entry, () => entry) };
    }
    case "patchApplyEnd": {
      const entry: Entry = { kind: "patch", id: msg.callId, changes: {}, success: msg.success };
      return { ...c, entries: upsert(c.entries, entry, (old) => ({ ...old, success: msg.success }) as Entry) };
    }
    case "mcpToolCallBegin": {
      const inv = msg.invocation;
      const entry: Entry = { kind: "mcp", id: msg.callId, server: inv.server, tool: inv.tool, args: inv.arguments };
      return { ...c, entries: upsert(c.entries, entry, () => entry) };
    }
    case "mcpToolCallEnd": {
      const inv = msg.invocation;
      const entry: Entry = { kind: "mcp", id: msg.callId, server: inv.server, tool: inv.tool, args: inv.arguments, result: msg.result, error: msg.error };
      return { ...c, entries: upsert(c.entries, entry, () => entry) };
    }
    case "planUpdate": {
      const entry: Entry = { kind: "plan", id: `plan-${msg.turnId}`, plan: msg.plan };
      return { ...c, entries: upsert(c.entries, entry, () => entry) };
    }
    case "tokenCount":
      return msg.info
        ? { ...c, contextLeftPercent: msg.info.contextLeftPercent, totalTokens: msg.info.totalTokenUsage.totalTokens }
        : c;
    case "execApprovalRequest":
      return { ...c, approvals: [...c.approvals, { callId: msg.callId, conversationId, kind: "exec", what: msg.command.join(" "), reason: msg.reason }] };
    case "applyPatchApprovalRequest":
      return { ...c, approvals: [...c.approvals, { callId: msg.callId, conversationId, kind: "patch", what: Object.keys(msg.changes).join(", "), reason: msg.reason }] };
    case "undoCompleted": {
      const files = msg.restoredFiles?.length ? `: restored ${msg.restoredFiles.join(", ")}` : "";
      const text = msg.success ? `Undo done${files}.` : msg.message;
      return { ...c, entries: [...c.entries, { kind: "notice", id: `undo-${msg.turnId}`, level: msg.success ? "info" : "warning", text }] };
    }
    case "error":
      return { ...c, entries: [...c.entries, { kind: "notice", id: `error-${c.entries.length}`, level: "error", text: msg.message }] };
    case "streamError":
    case "warning":
      return { ...c, entries: [...c.entries, { kind: "notice", id: `${msg.type}-${c.entries.length}`, level: "warning", text: msg.message }] };
    default:
      return c;
  }
}

/** A resumed conversation: its stored events replayed into a fresh transcript. */
export function replayed(state: ChatState, conversationId: string, messages: EventMsg[]): ChatState {
  const fresh: ChatState = { conversations: { ...state.conversations, [conversationId]: conversationOf({ conversations: {} }, conversationId) } };
  const rebuilt = messages.reduce((s, msg) => reduce(s, { conversationId, submissionId: "replay", msg }), fresh);
  return { conversations: rebuilt.conversations, active: conversationId };
}

/** The approval answered: it leaves the pending list. */
export function answered(state: ChatState, conversationId: string, callId: string): ChatState {
  const c = conversationOf(state, conversationId);
  return {
    ...state,
    conversations: { ...state.conversations, [conversationId]: { ...c, approvals: c.approvals.filter((a) => a.callId !== callId) } },
  };
}

/** The decisions offered for an approval, in button order. */
export function decisions(approval: Approval): { label: string; decision: ReviewDecision }[] {
  const all: { label: string; decision: ReviewDecision }[] = [
    { label: "Approve", decision: "approved" },
    { label: "Approve for session", decision: "approvedForSession" },
    { label: "Always allow", decision: "approvedAlways" },
    { label: "Deny", decision: "denied" },
    { label: "Abort", decision: "abort" },
  ];
  return approval.kind === "exec" ? all : all.filter((d) => d.decision !== "approvedAlways");
}
