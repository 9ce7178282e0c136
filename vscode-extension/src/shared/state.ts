// The chat panel's state as a pure reducer over codex/event notifications (and the user's own
// actions on tabs and pickers): the webview renders what this produces, and the unit tests feed
// it recorded event streams.
import type {
  AddFile,
  AskForApproval,
  DeleteFile,
  Event,
  EventMsg,
  ExecCommandBeginEvent,
  Mode,
  PlanItem,
  ReasoningEffort,
  ReviewDecision,
  ReviewOutput,
  TerminalInfo,
  TurnAbortedEvent,
  UpdateFile,
} from "./generated";
import { answeredQuestion, emptyRun, isSpeckitEvent, reduceSpeckit, type SpeckitRun } from "./speckit";

export type FileChange = AddFile | DeleteFile | UpdateFile;
export type ModeId = Mode["id"];
export type ParsedCommand = NonNullable<ExecCommandBeginEvent["parsedCmd"]>[number];

/** One step of the transcript; the panel draws each agent step as a card. */
export type Entry =
  | { kind: "user"; id: string; turnId: string; text: string; mentions: string[]; images: string[] }
  | { kind: "agent"; id: string; text: string; done: boolean }
  | { kind: "reasoning"; id: string; text: string; done: boolean }
  | {
      kind: "command";
      id: string;
      command: string[];
      /** What the command does, when the server recognised it (a read, a search, a listing). */
      parsed?: ParsedCommand[];
      output: string;
      exitCode?: number;
      durationMs?: number;
      status?: string;
    }
  | { kind: "patch"; id: string; turnId: string; changes: Record<string, FileChange>; success?: boolean }
  | {
      kind: "mcp";
      id: string;
      server: string;
      tool: string;
      args: unknown;
      result?: unknown;
      error?: string | null;
      durationMs?: number;
    }
  | { kind: "plan"; id: string; plan: PlanItem[]; explanation?: string | null }
  /** A review's findings (also published as codex-review diagnostics on their files). */
  | { kind: "review"; id: string; review: ReviewOutput }
  /** A spec-kit run of one SPEC (its id): stages, agents, cost, gate questions. */
  | { kind: "speckit"; id: string; run: SpeckitRun }
  | {
      kind: "notice";
      id: string;
      level: "error" | "warning" | "info";
      text: string;
      /** The error's kind (codexErrorInfo): the panel says what to do about it. */
      errorInfo?: string | null;
      /** A retry in progress: attempt n of max, in retryInMs. */
      retry?: { attempt: number; maxAttempts: number; retryInMs: number };
    };

/** A command `exec_command` left running: the panel shows its live output and a Stop button. */
export interface Terminal {
  terminalId: number;
  callId: string;
  command: string[];
  /** Its latest output (the tail, at most TERMINAL_OUTPUT_MAX characters). */
  output: string;
}

/** How much of a terminal's output the panel keeps. */
export const TERMINAL_OUTPUT_MAX = 16_000;

function tail(text: string): string {
  return text.length > TERMINAL_OUTPUT_MAX ? text.slice(text.length - TERMINAL_OUTPUT_MAX) : text;
}

export interface Approval {
  callId: string;
  conversationId: string;
  what: string;
  reason?: string | null;
  kind: "exec" | "patch";
  /** For a patch: what it changes, reviewed per file and hunk before it is applied. */
  changes?: Record<string, FileChange>;
}

/** One turn of a conversation: where its entries start, and whether its file changes can be undone. */
export interface Turn {
  id: string;
  start: number;
  changedFiles: boolean;
  undone: boolean;
}

