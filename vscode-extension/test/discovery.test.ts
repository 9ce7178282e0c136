// Server discovery and the settings → config keys mapping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discover } from "../src/discovery";
import { toServerConfig } from "../src/settings";

test("the setting wins, then PATH, then the private environment, then the Python interpreter", () => {
  const dir = mkdtempSync(join(tmpdir(), "codex-lsp-path-"));
  const exe = join(dir, "codex-lsp");
  writeFileSync(exe, "#!/bin/sh\n");
  chmodSync(exe, 0o755);
  const python = { path: "/usr/bin/python3", hasCodexLsp: true };
  const privateServer = { command: "/venv/bin/codex-lsp", args: ["--stdio"], source: "the extension's private environment" };
  assert.deepEqual(discover(["/opt/py", "-m", "codex_lsp"], dir, { python }), {
    command: "/opt/py",
    args: ["-m", "codex_lsp"],
    source: "codexLsp.server.command",
  });
  assert.deepEqual(discover([], `/nonexistent:${dir}`, { python, privateServer }), { command: exe, args: ["--stdio"], source: "PATH" });
  assert.deepEqual(discover([], "/nonexistent", { python, privateServer }), privateServer);
  const viaPython = discover([], "/nonexistent", { python });
  assert.ok(typeof viaPython !== "string" && viaPython.args.join(" ") === "-m codex_lsp --stdio");
  const notInstalled = discover([], "/nonexistent", { python: { ...python, hasCodexLsp: false } });
  assert.ok(typeof notInstalled === "string" && notInstalled.includes("/usr/bin/python3") && notInstalled.includes("private environment"));
  const missing = discover([], "/nonexistent");
  assert.ok(typeof missing === "string" && missing.includes("codexLsp.server.command"));
});

test("only the settings that are set become config keys", () => {
  assert.deepEqual(toServerConfig({ model: "o3", approvalPolicy: "never", sandbox: "", reasoningEffort: "high", reviewPatches: false }), {
    model: "o3",
    approval_policy: "never",
    model_reasoning_effort: "high",
    review_patches: false,
  });
});
