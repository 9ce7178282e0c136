// The MCP servers codex-lsp runs, as the MCP view shows them: listed when the server starts
// (codex/listMcpServers), kept live by codex/mcpServerStatus, restarted on request
// (codex/restartMcpServer). No `vscode` import: the unit tests drive it against a real server.
import type { McpServerStatus } from "../shared/generated";
import type { Server } from "./requests";

export type McpState = McpServerStatus["state"];

/** A tool as the view lists it: its own name, and the name the model calls it by. */
export interface McpToolRow {
  name: string;
  qualifiedName: string;
}

/** One server as the view draws it. */
export interface McpServerRow {
  name: string;
  state: McpState;
  /** Beside the name: the state, the tool count or the failure. */
  description: string;
  /** On hover: the state and, for a failure, its whole reason. */
  tooltip: string;
  /** A codicon for the state. */
  icon: "loading~spin" | "pass" | "error" | "circle-slash";
  tools: McpToolRow[];
}

const ICONS: Record<McpState, McpServerRow["icon"]> = {
  starting: "loading~spin",
  ready: "pass",
  failed: "error",
  stopped: "circle-slash",
};

/** The tool's own name: its qualified name (`<server>__<tool>`, sanitised) without the prefix. */
function tool(server: string, qualifiedName: string): McpToolRow {
  const prefix = `${server.replace(/[^a-zA-Z0-9_-]/g, "_")}__`;
  const name = qualifiedName.startsWith(prefix) ? qualifiedName.slice(prefix.length) : qualifiedName;
  return { name, qualifiedName };
}

function count(tools: number): string {
  return tools === 1 ? "1 tool" : `${tools === 0 ? "no" : tools} tools`;
}

/** How the view shows one server's status. */
export function row(status: McpServerStatus): McpServerRow {
  const tools = (status.tools ?? []).map((t) => tool(status.name, t));
  const reason = status.reason ? `: ${status.reason}` : "";
  const description = {
    starting: "starting…",
    ready: `ready · ${count(tools.length)}`,
    failed: `failed${reason}`,
    stopped: "stopped",
  }[status.state];
  return {
    name: status.name,
    state: status.state,
    description,
    tooltip: `${status.name}: ${status.state}${reason}`,
    icon: ICONS[status.state],
    tools,
  };
}

export class McpServers {
  private servers: McpServerStatus[] = [];
  /** Whether the list is the server's (false before the first answer and while it is not running). */
  known = false;
  /** The statuses notified while a list request is on its way, by server name. */
  private readonly noted = new Set<Map<string, McpServerStatus>>();

  constructor(
    private readonly server: Server,
    private readonly changed: () => void,
  ) {}

  /** List the servers again (the language server started, or the user asked). A status
   * notified while the request is on its way wins over the list: the server may have computed
   * the list before that change and written its answer after the notification. */
  async refresh(): Promise<void> {
    const noted = new Map<string, McpServerStatus>();
    this.noted.add(noted);
    try {
      const { servers } = await this.server.request("codex/listMcpServers", {});
      const added = [...noted.values()].filter((n) => !servers.some((s) => s.name === n.name));
      this.servers = [...servers.map((s) => noted.get(s.name) ?? s), ...added];
      this.known = true;
    } finally {
      this.noted.delete(noted);
    }
    this.changed();
  }

  /** A codex/mcpServerStatus notification: a server changed state. */
  update(status: McpServerStatus): void {
    for (const noted of this.noted) noted.set(status.name, status);
    const known = this.servers.some((s) => s.name === status.name);
    this.servers = known ? this.servers.map((s) => (s.name === status.name ? status : s)) : [...this.servers, status];
    this.changed();
  }

  /** The language server stopped: nothing is known until it runs again. */
  clear(): void {
    this.servers = [];
    this.known = false;
    this.changed();
  }

  /** Ask the server to restart `name` now; its new states follow as notifications. */
  async restart(name: string): Promise<void> {
    await this.server.request("codex/restartMcpServer", { name });
  }

  rows(): McpServerRow[] {
    return this.servers.map(row);
  }
}
