// Assembles the extension: settings, server discovery, the language client, the chat view,
// commands and the status bar. Each concern lives in its own module.
import * as vscode from "vscode";
import { CodexClient } from "./client";
import { ChatView } from "./chatView";
import { discover } from "./discovery";
import { toServerConfig, type ExtensionSettings } from "./settings";
import { StatusBar } from "./statusBar";

function readSettings(): Partial<ExtensionSettings> {
  const c = vscode.workspace.getConfiguration("codexLsp");
  return {
    model: c.get("model"),
    modelProvider: c.get("modelProvider"),
    approvalPolicy: c.get("approvalPolicy"),
    sandbox: c.get("sandbox"),
    reasoningEffort: c.get("reasoningEffort"),
  };
}

async function pythonInterpreter(): Promise<string | undefined> {
  const python = vscode.extensions.getExtension("ms-python.python");
  if (!python) return undefined;
  const api = (await python.activate()) as { settings?: { getExecutionDetails?(): { execCommand?: string[] } } };
  return api.settings?.getExecutionDetails?.().execCommand?.[0];
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("codex-lsp", { log: true });
  const client = new CodexClient(output, () => toServerConfig(readSettings()));
  const chat = new ChatView(context.extensionUri, client);
  const status = new StatusBar();
  context.subscriptions.push(output, client, chat, status);
  context.subscriptions.push(vscode.window.registerWebviewViewProvider(ChatView.id, chat, { webviewOptions: { retainContextWhenHidden: true } }));
  context.subscriptions.push(client.onEvent((event) => chat.receive(event)));
  context.subscriptions.push(chat.onDidChange((state) => status.show(state)));

  const start = async () => {
    const setting = vscode.workspace.getConfiguration("codexLsp").get<string[]>("server.command") ?? [];
    const server = discover(setting, process.env.PATH, await pythonInterpreter());
    if (typeof server === "string") {
      void vscode.window.showErrorMessage(`codex-lsp: ${server}`, "Open Settings").then((choice) => {
        if (choice) void vscode.commands.executeCommand("workbench.action.openSettings", "codexLsp.server.command");
      });
      return;
    }
    try {
      await client.start(server);
    } catch (error) {
      output.error(String(error));
      void vscode.window.showErrorMessage(`codex-lsp did not start: ${(error as Error).message}`);
    }
  };

  context.subscriptions.push(
    vscode.commands.registerCommand("codexLsp.openChat", () => vscode.commands.executeCommand("codexLsp.chat.focus")),
    vscode.commands.registerCommand("codexLsp.restartServer", start),
    vscode.commands.registerCommand("codexLsp.newConversation", () => {
      chat.state = { ...chat.state, active: undefined };
      return vscode.commands.executeCommand("codexLsp.chat.focus");
    }),
    vscode.commands.registerCommand("codexLsp.resumeConversation", () => chat.pickConversation()),
    vscode.commands.registerCommand("codexLsp.undoTurn", () => chat.undo()),
    vscode.commands.registerCommand("codexLsp.interrupt", () =>
      chat.state.active ? client.request("codex/interrupt", { conversationId: chat.state.active }) : undefined,
    ),
    vscode.commands.registerCommand("codexLsp.addSelection", async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.selection.isEmpty) return;
      const path = vscode.workspace.asRelativePath(editor.document.uri);
      const start = editor.selection.start.line + 1;
      const text = editor.document.getText(editor.selection);
      await chat.send(`About ${path}:${start}:\n\`\`\`\n${text}\n\`\`\``);
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("codexLsp.server.command")) void start();
      else if (event.affectsConfiguration("codexLsp")) client.settingsChanged();
    }),
  );
  await start();
}

export function deactivate(): void {}
