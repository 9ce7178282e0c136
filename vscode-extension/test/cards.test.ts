// The transcript's cards as HTML (webview/cards.ts, ansi.ts, markdown's fence labels): what a
// user reads in each card's one-line summary, what its details hold, and that what the model or a
// command sent is escaped, never markup.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ansiLines, ansiToHtml, stripAnsi } from "../src/webview/ansi";
import {
  commandLine,
  lineCounts,
  parsedSummary,
  renderCard,
  terminalsHtml,
  VIRTUAL_LINES,
  type CardContext,
} from "../src/webview/cards";
import { fenceInfo } from "../src/webview/markdown";
import type { Entry } from "../src/shared/state";

const ctx = (open: Record<string, boolean> = {}): CardContext => ({
  conversationId: "c",
  markdown: (text) => `<p>${text}</p>`,
  open: (key, fallback) => open[key] ?? fallback,
});

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();

test("a finished command: its real command line, exit code and duration, collapsed; output on expand", () => {
  const entry: Entry = {
    kind: "command",
    id: "c1",
    command: ["pytest", "-x", "tests/test a.py"],
    output: "\u001b[31mFAILED\u001b[0m <b>x</b>\n",
    exitCode: 1,
    durationMs: 1234,
    status: "failed",
  };
  const html = renderCard(ctx(), entry);
  assert.match(html, /class="card card-command is-failed"/);
  assert.match(text(html), /✗ Ran pytest -x 'tests\/test a\.py' exit 1 · 1\.2 s/);
  assert.match(html, /aria-expanded="false"/);
  assert.match(html, /class="card-body" id="body-command-c-c1" hidden/);
  assert.match(html, /<span class="ansi-fg-1">FAILED<\/span> &lt;b&gt;x&lt;\/b&gt;/);
  const running = renderCard(ctx(), { ...entry, exitCode: undefined, durationMs: undefined, status: undefined });
  assert.match(running, /aria-expanded="true"/, "a running command shows its live output");
  assert.match(text(running), /running…/);
  const opened = renderCard(ctx({ "command-c-c1": true }), entry);
  assert.doesNotMatch(opened, / hidden>/, "the user's choice wins");
});

test("long output is virtualised: no line of it in the card's HTML", () => {
  const output = Array.from({ length: VIRTUAL_LINES + 1 }, (_, n) => `line ${n}`).join("\n");
  const html = renderCard(ctx(), { kind: "command", id: "c2", command: ["seq"], output, exitCode: 0, durationMs: 5 });
  assert.match(html, /class="output virtual"[^>]*data-lines="301"/);
  assert.doesNotMatch(html, /line 17/);
});

test("a recognised command reads as what it did: a search, a read, a listing", () => {
  assert.equal(
    text(parsedSummary([{ type: "search", cmd: "rg -n TODO src", query: "TODO", path: "src" }])!.html),
    "Searched for TODO in src",
  );
  assert.equal(text(parsedSummary([{ type: "read", cmd: "cat a.py", name: "a.py", path: "a.py" }])!.html), "Read a.py");
  assert.equal(text(parsedSummary([{ type: "listFiles", cmd: "ls src", path: "src" }])!.html), "Listed files in src");
  assert.equal(parsedSummary([{ type: "unknown", cmd: "make" }]), undefined);
  const card = renderCard(ctx(), {
    kind: "command",
    id: "s",
    command: ["rg", "TODO"],
    parsed: [{ type: "search", cmd: "rg TODO", query: "TODO" }],
    output: "",
    exitCode: 0,
    durationMs: 20,
  });
  assert.match(card, /card card-search is-ok/);
  assert.equal(commandLine(["bash", "-lc", "ls | wc -l"]), "ls | wc -l");
});

test("a patch: files changed with +/− counts, the diff and Open diff on expand", () => {
  const entry: Entry = {
    kind: "patch",
    id: "p1",
    turnId: "t",
    success: true,
    changes: {
      "app.py": { type: "update", unifiedDiff: "@@ -1,2 +1,2 @@\n-x = 1\n+x = 2\n y = 3\n" },
      "new.md": { type: "add", content: "# New\ntext\n" },
    },
  };
  const html = renderCard(ctx(), entry);
  assert.match(text(html), /^✓ Changed 2 files \+3 −1 patch applied/);
  assert.match(html, /data-action="openDiff" data-conversation="c" data-call="p1" data-path="app.py"/);
  assert.match(html, /<span class="add">\+x = 2<\/span>/);
  assert.deepEqual(lineCounts({ type: "delete", content: "a\nb\n" }), { added: 0, removed: 2 });
  const one = renderCard(ctx(), { ...entry, changes: { "app.py": entry.changes["app.py"] } });
  assert.match(text(one), /^✓ Edited app\.py \+1 −1/);
});

