// The language client's lifecycle: start codex-lsp over stdio, declare approvals answered by
// commands, forward codex/event, restart on demand.
import * as vscode from "vscode";
import {
  LanguageClient,
  type ClientCapabilities,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
  TransportKind,
} from "vscode-languageclient/node";
import type { Event } from "../shared/generated";
import type { ServerCommand } from "./discovery";

const approvalsByCommand: StaticFeature = {
  fillClientCapabilities(capabilities: ClientCapabilities) {
    capabilities.experimental = { ...(capabilities.experimental ?? {}), codex: { approvals: "commands" } };
  },
  initialize() {},
  getState: () => ({ kind: "static" }),
  clear() {},
};

const START_WAIT_MS = 5 * 60_000;

export class CodexClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly listeners = new Set<(event: Event) => void>();

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly settings: () => Record<string, string | boolean>,
  ) {}

  onEvent(listener: (event: Event) => void): vscode.Disposable {
    this.listeners.add(listener);
    return new vscode.Disposable(() => this.listeners.delete(listener));
  }

  async start(server: ServerCommand): Promise<void> {
    await this.stop();
    const serverOptions: ServerOptions = { command: server.command, args: server.args, transport: TransportKind.stdio };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }],
      outputChannel: this.output,
      initializationOptions: this.settings(),
    };
    const client = new LanguageClient("codexLsp", "codex-lsp", serverOptions, clientOptions);
    client.registerFeature(approvalsByCommand);
    client.onNotification("codex/event", (event: Event) => this.listeners.forEach((l) => l(event)));
    this.output.info(`starting ${server.command} ${server.args.join(" ")} (from ${server.source})`);
    await client.start();
    this.client = client;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.stop();
  }

  /** The server is being found, installed or started: requests wait for it (up to a limit)
   * instead of failing, so a message typed meanwhile is not lost. */
  track(starting: Promise<void>): void {
    const tracked = starting.finally(() => {
      if (this.starting === tracked) this.starting = undefined;
    });
    this.starting = tracked;
  }

  async request<T>(method: string, params: unknown): Promise<T> {
    if (!this.client && this.starting) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, START_WAIT_MS)));
      await Promise.race([this.starting.catch(() => undefined), limit]);
      clearTimeout(timer);
    }
    if (!this.client) throw new Error("codex-lsp is not running: run codex-lsp: Restart Server (its log is in the codex-lsp output)");
    return this.client.sendRequest<T>(method, params);
  }

  async command(name: string, args: unknown[]): Promise<unknown> {
    return this.request("workspace/executeCommand", { command: name, arguments: args });
  }

  settingsChanged(): void {
    void this.client?.sendNotification("workspace/didChangeConfiguration", { settings: this.settings() });
  }

  dispose(): void {
    void this.stop();
  }
}
