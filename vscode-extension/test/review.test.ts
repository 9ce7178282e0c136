// Review in the panel: /review's targets (typed, or picked from git's branches and commits),
// the findings as a transcript entry and as its card.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSlash } from "../src/shared/composer";
import { branchChoices, commitChoices } from "../src/shared/reviewTargets";
import { emptyState, reduce } from "../src/shared/state";
import { renderCard, type CardContext } from "../src/webview/cards";
import { tmpdir } from "node:os";
import { ChatBridge } from "../src/host/bridge";
import type { Server } from "../src/host/requests";
import type { ReviewOutput } from "../src/shared/generated";
import { RecordingHost } from "./host";

const REVIEW: ReviewOutput = {
  findings: [
    { title: "Name it", body: "a nit", priority: 3, file: "app.py", lineRange: { start: 9, end: 9 } },
    {
      title: "Guard <the> division",
      body: "b is **0** when empty",
      priority: 1,
      file: "src/app.py",
      lineRange: { start: 3, end: 4 },
      confidenceScore: 0.8,
    },
  ],
  overallCorrectness: "patchIsIncorrect",
  overallExplanation: "It divides by zero.",
};

test("/review takes a target, or leaves it to the picker", () => {
  assert.deepEqual(parseSlash("/review"), { kind: "review" });
  assert.deepEqual(parseSlash("/review uncommitted"), { kind: "review", target: { type: "uncommittedChanges" } });
  assert.deepEqual(parseSlash("/review base main"), { kind: "review", target: { type: "baseBranch", branch: "main" } });
  assert.deepEqual(parseSlash("/review commit 1a2b3c4"), {
    kind: "review",
    target: { type: "commit", sha: "1a2b3c4" },
  });
  assert.deepEqual(parseSlash("/review look at the error handling"), {
    kind: "review",
    target: { type: "custom", instructions: "look at the error handling" },
  });
});

test("the picker's branches and commits come from git's output, options dropped", () => {
  const branches = branchChoices("main\nfeature/login\n--output=x\norigin/HEAD\norigin/main\n\n");
  assert.deepEqual(
    branches.map((b) => b.target),
    [
      { type: "baseBranch", branch: "main" },
      { type: "baseBranch", branch: "feature/login" },
      { type: "baseBranch", branch: "origin/main" },
    ],
  );
  const sha = "0123456789abcdef0123456789abcdef01234567";
  const commits = commitChoices(`${sha}\tAdd login\tand tabs\nnot-a-sha\tx\n`);
  assert.deepEqual(commits, [
    {
      label: "0123456789",
      description: "Add login\tand tabs",
      target: { type: "commit", sha, title: "Add login\tand tabs" },
    },
  ]);
});

test("a review's findings are a transcript entry, most urgent first in its card, escaped", () => {
  const state = reduce(emptyState, {
    conversationId: "c",
    submissionId: "s",
    msg: { type: "exitedReviewMode", turnId: "t1", reviewOutput: "text", review: REVIEW },
  });
  const [entry] = state.conversations.c.entries;
  assert.ok(entry.kind === "review");
  assert.deepEqual(entry.review, REVIEW);
  const ctx: CardContext = { conversationId: "c", markdown: (t) => `<p>${t}</p>`, open: (_k, f) => f };
  const html = renderCard(ctx, entry);
  assert.ok(html.includes("Review: 2 findings"));
  assert.ok(html.indexOf("Guard &lt;the&gt; division") < html.indexOf("Name it"), html);
  assert.ok(html.includes("<code>src/app.py:3-4</code>") && html.includes("<code>app.py:9</code>"));
  assert.ok(html.includes("Patch is incorrect. It divides by zero."));
  assert.ok(!html.includes("<the>"));
});

test("a review without structured findings adds no entry", () => {
  const state = reduce(emptyState, {
    conversationId: "c",
    submissionId: "s",
    msg: { type: "exitedReviewMode", turnId: "t1", reviewOutput: "free text" },
  });
  assert.deepEqual(state.conversations.c?.entries ?? [], []);
});

test("/review asks the picker for a target and sends it; a cancelled pick sends nothing", async () => {
  const host = new RecordingHost(tmpdir());
  const calls: [string, unknown][] = [];
  const server = {
    request: (method: string, params: unknown) => {
      calls.push([method, params]);
      const answer =
        method === "codex/newConversation"
          ? { conversationId: "c", model: "m", modelProvider: "f", cwd: tmpdir() }
          : { submissionId: "s" };
      return Promise.resolve(answer);
    },
  } as unknown as Server;
  const bridge = new ChatBridge(server, host);
  host.reviewTarget = { type: "baseBranch", branch: "main" };
  await bridge.handle({ type: "send", text: "/review" });
  host.reviewTarget = undefined;
  await bridge.handle({ type: "send", text: "/review" });
  await bridge.handle({ type: "send", text: "/review commit abc1234" });
  const reviews = calls.filter(([method]) => method === "codex/review").map(([, p]) => p);
  assert.deepEqual(reviews, [
    { conversationId: "c", reviewRequest: { target: { type: "baseBranch", branch: "main" } } },
    { conversationId: "c", reviewRequest: { target: { type: "commit", sha: "abc1234" } } },
  ]);
  assert.deepEqual(host.warnings, []);
});
