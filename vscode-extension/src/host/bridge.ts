// The bridge between the chat webview and the server: it keeps the panel's state, turns the
// webview's messages into codex/* requests and answers, and asks the editor (the Host) for what
// only the editor has. It does not import `vscode`, so the unit tests drive it against a real
// codex-lsp process.
import { contextItems, folders, messageItems, parseSlash, type UserInputItem } from "../shared/composer";
import type {
  AskForApproval,
  ContextInput,
  ConversationSummary,
  Event,
  EventMsg,
  Mode,
  ReasoningEffort,
  ReviewDecision,
  ReviewTarget,
} from "../shared/generated";
import { CodexErrorCodes } from "../shared/generated";
import { unhandled, type FromWebview, type ToWebview } from "../shared/messages";
import {
  answered,
  blank,
  closed,
  emptyState,
  forked,
  opened,
  overridden,
  panelDelta,
  panelView,
  queued,
  reduce,
  renamed,
  replayed,
  returnedText,
  speckitAnswered,
  terminalsListed,
  withUndoable,
  type ChatState,
  type FileChange,
  type ModeId,
  type PanelView,
} from "../shared/state";
import type { ApprovalCommand, ConversationMethod, Params, Result, Server } from "./requests";

/** What only the editor can do or knows. */
export interface Host {
  post(message: ToWebview): void;
  /** The state changed (the status bar follows it). */
  changed(state: ChatState): void;
  warn(text: string): void;
  info(text: string): void;
  /** Ask the user to confirm `text` (a modal warning); true when they chose `action`. */
  confirm(text: string, action: string): Promise<boolean>;
  /** Does the workspace have this relative path (an @-mention)? */
  exists(path: string): boolean;
  /** The text of an editor context (@selection, @problems, @current-file), or why there is none. */
  context(name: string): Promise<{ text: string } | { missing: string }>;
  /** Show a file's change in the diff editor (a pending one without the hunks unchecked so far). */
  showDiff(path: string, change: FileChange, applied: boolean, rejectedHunks?: number[]): Promise<void>;
  /** Save a pasted image; its path and a URI the webview can show. */
  saveImage(dataUrl: string): Promise<{ path: string; uri: string }>;
  /** Let the user pick image files. */
  pickImages(): Promise<{ path: string; uri: string }[]>;
  /** Let the user pick a stored conversation and what to do with it. */
  pickStored(
    rows: ConversationSummary[],
  ): Promise<{ row: ConversationSummary; action: "resume" | "rename" | "archive" } | undefined>;
  /** Let the user pick what to review: the uncommitted changes, a base branch, a commit. */
  pickReviewTarget(): Promise<ReviewTarget | undefined>;
  /** Ask for a new title. */
  askTitle(current: string): Promise<string | undefined>;
  /** What only the editor does for the panel: copy, insert or apply a code block, open the walkthrough. */
  editor(action: EditorAction): Promise<void>;
}

export type EditorAction = Extract<FromWebview, { type: "copyCode" | "insertCode" | "applyCode" | "openWalkthrough" }>;

const FRAME_MS = 16;

export class ChatBridge {
  state: ChatState = emptyState;
  private scheduled: ReturnType<typeof setTimeout> | undefined;
  /** What the webview was last given: the next post is the delta from it. */
  private posted: PanelView | undefined;
  /** The presets (codex/listModes), asked for once. */
  private modes: Mode[] | undefined;

  constructor(
    private readonly server: Server,
    private readonly host: Host,
  ) {}

  /** A codex/event arrived. Input an interrupt handed back goes back in the composer when its
   * conversation is the one shown (else the notice in that tab says so). */
  receive(event: Event): void {
    this.update(reduce(this.state, event));
    if (event.msg.type === "turnAborted" && event.conversationId === this.state.active) {
      const text = returnedText(event.msg.returnedInput);
      if (text) this.host.post({ type: "restoreDraft", text });
    }
  }

  /** Handle one message of the webview; failures are shown, never thrown. */
  async handle(message: FromWebview): Promise<void> {
    try {
      await this.dispatch(message);
    } catch (error) {
      this.host.warn((error as Error).message);
    }
  }

