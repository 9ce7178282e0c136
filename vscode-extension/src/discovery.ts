// Which command starts the server: the codexLsp.server.command setting, else `codex-lsp` on
// PATH, else the Python extension's interpreter with `-m codex_lsp`.
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

/** The server command, or the reason none was found (what to install or set). */
export function discover(
  setting: string[],
  path: string | undefined,
  pythonInterpreter: string | undefined,
): ServerCommand | string {
  if (setting.length > 0) {
    return { command: setting[0], args: setting.slice(1), source: "codexLsp.server.command" };
  }
  const found = onPath("codex-lsp", path);
  if (found) return { command: found, args: ["--stdio"], source: "PATH" };
  if (pythonInterpreter) {
    return { command: pythonInterpreter, args: ["-m", "codex_lsp", "--stdio"], source: "the Python extension's interpreter" };
  }
  return "codex-lsp was not found: install it (pip install codex-lsp) or set codexLsp.server.command";
}
