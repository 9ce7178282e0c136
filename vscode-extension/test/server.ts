// A real codex-lsp process over stdio (vscode-jsonrpc) for the tests that drive the extension's
// host side against it. Needs CODEX_LSP_PYTHON: the interpreter codex-lsp is installed in
// (`make extension` sets it).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from "vscode-jsonrpc/node";

export const PYTHON = process.env.CODEX_LSP_PYTHON;
export const SKIP = PYTHON
  ? false
  : "CODEX_LSP_PYTHON is not set (the Python interpreter codex-lsp is installed in; `make extension` sets it)";

const STDERR_KEPT = 16_384;

/** codex-lsp started in `workspace` with its home (config.toml, the store) in `home`, initialized.
 * Its stderr is read as it comes (a full pipe would stall the server); `stderr()` is its tail. */
export async function startServer(
  home: string,
  workspace: string,
): Promise<{ connection: MessageConnection; child: ChildProcessWithoutNullStreams; stderr: () => string }> {
  const child = spawn(PYTHON!, ["-m", "codex_lsp", "--stdio"], {
    cwd: workspace,
    env: { ...process.env, CODEX_LSP_HOME: home, CODEX_HOME: home },
  });
  let said = "";
  child.stderr.on("data", (chunk: Buffer) => {
    said = (said + chunk.toString()).slice(-STDERR_KEPT);
  });
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  connection.onRequest("window/workDoneProgress/create", () => null);
  connection.onRequest("client/registerCapability", () => null);
  connection.onRequest("workspace/configuration", (params: { items: unknown[] }) => params.items.map(() => ({})));
  connection.listen();
  await connection.sendRequest("initialize", {
    processId: process.pid,
    rootUri: `file://${workspace}`,
    capabilities: {
      experimental: { codex: { approvals: "commands" } },
      workspace: { workspaceEdit: { documentChanges: true } },
    },
    workspaceFolders: [{ uri: `file://${workspace}`, name: "ws" }],
  });
  await connection.sendNotification("initialized", {});
  return { connection, child, stderr: () => said };
}

/** Wait (up to 20 s) until `ok()` holds. */
export async function eventually(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