  private async dispatch(message: FromWebview): Promise<void> {
    switch (message.type) {
      case "ready":
        this.posted = undefined;
        return this.update(this.state);
      case "listModels":
        return this.host.post({ type: "models", result: await this.server.request("codex/listModels", {}) });
      case "doctor": {
        // A server that is not running is a finding of the set-up too, shown where the rest are.
        const result = await this.server
          .request("codex/doctor", { checks: ["config", "provider"] })
          .catch((error: Error) => ({
            ok: false,
            findings: [{ verdict: "fail" as const, area: "server", detail: error.message }],
          }));
        return this.host.post({ type: "doctor", result });
      }
      case "copyCode":
      case "insertCode":
      case "applyCode":
      case "openWalkthrough":
        return this.host.editor(message);
      case "send":
        if (message.rewindTo) await this.rewind(message.rewindTo);
        return this.send(message.text, message.images ?? [], message.contexts ?? []);
      case "approve":
        return this.answer(message.conversationId, message.callId, message.decision, message.rejectedHunks);
      case "interrupt":
        if (this.state.active) await this.call("codex/interrupt", { conversationId: this.state.active });
        return;
      case "killTerminal":
        // its execCommandEnd, sent before the answer, takes it off the panel
        await this.server.request("codex/killTerminal", {
          conversationId: message.conversationId,
          terminalId: message.terminalId,
        });
        return;
      case "speckitAnswer":
        return this.answerQuestion(message);
      case "undo":
        return this.undo(message.turnId);
      case "fork":
        return this.fork(message.turnId);
      case "search":
        return this.search(message.query);
      case "listMcpPrompts":
        return this.host.post({ type: "mcpPrompts", result: await this.server.request("codex/listMcpPrompts", {}) });
      case "listSpecs":
        return this.host.post({ type: "specs", result: await this.server.request("codex/listSpecs", {}) });
      case "listSkills":
        return this.host.post({ type: "skills", result: await this.server.request("codex/listSkills", {}) });
      case "newConversation":
        return this.update(blank(this.state));
      case "selectTab":
        return this.update(opened(this.state, message.conversationId));
      case "closeTab":
        return this.update(closed(this.state, message.conversationId));
      case "history":
        return this.history();
      case "rename":
        return this.rename(message.conversationId);
      case "setMode":
        return this.setMode(message.mode);
      case "override":
        return this.override({ model: message.model, effort: message.effort, approvalPolicy: message.approvalPolicy });
      case "openDiff":
        return this.openDiff(message.conversationId, message.callId, message.path, message.rejectedHunks);
      case "pasteImage":
        return this.host.post({ type: "attached", images: [await this.host.saveImage(message.dataUrl)] });
      case "attachImages":
        return this.host.post({ type: "attached", images: await this.host.pickImages() });
      default:
        return unhandled(message);
    }
  }

  /** Send a message (with its @-mentions, editor context and images), or run a slash command. */
  async send(text: string, images: string[] = [], attached: ContextInput[] = []): Promise<void> {
    const slash = parseSlash(text);
    if (slash?.kind === "error") return this.host.warn(slash.message);
    const conversationId = await this.conversation();
    if (!slash) {
      const contexts = await contextItems(text, (name) => this.host.context(name));
      contexts.missing.forEach((m) => this.host.warn(m));
      const items: UserInputItem[] = [
        ...messageItems(text, (path) => this.host.exists(path)),
        ...attached,
        ...contexts.items,
        ...images.map((path) => ({ type: "localImage" as const, path })),
      ];
      await this.call("codex/userInput", { conversationId, items });
      if (this.state.conversations[conversationId]?.running) this.update(queued(this.state, conversationId, text));
      return;
    }
    const params = { conversationId };
    switch (slash.kind) {
      case "compact":
        await this.call("codex/compact", params);
        return;
      case "undo":
        return this.undo();
      case "review": {
        const target = slash.target ?? (await this.host.pickReviewTarget());
        if (target) await this.call("codex/review", { ...params, reviewRequest: { target } });
        return;
      }
      case "model":
        return this.override({ model: slash.model });
      case "effort":
        return this.override({ effort: slash.effort });
      case "approvals":
        return this.override({ approvalPolicy: slash.policy });
      case "status": {
        const c = this.state.conversations[conversationId];
        const context =
          typeof c?.contextLeftPercent === "number" ? `, ${c.contextLeftPercent}% of the context left` : "";
        const cost = typeof c?.costUsd === "number" ? `, $${c.costUsd.toFixed(4)}` : "";
        return this.host.info(`model ${c?.model || "?"}, ${c?.totalTokens ?? 0} tokens used${context}${cost}`);
      }
    }
  }

