// Finding, installing and (re)starting the server: discovery (the setting, PATH, the private
// environment, the Python extension's interpreter), the Install offer when none is found, and a
// restart when a codexLsp.server.* setting changes.
import * as vscode from "vscode";
import { join } from "node:path";
import type { CodexClient } from "./client";
import { discover, type ServerCommand } from "./discovery";
import { installServer, privateServer, run } from "./install";

/** The Python extension's API, as far as it is used here. */
interface PythonApi {
  settings?: { getExecutionDetails?(): { execCommand?: string[] } };
}

async function pythonInterpreter(): Promise<string | undefined> {
  const python = vscode.extensions.getExtension<PythonApi>("ms-python.python");
  if (!python) return undefined;
  const api = await python.activate();
  return api.settings?.getExecutionDetails?.().execCommand?.[0];
}

/** The Python extension's interpreter, and whether codex_lsp is installed in it. */
async function pythonCandidate(): Promise<{ path: string; hasCodexLsp: boolean } | undefined> {
  const path = await pythonInterpreter();
  if (!path) return undefined;
  const hasCodexLsp = await run(path, ["-P", "-c", "import codex_lsp"], () => undefined, 15_000).then(
    () => true,
    () => false,
  );
  return { path, hasCodexLsp };
}

export class ServerLifecycle {
  private readonly venv: string;

  constructor(
    private readonly client: CodexClient,
    private readonly output: vscode.LogOutputChannel,
    storage: vscode.Uri,
  ) {
    this.venv = join(storage.fsPath, "venv");
  }

  /** Find (or offer to install) the server and start it; requests sent meanwhile wait for it. */
  start(): Promise<void> {
    const starting = this.findAndStart();
    this.client.track(starting);
    return starting;
  }

  /** Install the server into the private environment, with progress; undefined when it failed. */
  async install(): Promise<ServerCommand | undefined> {
    const python = (await pythonInterpreter()) ?? (process.platform === "win32" ? "python" : "python3");
    const source = vscode.workspace.getConfiguration("codexLsp").get<string>("server.installSource") || "codex-lsp";
    this.output.show(true);
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `codex-lsp: installing ${source} into a private environment`,
      },
      async (progress) => {
        try {
          return await installServer(python, this.venv, source, (line) => {
            this.output.info(line);
            progress.report({ message: line.slice(0, 80) });
          });
        } catch (error) {
          void vscode.window.showErrorMessage(`codex-lsp: the install failed: ${(error as Error).message}`);
          return undefined;
        }
      },
    );
  }

  /** Restart on a codexLsp.server.* change; pass any other codexLsp.* change to the server. */
  watchSettings(): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("codexLsp.server")) void this.start();
      else if (event.affectsConfiguration("codexLsp")) this.client.settingsChanged();
    });
  }

  private async findAndStart(): Promise<void> {
    const setting = vscode.workspace.getConfiguration("codexLsp").get<string[]>("server.command") ?? [];
    let server = await discover(setting, process.env.PATH, {
      privateServer: privateServer(this.venv),
      python: pythonCandidate,
    });
    if (typeof server === "string") {
      const choice = await vscode.window.showErrorMessage(`codex-lsp: ${server}`, "Install", "Open Settings");
      if (choice === "Open Settings")
        void vscode.commands.executeCommand("workbench.action.openSettings", "codexLsp.server");
      const installed = choice === "Install" ? await this.install() : undefined;
      if (!installed) return;
      server = installed;
    }
    try {
      await this.client.start(server);
    } catch (error) {
      this.output.error(String(error));
      void vscode.window.showErrorMessage(`codex-lsp did not start: ${(error as Error).message}`);
    }
  }
}