export interface Conversation {
  id: string;
  title: string;
  model: string;
  effort?: ReasoningEffort | null;
  approvalPolicy?: AskForApproval;
  /** The approval preset (codex/listModes); null when the policies are another combination. */
  mode?: ModeId | null;
  entries: Entry[];
  turns: Turn[];
  running: boolean;
  approvals: Approval[];
  contextLeftPercent?: number | null;
  totalTokens?: number;
  /** Tokens now in the context, of the model's window. */
  contextTokens?: number;
  contextWindow?: number | null;
  /** The context size at which the server compacts the history by itself. */
  autoCompactTokenLimit?: number | null;
  costUsd?: number | null;
  /** Messages sent while a turn runs, not yet given to the model. */
  queued?: string[];
  /** The conversation's running terminals, oldest first. */
  terminals?: Terminal[];
}

export interface ChatState {
  conversations: Record<string, Conversation>;
  /** The conversations open as tabs, in tab order. */
  tabs: string[];
  active?: string;
}

export const emptyState: ChatState = { conversations: {}, tabs: [] };

const TITLE_LENGTH = 40;

function conversationOf(state: ChatState, id: string): Conversation {
  return state.conversations[id] ?? { id, title: "", model: "", entries: [], turns: [], running: false, approvals: [] };
}

/** The entry lists a replay is building: nothing has seen them yet, so they grow in place
 * instead of being copied per event (a stored conversation of thousands of entries is rebuilt in
 * linear time). A list leaves the set when the replay ends; from then on it is immutable. */
const building = new WeakSet<Entry[]>();

function appended(entries: Entry[], entry: Entry): Entry[] {
  if (!building.has(entries)) return [...entries, entry];
  entries.push(entry);
  return entries;
}

/** `c`'s entries with `entry` added, or merged into the entry of the same id and kind. Only
 * the turn being run is searched, from its end (every item of a turn arrives within it), so the
 * cost per event does not grow with the history. */
function upsert(c: Conversation, entry: Entry, merge: (old: Entry) => Entry): Entry[] {
  const entries = c.entries;
  const index = lastIndexInTurn(c, (e) => e.id === entry.id && e.kind === entry.kind);
  if (index < 0) return appended(entries, entry);
  if (building.has(entries)) {
    entries[index] = merge(entries[index]);
    return entries;
  }
  const copy = entries.slice();
  copy[index] = merge(copy[index]);
  return copy;
}

function withConversation(state: ChatState, conversation: Conversation): ChatState {
  const tabs = state.tabs.includes(conversation.id) ? state.tabs : [...state.tabs, conversation.id];
  return {
    conversations: { ...state.conversations, [conversation.id]: conversation },
    tabs,
    active: state.active ?? conversation.id,
  };
}

/** The text of the input an interrupt handed back (`turnAborted.returnedInput`), one message
 * per paragraph, for the composer; "" when none came back. */
export function returnedText(returned: TurnAbortedEvent["returnedInput"]): string {
  return (returned ?? [])
    .map((items) =>
      items
        .map((item) => (item.type === "text" ? item.text : ""))
        .join("\n")
        .trim(),
    )
    .filter(Boolean)
    .join("\n\n");
}

/** The next state after one `codex/event` notification. */
export function reduce(state: ChatState, event: Event): ChatState {
  return withConversation(state, step(conversationOf(state, event.conversationId), event.msg, event.conversationId));
}

function notice(
  c: Conversation,
  id: string,
  level: "error" | "warning" | "info",
  text: string,
  more: { errorInfo?: string | null; retry?: { attempt: number; maxAttempts: number; retryInMs: number } } = {},
): Conversation {
  const entry: Entry = { kind: "notice", id, level, text, ...more };
  return { ...c, entries: upsert(c, entry, () => entry) };
}

/** The index of the last entry of the turn being run that satisfies `ok`, or -1. */
function lastIndexInTurn(c: Conversation, ok: (entry: Entry) => boolean): number {
  const floor = c.turns[c.turns.length - 1]?.start ?? 0;
  for (let index = c.entries.length - 1; index >= floor; index--) if (ok(c.entries[index])) return index;
  return -1;
}

/** The index of the last command entry of `callId` in the whole transcript, or -1 (a terminal's
 * end may come turns after its start). */