  /** A request about a conversation. One the server does not know (it was restarted, or
   * crashed, since the tab opened) is resumed from the store and the request sent again. */
  private async call<M extends ConversationMethod>(method: M, params: Params<M>): Promise<Result<M>> {
    try {
      return await this.server.request(method, params);
    } catch (error) {
      if ((error as { code?: unknown }).code !== CodexErrorCodes.unknownConversation) throw error;
      const resumed = await this.server.request("codex/resumeConversation", {
        conversationId: params.conversationId,
      });
      this.update(withUndoable(this.state, params.conversationId, resumed.undoableTurnIds ?? []));
      return this.server.request(method, params);
    }
  }

  /** Attach editor context now (the "Add selection to chat" command): the composer shows it,
   * and it goes with the next message. */
  async attachContext(name: string): Promise<void> {
    const found = await this.host.context(name);
    if ("missing" in found) return this.host.warn(found.missing);
    this.host.post({ type: "attachedContext", context: { type: "context", name, text: found.text } });
  }

  /** The active conversation, or a new one (which becomes the active tab). */
  private async conversation(): Promise<string> {
    if (this.state.active) return this.state.active;
    const info = await this.server.request("codex/newConversation", {});
    this.update(opened(this.state, info.conversationId));
    return info.conversationId;
  }

  /** Undo a turn and every later one (the last file-changing turn when none is named). */
  async undo(turnId?: string): Promise<void> {
    const conversationId = this.state.active;
    if (!conversationId) return;
    await this.call("codex/undoTurn", turnId ? { conversationId, turnId } : { conversationId });
  }

  /** Drop `turnId` and every later turn of the active conversation (the model no longer sees them), taking
   * back their file changes: "Edit and resend" sends the edited message next. */
  async rewind(turnId: string): Promise<void> {
    const conversationId = this.state.active;
    if (!conversationId) return;
    await this.call("codex/rewindConversation", { conversationId, turnId, restoreFiles: true });
  }

  /** A new conversation from the active one's history up to the end of `turnId`, in a new tab. */
  async fork(turnId: string): Promise<void> {
    const source = this.state.active;
    if (!source) return;
    const info = await this.call("codex/forkConversation", { conversationId: source, turnId });
    this.update(forked(this.state, source, turnId, info.conversationId));
  }

  /** Switch the conversation's approval preset for its next turn; a preset that carries a
   * warning (full access) is confirmed first. */
  private async setMode(mode: ModeId): Promise<void> {
    const conversationId = await this.conversation();
    this.modes ??= (await this.server.request("codex/listModes", {})).modes;
    const warning = this.modes.find((m) => m.id === mode)?.warning;
    if (warning && !(await this.host.confirm(warning, "Switch to full access"))) return this.update(this.state);
    const result = await this.call("codex/setMode", { conversationId, mode });
    this.update(overridden(this.state, conversationId, { mode, approvalPolicy: result.mode.approvalPolicy }));
  }

  private async override(change: {
    model?: string;
    effort?: ReasoningEffort;
    approvalPolicy?: AskForApproval;
  }): Promise<void> {
    const conversationId = await this.conversation();
    await this.call("codex/overrideTurnContext", { conversationId, ...change });
    this.update(overridden(this.state, conversationId, change));
  }

  /** @-mention completion: the workspace files matching `query` (codex/fuzzyFileSearch), and
   * the folders on their paths whose name contains it (a folder is sent as a listing). */
  private async search(query: string): Promise<void> {
    const result = await this.server.request("codex/fuzzyFileSearch", { query, limit: 8 });
    const files = result.files.map((f) => f.path);
    this.host.post({ type: "files", query, files: [...files, ...folders(files, query)] });
  }