test("an MCP call: server, tool, arguments and result; a failed one its error", () => {
  const done = renderCard(ctx({ "mcp-c-m": true }), {
    kind: "mcp",
    id: "m",
    server: "docs",
    tool: "search",
    args: { query: "<asyncio>" },
    result: { content: [{ type: "text", text: "3 results" }] },
    durationMs: 120,
  });
  assert.match(text(done), /✓ Called search on docs 120 ms Arguments \{ "query": "<asyncio>" \} Result 3 results/);
  const failed = renderCard(ctx(), { kind: "mcp", id: "m2", server: "docs", tool: "x", args: {}, error: "timed out" });
  assert.match(text(failed), /✗ Called x on docs failed .*Error timed out/);
});

test("a plan is a checklist; reasoning a collapsed summary; errors say what to do", () => {
  const plan = renderCard(ctx(), {
    kind: "plan",
    id: "plan-t",
    plan: [
      { step: "Reproduce", status: "completed" },
      { step: "Fix", status: "inProgress" },
    ],
  });
  assert.match(text(plan), /Plan: 1 of 2 done ☑ Reproduce \(done\) ◐ Fix \(in progress\)/);
  const reasoning = renderCard(ctx(), { kind: "reasoning", id: "r", text: "**Checking** the tests\nmore", done: true });
  assert.match(text(reasoning), /^✓ Thought: Checking the tests/);
  assert.match(reasoning, /aria-expanded="false"/);
  const error = renderCard(ctx(), {
    kind: "notice",
    id: "e",
    level: "error",
    text: "the conversation is too long",
    errorInfo: "contextWindowExceeded",
  });
  assert.match(error, /role="alert"/);
  assert.match(text(error), /Compact it, or start a new conversation\. Retry Compact$/);
  const retry = renderCard(ctx(), {
    kind: "notice",
    id: "retry-t",
    level: "warning",
    text: "HTTP 429",
    retry: { attempt: 2, maxAttempts: 5, retryInMs: 800 },
  });
  assert.match(text(retry), /Retrying \(2\/5\) in 800 ms: HTTP 429/);
});

test("ANSI: colours become theme classes, other escapes vanish, text is escaped", () => {
  assert.equal(
    ansiToHtml("\u001b[1;32mok\u001b[0m & done").html,
    '<span class="ansi-fg-2 ansi-bold">ok</span> &amp; done',
  );
  assert.deepEqual(ansiLines("\u001b[33mwarn\nstill yellow\u001b[0m\nplain"), [
    '<span class="ansi-fg-3">warn</span>',
    '<span class="ansi-fg-3">still yellow</span>',
    "plain",
  ]);
  assert.deepEqual(ansiLines("10%\r50%\r100%"), ["100%"], "a progress bar keeps its last state");
  assert.equal(stripAnsi("\u001b]0;title\u0007\u001b[2Kx"), "x");
});

test("a code block labelled with a file path can be applied to it", () => {
  assert.deepEqual(fenceInfo("python src/app.py"), { lang: "python", path: "src/app.py" });
  assert.deepEqual(fenceInfo("ts:src/x.ts"), { lang: "ts", path: "src/x.ts" });
  assert.deepEqual(fenceInfo("src/app.py"), { lang: "py", path: "src/app.py" });
  assert.deepEqual(fenceInfo('js title="lib/a.js"'), { lang: "js", path: "lib/a.js" });
  assert.deepEqual(fenceInfo("python"), { lang: "python", path: undefined });
  assert.deepEqual(fenceInfo("bash https://example.com/x.sh"), { lang: "bash", path: undefined });
});

test("running terminals: the command, its latest output escaped, and a Stop button", () => {
  assert.equal(terminalsHtml("c", []), "");
  const output = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n") + "\n<b>x</b>\n";
  const html = terminalsHtml("c", [{ terminalId: 1000, callId: "k", command: ["npm", "run", "dev"], output }]);
  assert.match(html, /Running terminals \(1\)/);
  assert.match(html, /<code>npm run dev<\/code>/);
  assert.match(html, /data-action="killTerminal" data-conversation="c" data-terminal="1000"/);
  assert.ok(html.includes("&lt;b&gt;x&lt;/b&gt;") && !html.includes("<b>x</b>"));
  assert.ok(!html.includes("line 5\n") && html.includes("line 29"));
});