function lastCommandIndex(c: Conversation, callId: string): number {
  for (let index = c.entries.length - 1; index >= 0; index--) {
    const entry = c.entries[index];
    if (entry.kind === "command" && entry.id === callId) return index;
  }
  return -1;
}

/** The turn being run (retries and errors without a turn id belong to it). */
function lastTurnId(c: Conversation): string {
  return c.turns[c.turns.length - 1]?.id ?? "none";
}

function step(c: Conversation, msg: EventMsg, conversationId: string): Conversation {
  switch (msg.type) {
    case "sessionConfigured":
      return {
        ...c,
        model: msg.model,
        effort: msg.reasoningEffort,
        approvalPolicy: msg.approvalPolicy,
        mode: msg.mode ?? null,
      };
    case "taskStarted":
      return { ...c, running: true, contextWindow: msg.modelContextWindow ?? c.contextWindow };
    case "taskComplete": {
      // Retries that ended in success stay visible, as what they were.
      const retried = c.entries[lastIndexInTurn(c, (e) => e.kind === "notice" && e.id === `retry-${msg.turnId}`)];
      const done = { ...c, running: false, approvals: [], turns: markedUndoable(c.turns, msg) };
      if (retried?.kind !== "notice" || !retried.retry) return done;
      const times = retried.retry.attempt;
      return notice(
        done,
        retried.id,
        "info",
        `The model request failed ${times} time(s) and went through on a retry.`,
        {
          errorInfo: retried.errorInfo,
        },
      );
    }
    case "turnAborted": {
      const returned = returnedText(msg.returnedInput);
      const text = returned
        ? `Turn aborted (${msg.reason}). What you sent while it ran is back in the composer.`
        : `Turn aborted (${msg.reason}).`;
      return {
        ...notice(c, `abort-${msg.turnId}`, "warning", text),
        running: false,
        approvals: [],
        queued: returned ? [] : c.queued,
        turns: markedUndoable(c.turns, msg),
      };
    }
    case "userMessage": {
      const entry: Entry = {
        kind: "user",
        id: msg.itemId,
        turnId: msg.turnId,
        text: msg.message,
        mentions: msg.mentions ?? [],
        images: msg.localImages ?? [],
      };
      const turns = c.turns.some((t) => t.id === msg.turnId)
        ? c.turns
        : [...c.turns, { id: msg.turnId, start: c.entries.length, changedFiles: false, undone: false }];
      const title = c.title || msg.message.split("\n")[0].slice(0, TITLE_LENGTH);
      const waiting = c.queued ?? [];
      const given = waiting.indexOf(msg.message);
      const rest = given < 0 ? waiting : [...waiting.slice(0, given), ...waiting.slice(given + 1)];
      return { ...c, title, turns, entries: appended(c.entries, entry), queued: rest };
    }
    case "agentMessageDelta": {
      const entry: Entry = { kind: "agent", id: msg.itemId, text: msg.delta, done: false };
      return {
        ...c,
        entries: upsert(c, entry, (old) => ({ ...old, text: (old as { text: string }).text + msg.delta }) as Entry),
      };
    }
    case "agentMessage": {
      const entry: Entry = { kind: "agent", id: msg.itemId, text: msg.message, done: true };
      return { ...c, entries: upsert(c, entry, () => entry) };
    }
    case "agentReasoningDelta": {
      const entry: Entry = { kind: "reasoning", id: msg.itemId, text: msg.delta, done: false };
      return {
        ...c,
        entries: upsert(
          c,
          entry,
          (old) => ({ ...old, done: false, text: (old as { text: string }).text + msg.delta }) as Entry,
        ),
      };
    }
    case "agentReasoningSectionBreak": {
      const entry: Entry = { kind: "reasoning", id: msg.itemId, text: "", done: false };
      return {
        ...c,
        entries: upsert(
          c,
          entry,
          (old) => ({ ...old, done: false, text: `${(old as { text: string }).text}\n\n` }) as Entry,
        ),
      };
    }
    case "agentReasoning": {
      // Each complete paragraph replaces what its deltas built; earlier paragraphs stay.
      const entry: Entry = { kind: "reasoning", id: msg.itemId, text: msg.text, done: true };
      return {
        ...c,
        entries: upsert(c, entry, (old) => {
          const paragraphs = (old as { text: string }).text.split("\n\n");
          paragraphs[paragraphs.length - 1] = msg.text;
          return { ...entry, text: paragraphs.join("\n\n") };
        }),
      };
    }
    case "execCommandBegin": {
      const started: Terminal[] =
        msg.terminalId == null
          ? (c.terminals ?? [])
          : [
              ...(c.terminals ?? []).filter((t) => t.terminalId !== msg.terminalId),
              { terminalId: msg.terminalId, callId: msg.callId, command: msg.command, output: "" },
            ];
      c = started === c.terminals ? c : { ...c, terminals: started };
      const entry: Entry = {
        kind: "command",
        id: msg.callId,
        command: msg.command,
        parsed: msg.parsedCmd ?? [],
        output: "",
      };
      return {
        ...c,
        entries: upsert(c, entry, (old) => ({ ...old, command: msg.command, parsed: entry.parsed }) as Entry),
      };
    }
    case "execCommandOutputDelta": {
      const entry: Entry = { kind: "command", id: msg.callId, command: [], output: msg.chunk };
      if (msg.terminalId != null) {
        // A terminal's output goes on after its turn: its card is updated while it is in the
        // turn being run; the terminal list always is.
        const terminals = (c.terminals ?? []).map((t) =>
          t.terminalId === msg.terminalId ? { ...t, output: tail(t.output + msg.chunk) } : t,
        );
        const at = lastIndexInTurn(c, (e) => e.kind === "command" && e.id === msg.callId);
        if (at < 0) return { ...c, terminals };
        c = { ...c, terminals };
      }
      return {
        ...c,
        entries: upsert(
          c,
          entry,
          (old) => ({ ...old, output: (old as { output: string }).output + msg.chunk }) as Entry,
        ),
      };
    }
    case "execCommandEnd": {
      if (msg.terminalId != null) {
        c = { ...c, terminals: (c.terminals ?? []).filter((t) => t.terminalId !== msg.terminalId) };
        const at = lastCommandIndex(c, msg.callId);
        if (at >= 0 && at < (c.turns[c.turns.length - 1]?.start ?? 0)) {
          // the end of a terminal started in an earlier turn: its card there is updated
          const old = c.entries[at] as Extract<Entry, { kind: "command" }>;
          const entries = c.entries.slice();
          entries[at] = {
            ...old,
            exitCode: msg.exitCode,
            durationMs: msg.durationMs,
            output: msg.aggregatedOutput,
            status: msg.status,
          };
          return { ...c, entries };
        }
      }
      const entry: Entry = {
        kind: "command",
        id: msg.callId,
        command: msg.command,
        output: msg.aggregatedOutput,
        exitCode: msg.exitCode,
        durationMs: msg.durationMs,
        status: msg.status,
      };
      return {
        ...c,
        entries: upsert(
          c,
          entry,
          (old) =>
            ({
              ...old,
              exitCode: msg.exitCode,
              durationMs: msg.durationMs,
              output: msg.aggregatedOutput,
              status: msg.status,
            }) as Entry,
        ),
      };
    }
    case "patchApplyBegin": {
      const entry: Entry = { kind: "patch", id: msg.callId, turnId: msg.turnId, changes: msg.changes };
      return { ...c, entries: upsert(c, entry, () => entry) };
    }
    case "patchApplyEnd": {
      const entry: Entry = {
        kind: "patch",
        id: msg.callId,
        turnId: msg.turnId,
        changes: msg.changes ?? {},
        success: msg.success,
      };
      return { ...c, entries: upsert(c, entry, (old) => ({ ...old, success: msg.success }) as Entry) };
    }
    case "mcpToolCallBegin": {
      const inv = msg.invocation;
      const entry: Entry = { kind: "mcp", id: msg.callId, server: inv.server, tool: inv.tool, args: inv.arguments };
      return { ...c, entries: upsert(c, entry, () => entry) };
    }
    case "mcpToolCallEnd": {
      const inv = msg.invocation;
      const entry: Entry = {
        kind: "mcp",
        id: msg.callId,
        server: inv.server,
        tool: inv.tool,
        args: inv.arguments,
        result: msg.result,
        error: msg.error,
        durationMs: msg.durationMs,
      };
      return { ...c, entries: upsert(c, entry, () => entry) };
    }
    case "exitedReviewMode": {
      if (!msg.review) return c;
      const entry: Entry = { kind: "review", id: `review-${msg.turnId}`, review: msg.review };
      return { ...c, entries: upsert(c, entry, () => entry) };
    }
    case "planUpdate": {
      const entry: Entry = { kind: "plan", id: `plan-${msg.turnId}`, plan: msg.plan, explanation: msg.explanation };
      return { ...c, entries: upsert(c, entry, () => entry) };
    }
    case "tokenCount":
      return msg.info
        ? {
            ...c,
            contextLeftPercent: msg.info.contextLeftPercent,
            totalTokens: msg.info.totalTokenUsage.totalTokens,
            contextTokens: msg.info.contextTokens,
            contextWindow: msg.info.modelContextWindow ?? c.contextWindow,
            autoCompactTokenLimit: msg.info.autoCompactTokenLimit,
            costUsd: msg.info.costUsd,
          }
        : c;
    case "execApprovalRequest":
      return {
        ...c,
        approvals: [
          ...c.approvals,
          { callId: msg.callId, conversationId, kind: "exec", what: msg.command.join(" "), reason: msg.reason },
        ],
      };
    case "applyPatchApprovalRequest":
      return {
        ...c,
        approvals: [
          ...c.approvals,
          {
            callId: msg.callId,
            conversationId,
            kind: "patch",
            what: Object.keys(msg.changes).join(", "),
            reason: msg.reason,
            changes: msg.changes,
          },
        ],
      };
    case "conversationRewound": {
      // The rewound turns leave the transcript: it ends where the first of them began.
      const first = c.turns.findIndex((t) => msg.rewoundTurnIds.includes(t.id));
      if (first < 0) return c;
      const cut = { ...c, entries: c.entries.slice(0, c.turns[first].start), turns: c.turns.slice(0, first) };
      return msg.skipped?.length ? notice(cut, `rewind-${msg.rewoundTurnIds[0]}`, "warning", msg.message) : cut;
    }
    case "undoCompleted": {
      const undone = new Set(msg.undoneTurnIds ?? []);
      const turns = c.turns.map((t) => (undone.has(t.id) ? { ...t, undone: true } : t));
      const files = msg.restoredFiles?.length ? `: restored ${msg.restoredFiles.join(", ")}` : "";
      const text = msg.success ? `Undo done${files}.` : msg.message;
      return { ...notice(c, `undo-${msg.turnId}`, msg.success ? "info" : "warning", text), turns };
    }
    case "error": {
      // The retries that led here are over: the error replaces their notice.
      const retry = `retry-${msg.turnId ?? lastTurnId(c)}`;
      const at = lastIndexInTurn(c, (e) => e.kind === "notice" && e.id === retry);
      const rest = at < 0 ? c : { ...c, entries: [...c.entries.slice(0, at), ...c.entries.slice(at + 1)] };
      return notice(rest, `error-${c.entries.length}`, "error", msg.message, { errorInfo: msg.codexErrorInfo });
    }
    case "streamError":
      // One notice per turn, updated in place as the attempts go on.
      return notice(c, `retry-${lastTurnId(c)}`, "warning", msg.message, {
        errorInfo: msg.codexErrorInfo,
        retry: { attempt: msg.attempt, maxAttempts: msg.maxAttempts, retryInMs: msg.retryInMs },
      });
    case "warning":
      return notice(c, `warning-${c.entries.length}`, "warning", msg.message);
    case "requestUserInput": {
      // the questions are answered in VS Code's pickers; the panel keeps what was asked
      const asked = msg.questions.map((q) => (q.header ? `${q.header}: ${q.question}` : q.question));
      return notice(c, `question-${msg.itemId}`, "info", `Asked you: ${asked.join(" / ")}`);
    }
    case "contextCompacted":
      return notice(
        c,
        `compacted-${msg.item.id}`,
        "info",
        msg.automatic
          ? "The context was nearly full, so the history was summarised automatically; the agent goes on from the summary."
          : "The history was summarised to free context.",
      );
    default:
      if (isSpeckitEvent(msg)) {
        const fresh: Entry = { kind: "speckit", id: msg.specId, run: reduceSpeckit(emptyRun(msg.specId), msg) };
        const merge = (old: Entry): Entry =>
          old.kind === "speckit" ? { ...old, run: reduceSpeckit(old.run, msg) } : old;
        return { ...c, entries: upsert(c, fresh, merge) };
      }
      return c;
  }
}

