// "Apply" of a code block writes where the model's label says: only inside the workspace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { workspaceTarget } from "../src/host/workspacePath";

test("a code block's path is applied inside the workspace only", () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "codex-lsp-apply-")));
  const ws = join(root, "ws");
  mkdirSync(join(ws, "src"), { recursive: true });
  mkdirSync(join(ws, ".git"));
  mkdirSync(join(root, "outside"));
  symlinkSync(join(root, "outside"), join(ws, "link"));
  assert.deepEqual(workspaceTarget(ws, "src/app.py"), { path: join(ws, "src", "app.py") });
  assert.deepEqual(workspaceTarget(ws, "new/dir/file.ts"), { path: join(ws, "new", "dir", "file.ts") });
  for (const hostile of [
    "../x.py",
    "src/../../x.py",
    "/etc/passwd",
    ".git/config",
    "sub/.git/hooks/pre-commit",
    "link/x.py",
    "",
    ".",
  ]) {
    assert.ok("refused" in workspaceTarget(ws, hostile), hostile);
  }
});
