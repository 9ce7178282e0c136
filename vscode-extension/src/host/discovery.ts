// Which command starts the server: the codexLsp.server.command setting, else `codex-lsp` on
// PATH, else the extension's private environment, else the Python extension's interpreter with
// `-P -m codex_lsp` (when codex_lsp is installed there). `-P`: the server starts in the
// workspace, and without it Python would import a module the repository planted there (a
// `codex_lsp/` or a `json.py`) before codex-lsp's own.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface ServerCommand {
  command: string;
  args: string[];
  source: string;
}

/** The first executable named `name` on `path`, or undefined. */
export function onPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Where discovery looks besides the setting and PATH. */
export interface Candidates {
  privateServer?: ServerCommand;
  /** The Python extension's interpreter and whether codex_lsp is importable there; asked only
   * when nothing before it is found (it activates the Python extension and runs Python). */
  python?: () => Promise<{ path: string; hasCodexLsp: boolean } | undefined>;
}

/** The server command, or the reason none was found (what to install or set). */
export async function discover(
  setting: string[],
  path: string | undefined,
  candidates: Candidates = {},
): Promise<ServerCommand | string> {
  if (setting.length > 0) {
    return { command: setting[0], args: setting.slice(1), source: "codexLsp.server.command" };
  }
  const found = onPath("codex-lsp", path);
  if (found) return { command: found, args: ["--stdio"], source: "PATH" };
  if (candidates.privateServer) return candidates.privateServer;
  const python = await candidates.python?.();
  if (python?.hasCodexLsp) {
    return {
      command: python.path,
      args: ["-P", "-m", "codex_lsp", "--stdio"],
      source: "the Python extension's interpreter",
    };
  }
  const where = python ? `, nor in the Python extension's interpreter (${python.path})` : "";
  return `the codex-lsp server was not found on PATH${where}. Install it into a private environment, or set codexLsp.server.command`;
}