/** The server says (taskComplete/turnAborted `undoable`) that undo can take this turn's file changes back. */
function markedUndoable(turns: Turn[], msg: { turnId?: string | null; undoable?: boolean | null }): Turn[] {
  return msg.undoable ? turns.map((t) => (t.id === msg.turnId ? { ...t, changedFiles: true } : t)) : turns;
}

/** The turns the server can still undo (`undoableTurnIds` of a resume: its store is what counts, not the
 * replayed events: an undo the store lost, or a server that lost its snapshots, offers nothing). */
export function withUndoable(state: ChatState, conversationId: string, turnIds: string[]): ChatState {
  const c = state.conversations[conversationId];
  if (!c) return state;
  const can = new Set(turnIds);
  const turns = c.turns.map((t) => ({ ...t, changedFiles: can.has(t.id), undone: false }));
  return { ...state, conversations: { ...state.conversations, [conversationId]: { ...c, turns } } };
}

/** A resumed conversation: its stored events replayed into a fresh tab, made active. */
export function replayed(state: ChatState, conversationId: string, messages: EventMsg[], title = ""): ChatState {
  const entries: Entry[] = [];
  building.add(entries);
  const fresh: ChatState = {
    ...state,
    conversations: {
      ...state.conversations,
      [conversationId]: { ...conversationOf(emptyState, conversationId), title, entries },
    },
  };
  try {
    const rebuilt = messages.reduce((s, msg) => reduce(s, { conversationId, submissionId: "replay", msg }), fresh);
    return opened(rebuilt, conversationId);
  } finally {
    building.delete(entries);
  }
}

