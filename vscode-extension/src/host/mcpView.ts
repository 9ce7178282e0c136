// The MCP Servers view (beside the chat): every configured MCP server with its state (starting,
// ready with its tools, failed with the reason, stopped), live, and a Restart action per server.
import * as vscode from "vscode";
import type { CodexClient } from "./client";
import { McpServers, type McpServerRow, type McpToolRow } from "./mcpServers";

type Node = { kind: "server"; row: McpServerRow } | { kind: "tool"; server: string; tool: McpToolRow };

const COLORS: Partial<Record<McpServerRow["state"], string>> = {
  ready: "testing.iconPassed",
  failed: "testing.iconFailed",
};

export class McpView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  static readonly id = "codexLsp.mcpServers";
  private readonly changes = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changes.event;
  private readonly servers: McpServers;
  private readonly view: vscode.TreeView<Node>;
  private readonly disposables: vscode.Disposable[];

  constructor(client: CodexClient) {
    this.servers = new McpServers(client, () => this.changed());
    this.view = vscode.window.createTreeView(McpView.id, { treeDataProvider: this, showCollapseAll: true });
    this.disposables = [
      this.view,
      this.changes,
      client.onNotification("codex/mcpServerStatus", (status) => this.servers.update(status)),
      client.onDidChangeRunning((running) => (running ? void this.refresh() : this.servers.clear())),
      vscode.commands.registerCommand("codexLsp.refreshMcpServers", () => this.refresh()),
      vscode.commands.registerCommand("codexLsp.restartMcpServer", (node?: Node) => this.restart(node)),
    ];
    this.changed();
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.servers.rows().map((row) => ({ kind: "server", row }));
    if (node.kind === "tool") return [];
    return node.row.tools.map((tool) => ({ kind: "tool", server: node.row.name, tool }));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === "tool") {
      const item = new vscode.TreeItem(node.tool.name, vscode.TreeItemCollapsibleState.None);
      item.id = `tool:${node.server}:${node.tool.qualifiedName}`;
      item.iconPath = new vscode.ThemeIcon("tools");
      item.tooltip = `The model calls it ${node.tool.qualifiedName}`;
      return item;
    }
    const { row } = node;
    const state = row.tools.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(row.name, state);
    item.id = `server:${row.name}`;
    item.description = row.description;
    item.tooltip = row.tooltip;
    const color = COLORS[row.state];
    item.iconPath = new vscode.ThemeIcon(row.icon, color ? new vscode.ThemeColor(color) : undefined);
    item.contextValue = "mcpServer";
    return item;
  }

  /** Restart a server: the one whose action was clicked, or one picked from the list. */
  private async restart(node?: Node): Promise<void> {
    const name = node?.kind === "server" ? node.row.name : await this.pick();
    if (!name) return;
    try {
      await this.servers.restart(name);
    } catch (error) {
      void vscode.window.showWarningMessage(`codex-lsp: ${(error as Error).message}`);
    }
  }

  private async pick(): Promise<string | undefined> {
    const rows = this.servers.rows();
    if (!rows.length) {
      void vscode.window.showInformationMessage(`codex-lsp: ${this.empty()}`);
      return undefined;
    }
    const items = rows.map((row) => ({ label: row.name, description: row.description }));
    return (await vscode.window.showQuickPick(items, { placeHolder: "Restart which MCP server?" }))?.label;
  }

  private async refresh(): Promise<void> {
    try {
      await this.servers.refresh();
    } catch (error) {
      void vscode.window.showWarningMessage(
        `codex-lsp: the MCP servers could not be listed: ${(error as Error).message}`,
      );
    }
  }

  private empty(): string {
    return this.servers.known
      ? "No MCP servers are configured: add [mcp_servers.<name>] tables to config.toml."
      : "codex-lsp is not running.";
  }

  private changed(): void {
    this.view.message = this.servers.rows().length ? undefined : this.empty();
    this.changes.fire(undefined);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
