// The extension's commands (the palette and keybindings): they drive the chat bridge and the
// server's lifecycle.
import * as vscode from "vscode";
import type { ChatView } from "./chatView";
import type { ServerLifecycle } from "./lifecycle";

const focusChat = () => vscode.commands.executeCommand("codexLsp.chat.focus");

export function registerCommands(chat: ChatView, lifecycle: ServerLifecycle): vscode.Disposable[] {
  const bridge = chat.bridge;
  return [
    vscode.commands.registerCommand("codexLsp.openChat", () => chat.focusComposer()),
    vscode.commands.registerCommand("codexLsp.restartServer", () => lifecycle.start()),
    vscode.commands.registerCommand("codexLsp.installServer", async () => {
      if (await lifecycle.install()) await lifecycle.start();
    }),
    vscode.commands.registerCommand("codexLsp.newConversation", async () => {
      await bridge.handle({ type: "newConversation" });
      await focusChat();
    }),
    vscode.commands.registerCommand("codexLsp.resumeConversation", () => bridge.handle({ type: "history" })),
    vscode.commands.registerCommand("codexLsp.undoTurn", () => bridge.handle({ type: "undo" })),
    vscode.commands.registerCommand("codexLsp.interrupt", () => bridge.handle({ type: "interrupt" })),
    vscode.commands.registerCommand("codexLsp.addSelection", async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.selection.isEmpty) return;
      await focusChat();
      await bridge.attachContext("selection");
    }),
  ];
}
