// The language client's lifecycle: start codex-lsp over stdio, declare approvals answered by
// commands, forward the server's notifications, send typed requests, restart on demand.
import * as vscode from "vscode";
import {
  LanguageClient,
  type ClientCapabilities,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
  State,
  TransportKind,
  vsdiag,
} from "vscode-languageclient/node";
import type { ServerCommand } from "./discovery";
import { askQuestions, type QuestionUi } from "./questions";
import type { RequestUserInputParams } from "../shared/generated";
import type { Method, Notifications, Params, Result, Server } from "./requests";

const approvalsByCommand: StaticFeature = {
  fillClientCapabilities(capabilities: ClientCapabilities) {
    const experimental = (capabilities.experimental ?? {}) as Record<string, unknown>;
    capabilities.experimental = { ...experimental, codex: { approvals: "commands", requestUserInput: true } };
  },
  initialize() {},
  getState: () => ({ kind: "static" }),
  clear() {},
};

const quickPicks: QuestionUi = {
  pick: async (items, title) => (await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true }))?.label,
  type: (prompt) => Promise.resolve(vscode.window.showInputBox({ prompt, ignoreFocusOut: true })),
};

const START_WAIT_MS = 5 * 60_000;

type Listeners = { [N in keyof Notifications]: Set<(params: Notifications[N]["params"]) => void> };

export class CodexClient implements vscode.Disposable, Server {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly listeners: Listeners = { "codex/event": new Set(), "codex/mcpServerStatus": new Set() };
  private readonly running = new vscode.EventEmitter<boolean>();
  /** The server started (again, after a crash too) or stopped. */
  readonly onDidChangeRunning = this.running.event;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly settings: () => Record<string, string | boolean>,
  ) {}

  /** Listen to a server notification, across restarts of the server. */
  onNotification<N extends keyof Notifications>(
    method: N,
    listener: (params: Notifications[N]["params"]) => void,
  ): vscode.Disposable {
    const listeners: Set<typeof listener> = this.listeners[method];
    listeners.add(listener);
    return new vscode.Disposable(() => listeners.delete(listener));
  }

  async start(server: ServerCommand): Promise<void> {
    await this.stop();
    const serverOptions: ServerOptions = { command: server.command, args: server.args, transport: TransportKind.stdio };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }],
      outputChannel: this.output,
      initializationOptions: this.settings(),
      middleware: {
        // The server publishes every diagnostic, for closed files too; pulling them as well
        // (textDocument/diagnostic, for other clients) would list each one twice in Problems.
        provideDiagnostics: () => ({ kind: vsdiag.DocumentDiagnosticReportKind.full, items: [] }),
      },
    };
    const client = new LanguageClient("codexLsp", "codex-lsp", serverOptions, clientOptions);
    client.registerFeature(approvalsByCommand);
    client.onRequest("codex/requestUserInput", (params: RequestUserInputParams) => askQuestions(params, quickPicks));
    this.forward(client, "codex/event");
    this.forward(client, "codex/mcpServerStatus");
    client.onDidChangeState(({ newState }) => {
      if (this.client === client) this.running.fire(newState === State.Running);
    });
    this.output.info(`starting ${server.command} ${server.args.join(" ")} (from ${server.source})`);
    await client.start();
    this.client = client;
    this.running.fire(true);
  }

  private forward<N extends keyof Notifications>(client: LanguageClient, method: N): void {
    const listeners: Set<(params: Notifications[N]["params"]) => void> = this.listeners[method];
    client.onNotification(method, (params: Notifications[N]["params"]) => listeners.forEach((l) => l(params)));
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    this.running.fire(false);
    await client.stop();
  }

  /** The server is being found, installed or started: requests wait for it (up to a limit)
   * instead of failing, so a message typed meanwhile is not lost. */
  track(starting: Promise<void>): void {
    const tracked = starting.finally(() => {
      if (this.starting === tracked) this.starting = undefined;
    });
    this.starting = tracked;
  }

  /** A request of the protocol, typed by its method; it waits for a server that is starting. */
  async request<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    if (!this.client && this.starting) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, START_WAIT_MS)));
      await Promise.race([this.starting.catch(() => undefined), limit]);
      clearTimeout(timer);
    }
    if (!this.client)
      throw new Error("codex-lsp is not running: run codex-lsp: Restart Server (its log is in the codex-lsp output)");
    return this.client.sendRequest<Result<M>>(method, params);
  }

  settingsChanged(): void {
    void this.client?.sendNotification("workspace/didChangeConfiguration", { settings: this.settings() });
  }

  dispose(): void {
    void this.stop().finally(() => this.running.dispose());
  }
}
