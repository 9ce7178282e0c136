// Assembles the extension from host/: the language client, the chat view, the MCP servers view,
// the status bar, the commands and the server's lifecycle.
import * as vscode from "vscode";
import { ChatView } from "./host/chatView";
import { CodexClient } from "./host/client";
import { registerCommands } from "./host/commands";
import { ServerLifecycle } from "./host/lifecycle";
import { McpView } from "./host/mcpView";
import { readSettings, toServerConfig } from "./host/settings";
import { StatusBar } from "./host/statusBar";

let client: CodexClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("codex-lsp", { log: true });
  const codex = new CodexClient(output, () =>
    toServerConfig(readSettings(vscode.workspace.getConfiguration("codexLsp"))),
  );
  const chat = new ChatView(context.extensionUri, context.globalStorageUri, codex);
  const status = new StatusBar();
  const lifecycle = new ServerLifecycle(codex, output, context.globalStorageUri);
  client = codex;
  context.subscriptions.push(
    output,
    codex,
    chat,
    status,
    new McpView(codex),
    vscode.window.registerWebviewViewProvider(ChatView.id, chat, { webviewOptions: { retainContextWhenHidden: true } }),
    codex.onNotification("codex/event", (event) => chat.receive(event)),
    chat.onDidChange((state) => status.show(state)),
    lifecycle.watchSettings(),
    ...registerCommands(chat, lifecycle),
  );
  void lifecycle.start(); // activation does not wait for the server (or for the user to answer an install offer)
}

export function deactivate(): Promise<void> | undefined {
  return client?.stop();
}
