// The "Install" button's work, for real: a private virtual environment made with the machine's
// python3 and a pip install of a locally built wheel (so no network is needed) that provides a
// `codex-lsp` command; discovery then finds it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installServer, privateServer, run } from "../src/host/install";

const PYTHON = "python3";
const HAS_VENV = spawnSync(PYTHON, ["-c", "import venv, ensurepip"]).status === 0;

/** A wheel of a stand-in distribution whose `codex-lsp` command prints its arguments. */
function buildWheel(dir: string): string {
  const wheel = join(dir, "codex_lsp_standin-1.0-py3-none-any.whl");
  const script = `
import zipfile, sys
files = {
  "codex_lsp_standin.py": "import sys\\ndef main():\\n    print('stand-in', *sys.argv[1:])\\n",
  "codex_lsp_standin-1.0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: codex-lsp-standin\\nVersion: 1.0\\n",
  "codex_lsp_standin-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
  "codex_lsp_standin-1.0.dist-info/entry_points.txt": "[console_scripts]\\ncodex-lsp = codex_lsp_standin:main\\n",
}
files["codex_lsp_standin-1.0.dist-info/RECORD"] = "".join(f"{name},,\\n" for name in [*files, "codex_lsp_standin-1.0.dist-info/RECORD"])
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
`;
  const built = spawnSync(PYTHON, ["-c", script, wheel]);
  assert.equal(built.status, 0, built.stderr.toString());
  return wheel;
}

test(
  "the server is installed into a private environment and found there",
  { skip: HAS_VENV ? false : "python3 has no venv/ensurepip (apt install python3-venv)", timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "codex-lsp-install-"));
    const venv = join(dir, "venv");
    assert.equal(privateServer(venv), undefined);
    const lines: string[] = [];
    const server = await installServer(PYTHON, venv, buildWheel(dir), (line) => lines.push(line));
    assert.deepEqual(privateServer(venv), server);
    assert.equal((await run(server.command, server.args, () => undefined)).trim(), "stand-in --stdio");
    assert.ok(
      lines.some((l) => l.includes("Successfully installed codex-lsp-standin")),
      lines.join("\n"),
    );
  },
);

test("a failed install says what failed", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "codex-lsp-install-"));
  await assert.rejects(
    installServer(join(dir, "no-python"), join(dir, "venv"), "codex-lsp", () => undefined),
    /no-python could not run/,
  );
});
