// The chat panel: a webview view with a strict CSP, and the bridge between it and the server.
// The webview posts user actions; the extension posts the transcript state it keeps.
import * as vscode from "vscode";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { CodexClient } from "./client";
import { messageItems, parseSlash } from "./composer";
import type { Event, EventMsg } from "./protocol/generated";
import { answered, emptyState, reduce, replayed, type ChatState } from "./webview/state";

export type FromWebview =
  | { type: "ready" }
  | { type: "send"; text: string }
  | { type: "approve"; conversationId: string; callId: string; decision: string }
  | { type: "interrupt" }
  | { type: "undo" }
  | { type: "search"; query: string }
  | { type: "newConversation" };

export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly id = "codexLsp.chat";
  state: ChatState = emptyState;
  private view: vscode.WebviewView | undefined;
  private readonly changed = new vscode.EventEmitter<ChatState>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: CodexClient,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, "dist")] };
    view.webview.html = this.html(view.webview);
    view.webview.onDidReceiveMessage((message: FromWebview) => void this.handle(message));
  }

  /** A codex/event arrived: update the transcript, tell the webview, surface approvals. */
  receive(event: Event): void {
    this.state = reduce(this.state, event);
    this.post();
    const msg = event.msg;
    if ((msg.type === "execApprovalRequest" || msg.type === "applyPatchApprovalRequest") && !this.view?.visible) {
      void this.notifyApproval(event);
    }
  }

  /** Send a message (with its @-mentioned files), or run a slash command. */
  async send(text: string): Promise<void> {
    const slash = parseSlash(text);
    if (slash?.kind === "error") {
      void vscode.window.showWarningMessage(`codex-lsp: ${slash.message}`);
      return;
    }
    const conversationId = await this.conversation();
    if (!slash) {
      const items = messageItems(text, (path) => this.workspaceHas(path));
      await this.client.request("codex/userInput", { conversationId, items });
      return;
    }
    const params = { conversationId };
    if (slash.kind === "compact") await this.client.request("codex/compact", params);
    else if (slash.kind === "undo") await this.undo();
    else if (slash.kind === "review")
      await this.client.request("codex/review", { ...params, reviewRequest: { target: { type: "uncommittedChanges" } } });
    else if (slash.kind === "model") await this.client.request("codex/overrideTurnContext", { ...params, model: slash.model });
    else if (slash.kind === "effort") await this.client.request("codex/overrideTurnContext", { ...params, effort: slash.effort });
    else if (slash.kind === "approvals")
      await this.client.request("codex/overrideTurnContext", { ...params, approvalPolicy: slash.policy });
    else if (slash.kind === "status") {
      const c = this.state.conversations[conversationId];
      const context = typeof c?.contextLeftPercent === "number" ? `, ${c.contextLeftPercent}% of the context left` : "";
      void vscode.window.showInformationMessage(`codex-lsp: model ${c?.model || "?"}, ${c?.totalTokens ?? 0} tokens used${context}`);
    }
  }

  private async conversation(): Promise<string> {
    if (this.state.active) return this.state.active;
    const info = await this.client.request<{ conversationId: string }>("codex/newConversation", {});
    this.state = { ...this.state, active: info.conversationId };
    return info.conversationId;
  }

  private workspaceHas(path: string): boolean {
    const folder = vscode.workspace.workspaceFolders?.[0];
    return !!folder && existsSync(join(folder.uri.fsPath, path));
  }

  /** @-mention completion: the workspace files matching `query` (codex/fuzzyFileSearch). */
  private async search(query: string): Promise<void> {
    const result = await this.client.request<{ files: { path: string }[] }>("codex/fuzzyFileSearch", { query, limit: 8 });
    void this.view?.webview.postMessage({ type: "files", query, files: result.files.map((f) => f.path) });
  }

  private async handle(message: FromWebview): Promise<void> {
    try {
      if (message.type === "ready") this.post();
      else if (message.type === "send") await this.send(message.text);
      else if (message.type === "approve") await this.answer(message.conversationId, message.callId, message.decision);
      else if (message.type === "interrupt" && this.state.active)
        await this.client.request("codex/interrupt", { conversationId: this.state.active });
      else if (message.type === "undo") await this.undo();
      else if (message.type === "search") await this.search(message.query);
      else if (message.type === "newConversation") this.state = { ...this.state, active: undefined };
    } catch (error) {
      void vscode.window.showErrorMessage(`codex-lsp: ${(error as Error).message}`);
    }
  }

  /** Restore the files the last turn changed (codex/undoTurn). */
  async undo(): Promise<void> {
    if (this.state.active) await this.client.request("codex/undoTurn", { conversationId: this.state.active });
  }

  /** Pick a stored conversation of the workspace; resume, rename or archive it. */
  async pickConversation(): Promise<void> {
    interface Row { conversationId: string; title: string; updatedAt: number; turnCount: number }
    const page = await this.client.request<{ items: Row[] }>("codex/listConversations", { pageSize: 100 });
    const picked = await vscode.window.showQuickPick(
      page.items.map((row) => ({
        label: row.title,
        description: `${row.turnCount} turns · ${new Date(row.updatedAt * 1000).toLocaleString()}`,
        row,
      })),
      { placeHolder: "Resume a conversation" },
    );
    if (!picked) return;
    const action = await vscode.window.showQuickPick(["Resume", "Rename…", "Archive"], { placeHolder: picked.label });
    const conversationId = picked.row.conversationId;
    if (action === "Resume") {
      const resumed = await this.client.request<{ initialMessages: EventMsg[] }>("codex/resumeConversation", { conversationId });
      this.state = replayed(this.state, conversationId, resumed.initialMessages);
      this.post();
    } else if (action === "Rename…") {
      const title = await vscode.window.showInputBox({ value: picked.label, prompt: "New title" });
      if (title) await this.client.request("codex/renameConversation", { conversationId, title });
    } else if (action === "Archive") {
      await this.client.request("codex/archiveConversation", { conversationId });
    }
  }

  private async answer(conversationId: string, callId: string, decision: string): Promise<void> {
    const command = decision === "denied" ? "codex-lsp.deny" : "codex-lsp.approve";
    const args = decision === "denied" ? [conversationId] : [decision, conversationId];
    await this.client.command(command, args);
    this.state = answered(this.state, conversationId, callId);
    this.post();
  }

  private async notifyApproval(event: Event): Promise<void> {
    const msg = event.msg;
    if (msg.type !== "execApprovalRequest" && msg.type !== "applyPatchApprovalRequest") return;
    const what = msg.type === "execApprovalRequest" ? `run \`${msg.command.join(" ")}\`` : `change ${Object.keys(msg.changes).join(", ")}`;
    const choice = await vscode.window.showWarningMessage(`codex-lsp wants to ${what}`, "Approve", "Deny", "Open Chat");
    if (choice === "Open Chat") await vscode.commands.executeCommand("codexLsp.chat.focus");
    else if (choice) await this.answer(event.conversationId, msg.callId, choice === "Approve" ? "approved" : "denied");
  }

  private post(): void {
    void this.view?.webview.postMessage({ type: "state", state: this.state });
    this.changed.fire(this.state);
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString("base64");
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "webview.js"));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource} 'unsafe-inline'`,
      `img-src ${webview.cspSource} data:`,
      `script-src 'nonce-${nonce}'`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 8px; }
.entry { margin: 8px 0; } .user { color: var(--vscode-textLink-foreground); white-space: pre-wrap; }
pre { background: var(--vscode-textCodeBlock-background); padding: 6px; overflow-x: auto; }
.notice-error { color: var(--vscode-errorForeground); } .meta { opacity: 0.7; font-size: 0.9em; }
details summary { cursor: pointer; opacity: 0.8; } .approval { border: 1px solid var(--vscode-focusBorder); padding: 6px; }
.hljs-keyword, .hljs-built_in { color: var(--vscode-symbolIcon-keywordForeground, #af00db); }
.hljs-string { color: var(--vscode-debugTokenExpression-string, #a31515); }
.hljs-number, .hljs-literal { color: var(--vscode-debugTokenExpression-number, #098658); }
.hljs-comment { opacity: 0.7; font-style: italic; }
textarea { width: 100%; min-height: 4em; box-sizing: border-box; font-family: inherit; }
button { margin: 2px 4px 2px 0; }
#suggestions div { cursor: pointer; padding: 1px 4px; } #suggestions div:hover { background: var(--vscode-list-hoverBackground); }
</style></head>
<body>
<div id="transcript" role="log" aria-live="polite"></div>
<div id="approvals"></div>
<div class="meta" id="meter"></div>
<div id="suggestions" role="listbox" class="meta"></div>
<textarea id="composer" aria-label="Message codex-lsp" placeholder="Ask codex-lsp (Enter to send, Shift+Enter for a new line, @ for files, / for commands)"></textarea>
<button id="send">Send</button><button id="interrupt">Interrupt</button><button id="undo">Undo last turn</button><button id="new">New conversation</button>
<script nonce="${nonce}" src="${script}"></script>
</body></html>`;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
