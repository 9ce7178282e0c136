// Installs codex-lsp into a private virtual environment (the "Install" button shown when no server
// is found), so the extension works without touching the user's Python environments.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import type { ServerCommand } from "./discovery";

const BIN = process.platform === "win32" ? "Scripts" : "bin";
const EXE = process.platform === "win32" ? ".exe" : "";

/** The server installed in the private environment at `venv`, if there is one. */
export function privateServer(venv: string): ServerCommand | undefined {
  const command = join(venv, BIN, `codex-lsp${EXE}`);
  try {
    accessSync(command, constants.X_OK);
    return { command, args: ["--stdio"], source: "the extension's private environment" };
  } catch {
    return undefined;
  }
}

/** Run a program; resolves with its output, rejects with the last lines of it. */
export function run(
  command: string,
  args: string[],
  log: (line: string) => void,
  timeoutMs = 10 * 60_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    let output = "";
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      text.split("\n").filter(Boolean).forEach(log);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not run: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else
        reject(
          new Error(
            `${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`}): ${output.trim().split("\n").slice(-5).join("\n")}`,
          ),
        );
    });
  });
}

/** Create the environment at `venv` with `python` (3.11 or newer) and pip-install `source` into it. */
export async function installServer(
  python: string,
  venv: string,
  source: string,
  log: (line: string) => void,
): Promise<ServerCommand> {
  const version = (await run(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], log)).trim();
  const [major, minor] = version.split(".").map(Number);
  if (major < 3 || (major === 3 && minor < 11)) {
    throw new Error(
      `codex-lsp needs Python 3.11 or newer; ${python} is ${version}. Install a newer Python or select it in the Python extension.`,
    );
  }
  await run(python, ["-m", "venv", venv], log);
  await run(
    join(venv, BIN, `python${EXE}`),
    ["-m", "pip", "install", "--disable-pip-version-check", "--upgrade", source],
    log,
  );
  const server = privateServer(venv);
  if (!server) throw new Error(`pip installed ${source}, but it has no codex-lsp command`);
  return server;
}
