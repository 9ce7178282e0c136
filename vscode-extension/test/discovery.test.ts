// Server discovery and the settings → config keys mapping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discover } from "../src/discovery";
import { toServerConfig } from "../src/settings";

test("the setting wins, then PATH, then the Python interpreter", () => {
  const dir = mkdtempSync(join(tmpdir(), "codex-lsp-path-"));
  const exe = join(dir, "codex-lsp");
  writeFileSync(exe, "#!/bin/sh\n");
  chmodSync(exe, 0o755);
  assert.deepEqual(discover(["/opt/py", "-m", "codex_lsp"], dir, "/usr/bin/python3"), {
    command: "/opt/py",
    args: ["-m", "codex_lsp"],
    source: "codexLsp.server.command",
  });
  assert.deepEqual(discover([], `/nonexistent:${dir}`, "/usr/bin/python3"), { command: exe, args: ["--stdio"], source: "PATH" });
  const python = discover([], "/nonexistent", "/usr/bin/python3");
  assert.ok(typeof python !== "string" && python.args.join(" ") === "-m codex_lsp --stdio");
  const missing = discover([], "/nonexistent", undefined);
  assert.ok(typeof missing === "string" && missing.includes("codexLsp.server.command"));
});

test("only the settings that are set become config keys", () => {
  assert.deepEqual(toServerConfig({ model: "o3", approvalPolicy: "never", sandbox: "", reasoningEffort: "high" }), {
    model: "o3",
    approval_policy: "never",
    model_reasoning_effort: "high",
  });
});
