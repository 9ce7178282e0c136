// Unified diffs: hunks for per-hunk review, and applying a diff (or taking it back) to show it in
// the diff editor. The diff below is what the server sends (Python's difflib, three lines of context).
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyDiff, keepHunks, splitHunks } from "../src/shared/unifiedDiff";

const BEFORE = Array.from({ length: 20 }, (_, n) => `v${n + 1} = ${n + 1}`).join("\n") + "\n";
const AFTER = BEFORE.replace("v2 = 2\n", "v2 = 200\n").replace("v19 = 19\n", "v19 = 1900\nv19b = 0\n");
const DIFF =
  "--- \n+++ \n@@ -1,5 +1,5 @@\n v1 = 1\n-v2 = 2\n+v2 = 200\n v3 = 3\n v4 = 4\n v5 = 5\n" +
  "@@ -16,5 +16,6 @@\n v16 = 16\n v17 = 17\n v18 = 18\n-v19 = 19\n+v19 = 1900\n+v19b = 0\n v20 = 20\n";

test("a diff splits into its @@ hunks, in order", () => {
  const hunks = splitHunks(DIFF);
  assert.equal(hunks.length, 2);
  assert.equal(hunks[1].header, "@@ -16,5 +16,6 @@");
  assert.equal(hunks[1].oldStart, 15);
  assert.deepEqual(
    hunks[0].lines.filter((l) => l.startsWith("+")),
    ["+v2 = 200"],
  );
});

test("applying the diff gives the new text, and taking it back the old one", () => {
  assert.equal(applyDiff(BEFORE, DIFF), AFTER);
  assert.equal(applyDiff(AFTER, DIFF, true), BEFORE);
});

test("a diff that no longer matches says which hunk", () => {
  assert.throws(() => applyDiff(BEFORE.replace("v17 = 17", "v17 = changed"), DIFF), /hunk 2 .* does not match/);
});

test("a diff without its rejected hunks applies only the accepted ones", () => {
  assert.equal(applyDiff(BEFORE, keepHunks(DIFF, [0])), BEFORE.replace("v19 = 19\n", "v19 = 1900\nv19b = 0\n"));
  assert.equal(applyDiff(BEFORE, keepHunks(DIFF, [0, 1])), BEFORE);
});
