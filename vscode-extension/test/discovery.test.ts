// Server discovery and the settings → config keys mapping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discover } from "../src/host/discovery";
import { toServerConfig } from "../src/host/settings";

test("the setting wins, then PATH, then the private environment, then the Python interpreter", async () => {
  const dir = mkdtempSync(join(tmpdir(), "codex-lsp-path-"));
  const exe = join(dir, "codex-lsp");
  writeFileSync(exe, "#!/bin/sh\n");
  chmodSync(exe, 0o755);
  let asked = 0;
  const interpreter = { path: "/usr/bin/python3", hasCodexLsp: true };
  const python = () => {
    asked += 1;
    return Promise.resolve(interpreter);
  };
  const privateServer = {
    command: "/venv/bin/codex-lsp",
    args: ["--stdio"],
    source: "the extension's private environment",
  };
  assert.deepEqual(await discover(["/opt/py", "-m", "codex_lsp"], dir, { python }), {
    command: "/opt/py",
    args: ["-m", "codex_lsp"],
    source: "codexLsp.server.command",
  });
  assert.deepEqual(await discover([], `/nonexistent:${dir}`, { python, privateServer }), {
    command: exe,
    args: ["--stdio"],
    source: "PATH",
  });
  assert.deepEqual(await discover([], "/nonexistent", { python, privateServer }), privateServer);
  assert.equal(asked, 0, "the Python extension is not asked while something before it is found");
  const viaPython = await discover([], "/nonexistent", { python });
  assert.ok(typeof viaPython !== "string" && viaPython.args.join(" ") === "-P -m codex_lsp --stdio");
  const notInstalled = await discover([], "/nonexistent", {
    python: () => Promise.resolve({ ...interpreter, hasCodexLsp: false }),
  });
  assert.ok(
    typeof notInstalled === "string" &&
      notInstalled.includes("/usr/bin/python3") &&
      notInstalled.includes("private environment"),
  );
  const missing = await discover([], "/nonexistent");
  assert.ok(typeof missing === "string" && missing.includes("codexLsp.server.command"));
});

test("only the settings that are set become config keys", () => {
  assert.deepEqual(
    toServerConfig({
      model: "o3",
      approvalPolicy: "never",
      sandbox: "",
      reasoningEffort: "high",
      reviewPatches: false,
    }),
    {
      model: "o3",
      approval_policy: "never",
      model_reasoning_effort: "high",
      review_patches: false,
    },
  );
});