  /** Pick a stored conversation of the workspace; resume it in a tab, rename or archive it. */
  async history(): Promise<void> {
    const page = await this.server.request("codex/listConversations", { pageSize: 200, allWorkspaces: true });
    const picked = await this.host.pickStored(page.items);
    if (!picked) return;
    const conversationId = picked.row.conversationId;
    if (picked.action === "resume") {
      if (this.state.conversations[conversationId] && this.state.tabs.includes(conversationId)) {
        return this.update(opened(this.state, conversationId));
      }
      const resumed = await this.server.request("codex/resumeConversation", { conversationId });
      // The server stores the events it sent and gives them back as they were (EventMsg); the
      // generated type says only "objects" because the store keeps them as JSON.
      const messages = resumed.initialMessages as unknown as EventMsg[];
      const shown = replayed(this.state, conversationId, messages, picked.row.title);
      this.update(withUndoable(shown, conversationId, resumed.undoableTurnIds ?? []));
      // the replay shows the terminals it started; only the server knows which still run
      const { terminals } = await this.server.request("codex/listTerminals", { conversationId });
      this.update(terminalsListed(this.state, conversationId, terminals));
    } else if (picked.action === "rename") {
      await this.rename(conversationId, picked.row.title);
    } else {
      await this.server.request("codex/archiveConversation", { conversationId });
      this.update(closed(this.state, conversationId));
    }
  }

  private async rename(conversationId: string, current?: string): Promise<void> {
    const title = await this.host.askTitle(current ?? this.state.conversations[conversationId]?.title ?? "");
    if (!title) return;
    await this.server.request("codex/renameConversation", { conversationId, title });
    this.update(renamed(this.state, conversationId, title));
  }

  /** Answer the approval request `callId` through the codex-lsp.approve / deny commands (with the
   * hunks rejected in review); the server refuses an id that is no longer pending. */
  async answer(
    conversationId: string,
    callId: string,
    decision: ReviewDecision,
    rejectedHunks?: Record<string, number[]>,
  ): Promise<void> {
    const target = { callId, conversationId };
    const command: ApprovalCommand =
      decision === "denied"
        ? { command: "codex-lsp.deny", arguments: [target] }
        : {
            command: "codex-lsp.approve",
            arguments: [rejectedHunks ? { ...target, decision, rejectedHunks } : { ...target, decision }],
          };
    await this.server.request("workspace/executeCommand", command);
    this.update(answered(this.state, conversationId, callId));
  }

  private async openDiff(
    conversationId: string,
    callId: string,
    path: string,
    rejectedHunks?: number[],
  ): Promise<void> {
    const c = this.state.conversations[conversationId];
    const pending = c?.approvals.find((a) => a.callId === callId)?.changes?.[path];
    if (pending) return this.host.showDiff(path, pending, false, rejectedHunks);
    const entry = c?.entries.find((e) => e.kind === "patch" && e.id === callId);
    const change = entry?.kind === "patch" ? entry.changes[path] : undefined;
    if (!change) throw new Error(`no change to ${path} in this conversation`);
    await this.host.showDiff(path, change, true);
  }

  /** A quality-gate question answered in the panel (without an answer the server asks which):
   * the server writes it into the SPEC file and the run goes on; the card shows the answer. */
  private async answerQuestion(message: Extract<FromWebview, { type: "speckitAnswer" }>): Promise<void> {
    const { runId, checkpoint, issueId, answer } = message;
    const result = await this.server.request("workspace/executeCommand", {
      command: "codex-lsp.speckit.answer",
      arguments: answer === undefined ? [runId, checkpoint, issueId] : [runId, checkpoint, issueId, answer],
    });
    if ("answered" in result && result.answered)
      this.update(speckitAnswered(this.state, { runId, checkpoint, issueId, answer: result.answer ?? answer ?? "" }));
  }

  /** Take the new state; the webview gets it at most once per frame (streaming sends an event
   * per token), as the delta from what it has when it shows the same conversation. */
  private update(state: ChatState): void {
    this.state = state;
    if (this.scheduled) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      const view = panelView(this.state);
      const delta = this.posted && panelDelta(this.posted, view);
      this.host.post(delta ? { type: "delta", delta } : { type: "state", view });
      this.posted = view;
      this.host.changed(this.state);
    }, FRAME_MS);
  }
}
