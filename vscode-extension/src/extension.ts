// Assembles the extension: settings, server discovery (and the private install), the language
// client, the chat view, commands and the status bar. Each concern lives in its own module.
import * as vscode from "vscode";
import { join } from "node:path";
import { CodexClient } from "./client";
import { ChatView } from "./chatView";
import { discover, type ServerCommand } from "./discovery";
import { installServer, privateServer, run } from "./install";
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
    reviewPatches: c.get("reviewPatches"),
  };
}

async function pythonInterpreter(): Promise<string | undefined> {
  const python = vscode.extensions.getExtension("ms-python.python");
  if (!python) return undefined;
  const api = (await python.activate()) as { settings?: { getExecutionDetails?(): { execCommand?: string[] } } };
  return api.settings?.getExecutionDetails?.().execCommand?.[0];
}

/** The Python extension's interpreter, and whether codex_lsp is installed in it. */
async function pythonCandidate(): Promise<{ path: string; hasCodexLsp: boolean } | undefined> {
  const path = await pythonInterpreter();
  if (!path) return undefined;
  const hasCodexLsp = await run(path, ["-c", "import codex_lsp"], () => undefined, 15_000).then(
    () => true,
    () => false,
  );
  return { path, hasCodexLsp };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("codex-lsp", { log: true });
  const client = new CodexClient(output, () => toServerConfig(readSettings()));
  const chat = new ChatView(context.extensionUri, context.globalStorageUri, client);
  const status = new StatusBar();
  const venv = join(context.globalStorageUri.fsPath, "venv");
  context.subscriptions.push(output, client, chat, status);
  context.subscriptions.push(vscode.window.registerWebviewViewProvider(ChatView.id, chat, { webviewOptions: { retainContextWhenHidden: true } }));
  context.subscriptions.push(client.onEvent((event) => chat.receive(event)));
  context.subscriptions.push(chat.onDidChange((state) => status.show(state)));

  const install = async (): Promise<ServerCommand | undefined> => {
    const python = (await pythonInterpreter()) ?? (process.platform === "win32" ? "python" : "python3");
    const source = vscode.workspace.getConfiguration("codexLsp").get<string>("server.installSource") || "codex-lsp";
    output.show(true);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `codex-lsp: installing ${source} into a private environment` },
      async (progress) => {
        try {
          return await installServer(python, venv, source, (line) => {
            output.info(line);
            progress.report({ message: line.slice(0, 80) });
          });
        } catch (error) {
          void vscode.window.showErrorMessage(`codex-lsp: the install failed: ${(error as Error).message}`);
          return undefined;
        }
      },
    );
  };

  const start = () => {
    const starting = findAndStart();
    client.track(starting);
    return starting;
  };

  const findAndStart = async () => {
    const setting = vscode.workspace.getConfiguration("codexLsp").get<string[]>("server.command") ?? [];
    let server = await discover(setting, process.env.PATH, { privateServer: privateServer(venv), python: pythonCandidate });
    if (typeof server === "string") {
      const choice = await vscode.window.showErrorMessage(`codex-lsp: ${server}`, "Install", "Open Settings");
      if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", "codexLsp.server");
      const installed = choice === "Install" ? await install() : undefined;
      if (!installed) return;
      server = installed;
    }
    try {
      await client.start(server);
    } catch (error) {
      output.error(String(error));
      void vscode.window.showErrorMessage(`codex-lsp did not start: ${(error as Error).message}`);
    }
  };

  const bridge = chat.bridge;
  context.subscriptions.push(
    vscode.commands.registerCommand("codexLsp.openChat", () => vscode.commands.executeCommand("codexLsp.chat.focus")),
    vscode.commands.registerCommand("codexLsp.restartServer", start),
    vscode.commands.registerCommand("codexLsp.installServer", async () => {
      if (await install()) await start();
    }),
    vscode.commands.registerCommand("codexLsp.newConversation", async () => {
      await bridge.handle({ type: "newConversation" });
      await vscode.commands.executeCommand("codexLsp.chat.focus");
    }),
    vscode.commands.registerCommand("codexLsp.resumeConversation", () => bridge.handle({ type: "history" })),
    vscode.commands.registerCommand("codexLsp.undoTurn", () => bridge.handle({ type: "undo" })),
    vscode.commands.registerCommand("codexLsp.interrupt", () => bridge.handle({ type: "interrupt" })),
    vscode.commands.registerCommand("codexLsp.addSelection", async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.selection.isEmpty) return;
      await vscode.commands.executeCommand("codexLsp.chat.focus");
      await bridge.attachContext("selection");
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("codexLsp.server")) void start();
      else if (event.affectsConfiguration("codexLsp")) client.settingsChanged();
    }),
  );
  void start(); // activation does not wait for the server (or for the user to answer an install offer)
}

export function deactivate(): void {}