/** A fork of `source` at the end of `turnId`: a new tab showing the source's transcript up to there. */
export function forked(state: ChatState, source: string, turnId: string, forkId: string): ChatState {
  const c = conversationOf(state, source);
  const index = c.turns.findIndex((t) => t.id === turnId);
  const end = index >= 0 && index + 1 < c.turns.length ? c.turns[index + 1].start : c.entries.length;
  const turns = c.turns.slice(0, index + 1).map((t) => ({ ...t, changedFiles: false }));
  const fork: Conversation = {
    ...c,
    id: forkId,
    title: `${c.title} (fork)`,
    entries: c.entries.slice(0, end),
    turns,
    running: false,
    approvals: [],
  };
  return opened({ ...state, conversations: { ...state.conversations, [forkId]: fork } }, forkId);
}

/** `conversationId` open as a tab and active. */
export function opened(state: ChatState, conversationId: string): ChatState {
  const tabs = state.tabs.includes(conversationId) ? state.tabs : [...state.tabs, conversationId];
  return { ...state, tabs, active: conversationId };
}

/** The tab closed (the conversation goes on in the server and can be resumed; news from it,
 * such as an approval request, opens its tab again). */
export function closed(state: ChatState, conversationId: string): ChatState {
  const index = state.tabs.indexOf(conversationId);
  const tabs = state.tabs.filter((id) => id !== conversationId);
  const active = state.active !== conversationId ? state.active : tabs[Math.min(index, tabs.length - 1)];
  return { ...state, tabs, active };
}

