// A status bar item: waiting for approval (any tab), working (any tab), or idle, with the active
// conversation's context left.
import * as vscode from "vscode";
import { emptyState, panelStatus, type ChatState } from "../shared/state";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.command = "codexLsp.openChat";
    this.show(emptyState);
  }

  show(state: ChatState): void {
    const c = state.active ? state.conversations[state.active] : undefined;
    const status = panelStatus(state);
    const icon =
      status === "working" ? "$(sync~spin)" : status === "approval" ? "$(question)" : "$(comment-discussion)";
    const context = typeof c?.contextLeftPercent === "number" ? ` · ${c.contextLeftPercent}% context left` : "";
    this.item.text = `${icon} codex ${status}`;
    this.item.tooltip = `codex-lsp: ${status}${context}`;
    void vscode.commands.executeCommand("setContext", "codexLsp.working", status === "working");
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
