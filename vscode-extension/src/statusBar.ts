// A status bar item: idle, working, or waiting for approval, with the context left.
import * as vscode from "vscode";
import { emptyState, type ChatState } from "./webview/state";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.command = "codexLsp.openChat";
    this.show(emptyState);
  }

  show(state: ChatState): void {
    const c = state.active ? state.conversations[state.active] : undefined;
    const status = !c ? "idle" : c.approvals.length ? "approval" : c.running ? "working" : "idle";
    const icon = status === "working" ? "$(sync~spin)" : status === "approval" ? "$(question)" : "$(comment-discussion)";
    const context = c?.contextLeftPercent !== undefined ? ` · ${c.contextLeftPercent}% context left` : "";
    this.item.text = `${icon} codex ${status}`;
    this.item.tooltip = `codex-lsp: ${status}${context}`;
    void vscode.commands.executeCommand("setContext", "codexLsp.working", status === "working");
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