/** No tab active: the next message starts a new conversation. */
export function blank(state: ChatState): ChatState {
  return { ...state, active: undefined };
}

/** The user's choice of model, effort, approval policy or mode for the next turns of a
 * conversation (a policy chosen alone is no preset any more). */
export function overridden(
  state: ChatState,
  conversationId: string,
  change: { model?: string; effort?: ReasoningEffort; approvalPolicy?: AskForApproval; mode?: ModeId },
): ChatState {
  const c = conversationOf(state, conversationId);
  const set: Partial<Conversation> = Object.fromEntries(
    Object.entries(change).filter(([, value]) => value !== undefined),
  );
  if (change.approvalPolicy && !change.mode) set.mode = null;
  return { ...state, conversations: { ...state.conversations, [conversationId]: { ...c, ...set } } };
}

/** The title a user gave a conversation. */
export function renamed(state: ChatState, conversationId: string, title: string): ChatState {
  const c = state.conversations[conversationId];
  return c ? { ...state, conversations: { ...state.conversations, [conversationId]: { ...c, title } } } : state;
}

/** The approval answered: it leaves the pending list. */
export function answered(state: ChatState, conversationId: string, callId: string): ChatState {
  const c = conversationOf(state, conversationId);
  return {
    ...state,
    conversations: {
      ...state.conversations,
      [conversationId]: { ...c, approvals: c.approvals.filter((a) => a.callId !== callId) },
    },
  };
}

/** A spec-kit quality-gate question was answered from the panel: its card shows the answer
 * instead of the buttons (in whichever conversation runs it). */
export function speckitAnswered(
  state: ChatState,
  answer: { runId: string; checkpoint: string; issueId: string; answer: string },
): ChatState {
  const { runId, checkpoint, issueId } = answer;
  let conversations = state.conversations;
  for (const [id, c] of Object.entries(state.conversations)) {
    let touched = false;
    const entries = c.entries.map((e) => {
      if (e.kind !== "speckit") return e;
      const run = answeredQuestion(e.run, runId, checkpoint, issueId, answer.answer);
      touched ||= run !== e.run;
      return run === e.run ? e : { ...e, run };
    });
    if (touched) conversations = { ...conversations, [id]: { ...c, entries } };
  }
  return conversations === state.conversations ? state : { ...state, conversations };
}

/** The turns whose file changes "Undo" can still take back (it undoes that turn and every later one). */
export function undoable(c: Conversation): Set<string> {
  return new Set(c.turns.filter((t) => t.changedFiles && !t.undone).map((t) => t.id));
}

/** The decisions offered for an approval, in button order. */
export function decisions(approval: Approval): { label: string; decision: ReviewDecision }[] {
  const all: { label: string; decision: ReviewDecision }[] = [
    { label: approval.kind === "patch" ? "Apply selected" : "Approve", decision: "approved" },
    { label: "Approve for session", decision: "approvedForSession" },
    { label: "Always allow", decision: "approvedAlways" },
    { label: "Deny", decision: "denied" },
    { label: "Abort", decision: "abort" },
  ];
  return approval.kind === "exec" ? all : all.filter((d) => d.decision !== "approvedAlways");
}

/** What the webview needs to draw the panel: the tabs, and the active conversation only (the
 * bridge posts this once per frame; the other conversations stay in the extension). */
export interface PanelView {
  tabs: { id: string; title: string; running: boolean; waiting: boolean }[];
  active?: string;
  conversation?: Conversation;
}

/** The panel's view of `state`. */
export function panelView(state: ChatState): PanelView {
  const tabs = state.tabs.map((id) => {
    const c = state.conversations[id];
    return { id, title: c?.title ?? "", running: c?.running ?? false, waiting: (c?.approvals.length ?? 0) > 0 };
  });
  return { tabs, active: state.active, conversation: state.active ? state.conversations[state.active] : undefined };
}

/** The status of the whole panel (the status bar): approvals anywhere come first, then work. */
export function panelStatus(state: ChatState): "approval" | "working" | "idle" {
  const all = Object.values(state.conversations);
  if (all.some((c) => c.approvals.length > 0)) return "approval";
  return all.some((c) => c.running) ? "working" : "idle";
}

/** The server's list of a conversation's running terminals (after a resume, or to check): it
 * replaces what the events built, keeping the output already shown. */
export function terminalsListed(state: ChatState, conversationId: string, listed: TerminalInfo[]): ChatState {
  const c = state.conversations[conversationId];
  if (!c) return state;
  const shown = new Map((c.terminals ?? []).map((t) => [t.terminalId, t]));
  const terminals = listed
    .filter((t) => t.running)
    .map((t) => ({
      terminalId: t.terminalId,
      callId: t.callId,
      command: t.command,
      output: tail(shown.get(t.terminalId)?.output || t.output),
    }));
  return { ...state, conversations: { ...state.conversations, [conversationId]: { ...c, terminals } } };
}

/** A message sent while the turn runs: shown as queued until the model is given it (steering). */
export function queued(state: ChatState, conversationId: string, text: string): ChatState {
  const c = conversationOf(state, conversationId);
  return {
    ...state,
    conversations: { ...state.conversations, [conversationId]: { ...c, queued: [...(c.queued ?? []), text] } },
  };
}

/** What changed from one posted panel view to the next: the tab strip, the active
 * conversation's settings and counters, its turns when they changed, and only the entries that
 * changed (the reducer replaces an entry it changes and keeps the others, so a reference
 * comparison finds them). The bridge posts this instead of the whole view, so a streamed token
 * costs the same whatever the length of the conversation. */
export interface PanelDelta {
  tabs: PanelView["tabs"];
  active?: string;
  conversation: Omit<Conversation, "entries" | "turns"> & { turns?: Turn[] };
  /** Entries replaced or appended, by index; `length` is the new number of entries. */
  entries: { index: number; entry: Entry }[];
  length: number;
}

/** The delta from `before` to `after`, or undefined when the webview needs the whole view (a
 * different conversation is shown, or none). */
export function panelDelta(before: PanelView, after: PanelView): PanelDelta | undefined {
  const [old, now] = [before.conversation, after.conversation];
  if (!old || !now || old.id !== now.id || before.active !== after.active) return undefined;
  const entries: PanelDelta["entries"] = [];
  for (let index = 0; index < now.entries.length; index++) {
    if (old.entries[index] !== now.entries[index]) entries.push({ index, entry: now.entries[index] });
  }
  const { entries: _entries, turns, ...rest } = now; // eslint-disable-line @typescript-eslint/no-unused-vars
  return {
    tabs: after.tabs,
    active: after.active,
    conversation: old.turns === turns ? rest : { ...rest, turns },
    entries,
    length: now.entries.length,
  };
}

/** `view` with `delta` applied (the webview's side of panelDelta). */
export function applyDelta(view: PanelView, delta: PanelDelta): PanelView {
  const old = view.conversation;
  if (!old) return view;
  const entries = old.entries.slice(0, delta.length);
  for (const { index, entry } of delta.entries) entries[index] = entry;
  const conversation: Conversation = {
    ...old,
    ...delta.conversation,
    turns: delta.conversation.turns ?? old.turns,
    entries,
  };
  return { tabs: delta.tabs, active: delta.active, conversation };
}
