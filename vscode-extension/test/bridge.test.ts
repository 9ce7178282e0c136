// The bridge driven as the webview drives it, against a real codex-lsp process over stdio
// (vscode-jsonrpc) and the scripted model server (`python -m codex_lsp.testing`). The editor side
// (Host) records what it was asked to show. Needs CODEX_LSP_PYTHON: the interpreter codex-lsp is
// installed in (`make extension` sets it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChatBridge } from "../src/host/bridge";
import type { MessageConnection } from "vscode-jsonrpc/node";
import type { Event } from "../src/shared/generated";
import { applyDelta, panelView, type PanelView } from "../src/shared/state";
import { RecordingHost } from "./host";
import { PYTHON, SKIP, startServer } from "./server";

const LONG = Array.from({ length: 20 }, (_, n) => `v${n + 1} = ${n + 1}`).join("\n") + "\n";
const PATCH =
  "*** Begin Patch\n*** Update File: long.py\n@@\n-v2 = 2\n+v2 = 200\n@@\n-v19 = 19\n+v19 = 1900\n*** End Patch\n";
const SCRIPT = [
  { match: "make the file", tool: "shell", arguments: { command: ["touch", "made.txt"] } },
  { match: "made.txt", text: "Made it." },
  { match: "edit long.py", tool: "apply_patch", arguments: { input: PATCH } },
  { match: "NOT applied", text: "Kept v2 as it was." },
  { match: "hello from the fork", text: "Sure." },
  { match: "after the restart", text: "Still here." },
];

/** The scripted model server: its base URL, and the request bodies it got (once stdin closes). */
type ModelServer = {
  baseUrl: string;
  requests: () => Promise<Record<string, unknown>[]>;
  child: ChildProcessWithoutNullStreams;
};

async function modelServer(python: string, script: string): Promise<ModelServer> {
  const child = spawn(python, ["-m", "codex_lsp.testing", script]);
  let buffer = "";
  const lines: ((lines: string[]) => void)[] = [];
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    lines.forEach((l) => l(buffer.split("\n")));
  });
  const line = (n: number) =>
    new Promise<string>((resolve, reject) => {
      const check = (all: string[]) => (all.length > n + 1 ? resolve(all[n]) : undefined);
      lines.push(check);
      check(buffer.split("\n"));
      child.on("exit", (code) => reject(new Error(`the scripted model server exited (${code})`)));
    });
  const baseUrl = await line(0);
  return {
    baseUrl,
    child,
    requests: async () => {
      child.stdin.end();
      return JSON.parse(await line(1)) as Record<string, unknown>[];
    },
  };
}

/** A codex-lsp home and workspace (with long.py) whose config uses the model server playing `script`. */
async function setUp(script: object[]): Promise<{ home: string; workspace: string; model: ModelServer }> {
  const root = mkdtempSync(join(tmpdir(), "codex-lsp-bridge-"));
  const [home, workspace] = [join(root, "home"), join(root, "ws")];
  mkdirSync(home);
  mkdirSync(workspace);
  writeFileSync(join(workspace, "long.py"), LONG);
  writeFileSync(join(root, "script.json"), JSON.stringify(script));
  const model = await modelServer(PYTHON!, join(root, "script.json"));
  writeFileSync(
    join(home, "config.toml"),
    `model = "fake-model"\nmodel_provider = "fake"\napproval_policy = "untrusted"\nreview_patches = true\n` +
      `[model_price]\ninput = 2.0\noutput = 8.0\n[model_providers.fake]\nname = "fake"\nbase_url = "${model.baseUrl}"\nwire_api = "responses"\n`,
  );
  return { home, workspace, model };
}

/** The bridge as the webview drives it, against `connection()` (asked each time: a test may
 * restart the server), with a host that records what it was asked to show. */
function drive(connection: () => MessageConnection, workspace: string): { host: RecordingHost; bridge: ChatBridge } {
  const host = new RecordingHost(workspace);
  const bridge = new ChatBridge({ request: (method, params) => connection().sendRequest(method, params) }, host);
  host.state = () => bridge.state;
  connection().onNotification("codex/event", (event: Event) => bridge.receive(event));
  return { host, bridge };
}

test(
  "a conversation through the bridge: approvals, per-hunk review, undo, fork, tabs",
  { skip: SKIP, timeout: 90_000 },
  async () => {
    const { home, workspace, model } = await setUp(SCRIPT);
    let { connection, child } = await startServer(home, workspace);
    const { host, bridge } = drive(() => connection, workspace);
    try {
      // A message with a file mention and editor context; the command waits for approval.
      await bridge.handle({ type: "send", text: "make the file, see @long.py and @problems" });
      let state = await host.until(
        (s) => !!s.active && s.conversations[s.active].approvals.length > 0,
        "the command's approval",
      );
      const first = state.active!;
      const [approval] = state.conversations[first].approvals;
      assert.equal(approval.kind, "exec");
      const [user] = state.conversations[first].entries;
      assert.ok(user.kind === "user" && user.text === "make the file, see @long.py and @problems");
      assert.deepEqual(user.kind === "user" && user.mentions, ["long.py", "@problems"]);
      await bridge.handle({ type: "approve", conversationId: first, callId: approval.callId, decision: "approved" });
      state = await host.until(
        (s) => s.conversations[first].entries.some((e) => e.kind === "agent" && e.done && e.text === "Made it."),
        "the first answer",
      );
      assert.ok(existsSync(join(workspace, "made.txt")));
      assert.ok((state.conversations[first].costUsd ?? 0) > 0, "the session cost is known from model_price");

      // A patch reviewed per hunk: the first hunk rejected, the second applied; the model is told.
      await bridge.handle({ type: "send", text: "edit long.py" });
      state = await host.until(
        (s) => s.conversations[first].approvals.some((a) => a.kind === "patch"),
        "the patch review",
      );
      const review = state.conversations[first].approvals[0];
      assert.ok(review.changes && "long.py" in review.changes);
      await bridge.handle({ type: "openDiff", conversationId: first, callId: review.callId, path: "long.py" });
      assert.deepEqual(host.diffs, [{ path: "long.py", applied: false }]);
      await bridge.handle({
        type: "approve",
        conversationId: first,
        callId: review.callId,
        decision: "approved",
        rejectedHunks: { "long.py": [0] },
      });
      state = await host.until(
        (s) => s.conversations[first].entries.some((e) => e.kind === "agent" && e.text === "Kept v2 as it was."),
        "the answer after the review",
      );
      const text = readFileSync(join(workspace, "long.py"), "utf8");
      assert.ok(text.includes("v2 = 2\n") && text.includes("v19 = 1900\n"), text);
      state = await host.until((s) => s.conversations[first].turns[1]?.changedFiles ?? false, "undo offered");
      const patchTurn = state.conversations[first].turns[1];
      assert.ok(!patchTurn.undone);

      // Undo that turn from its button: the file comes back, the turn is marked undone.
      await bridge.handle({ type: "undo", turnId: patchTurn.id });
      state = await host.until((s) => s.conversations[first].turns[1]?.undone ?? false, "the undo");
      assert.equal(readFileSync(join(workspace, "long.py"), "utf8"), LONG);

      // Fork after the first turn: a new tab with that turn's transcript, which goes on by itself.
      await bridge.handle({ type: "fork", turnId: state.conversations[first].turns[0].id });
      state = bridge.state;
      const fork = state.active!;
      assert.notEqual(fork, first);
      assert.deepEqual(state.tabs, [first, fork]);
      assert.equal(state.conversations[fork].turns.length, 1);
      await bridge.handle({ type: "override", effort: "high" });
      assert.equal(bridge.state.conversations[fork].effort, "high");
      // The mode picker: full access is confirmed first (declined: nothing changes), then set.
      assert.equal(bridge.state.conversations[fork].mode, null); // untrusted approvals: no preset
      await bridge.handle({ type: "setMode", mode: "full-access" });
      assert.ok(host.confirmed[0].includes("without a sandbox"), host.confirmed[0]);
      assert.equal(bridge.state.conversations[fork].mode, null);
      host.confirmAnswer = true;
      await bridge.handle({ type: "setMode", mode: "full-access" });
      assert.equal(bridge.state.conversations[fork].mode, "full-access");
      assert.equal(bridge.state.conversations[fork].approvalPolicy, "never");
      await bridge.handle({ type: "setMode", mode: "read-only" });
      assert.equal(bridge.state.conversations[fork].mode, "read-only");
      assert.equal(host.confirmed.length, 2);
      await bridge.handle({ type: "send", text: "hello from the fork" });
      await host.until(
        (s) => s.conversations[fork]?.entries.some((e) => e.kind === "agent" && e.text === "Sure.") ?? false,
        "the fork's answer",
      );
      // The server crashes and a new one starts (as Restart Server does): the open tab goes on, its
      // conversation resumed from the store.
      child.kill("SIGKILL");
      connection.dispose();
      ({ connection, child } = await startServer(home, workspace));
      connection.onNotification("codex/event", (event: Event) => bridge.receive(event));
      await bridge.handle({ type: "selectTab", conversationId: first });
      await bridge.handle({ type: "send", text: "after the restart" });
      await host.until(
        (s) => s.conversations[first].entries.some((e) => e.kind === "agent" && e.text === "Still here."),
        "the answer after the restart",
      );
      await bridge.handle({ type: "selectTab", conversationId: fork });

      const bodies = await model.requests();
      const forkRequest = bodies.find((b) => JSON.stringify(b.input).includes("hello from the fork"))!;
      assert.deepEqual((forkRequest.reasoning as { effort?: string }).effort, "high");
      const history = JSON.stringify(forkRequest.input);
      assert.ok(
        history.includes("make the file") && !history.includes("edit long.py"),
        "the fork has the first turn only",
      );
      const resumed = JSON.stringify(bodies[bodies.length - 1].input);
      assert.ok(
        resumed.includes("make the file") && resumed.includes("edit long.py"),
        "the resumed conversation kept its history",
      );
      assert.ok(JSON.stringify(bodies[0].input).includes("v2 is too small"), "@problems reached the model");

      // Tabs: switch, rename, close.
      await bridge.handle({ type: "selectTab", conversationId: first });
      assert.equal(bridge.state.active, first);
      await bridge.handle({ type: "rename", conversationId: fork });
      assert.equal(bridge.state.conversations[fork].title, "Renamed");
      await bridge.handle({ type: "closeTab", conversationId: fork });
      assert.deepEqual(bridge.state.tabs, [first]);
      await new Promise((resolve) => setTimeout(resolve, 100)); // the panel is posted once per frame
      // What the webview has: the last whole view with every later delta applied, which is the
      // bridge's own view of its state; most posts were deltas.
      let shown: PanelView | undefined;
      for (const m of host.posted) {
        if (m.type === "state") shown = m.view;
        else if (m.type === "delta" && shown) shown = applyDelta(shown, m.delta);
      }
      assert.ok(shown);
      assert.deepEqual(
        shown.tabs.map((t) => t.id),
        [first],
      );
      assert.equal(shown.conversation?.id, first, "the webview gets the active conversation only");
      assert.deepEqual(JSON.parse(JSON.stringify(shown)), JSON.parse(JSON.stringify(panelView(bridge.state))));
      const kinds = host.posted.map((m) => m.type);
      assert.ok(kinds.filter((k) => k === "delta").length > kinds.filter((k) => k === "state").length, kinds.join());
      assert.deepEqual(host.warnings, []);
    } finally {
      await connection.sendRequest("shutdown").catch(() => undefined);
      connection.dispose();
      child.kill();
      model.child.kill();
    }
  },
);

test("a late answer to a withdrawn approval answers nothing else", { skip: SKIP, timeout: 60_000 }, async () => {
  const { home, workspace, model } = await setUp([
    { match: "make first", tool: "shell", arguments: { command: ["touch", "first.txt"] } },
    { match: "make second", tool: "shell", arguments: { command: ["touch", "second.txt"] } },
    { match: "second.txt", text: "Left it." },
  ]);
  const { connection, child } = await startServer(home, workspace);
  const { host, bridge } = drive(() => connection, workspace);
  try {
    await bridge.handle({ type: "send", text: "make first" });
    let state = await host.until((s) => !!s.active && s.conversations[s.active].approvals.length > 0, "an approval");
    const conversationId = state.active!;
    const stale = state.conversations[conversationId].approvals[0].callId;
    await bridge.handle({ type: "interrupt" });
    await host.until((s) => !s.conversations[conversationId].running, "the interrupt");
    await bridge.handle({ type: "send", text: "make second" });
    state = await host.until(
      (s) => s.conversations[conversationId].approvals.some((a) => a.callId !== stale),
      "the next approval",
    );
    const next = state.conversations[conversationId].approvals.find((a) => a.callId !== stale)!.callId;

    // The first dialog's button, clicked late: refused, and the next request still waits.
    await bridge.handle({ type: "approve", conversationId, callId: stale, decision: "approved" });
    assert.equal(host.warnings.length, 1, host.warnings.join("\n"));
    assert.ok(host.warnings[0].includes(`callId '${stale}'`) && host.warnings[0].includes(next), host.warnings[0]);
    await bridge.handle({ type: "approve", conversationId, callId: next, decision: "denied" });
    await host.until(
      (s) => s.conversations[conversationId].entries.some((e) => e.kind === "agent" && e.text === "Left it."),
      "the answer after the denial",
    );
    assert.ok(!existsSync(join(workspace, "first.txt")) && !existsSync(join(workspace, "second.txt")));
  } finally {
    await connection.sendRequest("shutdown").catch(() => undefined);
    connection.dispose();
    child.kill();
    model.child.kill();
  }
});

test("an unknown slash command and a failing request are shown, never thrown", async () => {
  const host = new RecordingHost(tmpdir());
  const bridge = new ChatBridge({ request: () => Promise.reject(new Error("codex-lsp is not running")) }, host);
  await bridge.handle({ type: "send", text: "/frobnicate" });
  await bridge.handle({ type: "send", text: "hello" });
  assert.equal(host.warnings.length, 2);
  assert.ok(host.warnings[0].includes("unknown command /frobnicate"));
  assert.equal(host.warnings[1], "codex-lsp is not running");
});

test("an interrupt puts what was queued back in the composer", { skip: SKIP, timeout: 60_000 }, async () => {
  // The first command waits for approval, so the turn is still running when the second message
  // is sent (queued) and the interrupt comes.
  const { home, workspace, model } = await setUp([
    { match: "make first", tool: "shell", arguments: { command: ["touch", "first.txt"] } },
  ]);
  const { connection, child } = await startServer(home, workspace);
  const { host, bridge } = drive(() => connection, workspace);
  try {
    await bridge.handle({ type: "send", text: "make first" });
    const state = await host.until((s) => !!s.active && s.conversations[s.active].approvals.length > 0, "an approval");
    const conversationId = state.active!;
    await bridge.handle({ type: "send", text: "and then explain it" });
    assert.deepEqual(bridge.state.conversations[conversationId].queued, ["and then explain it"]);
    await bridge.handle({ type: "interrupt" });
    await host.until((s) => !s.conversations[conversationId].running, "the interrupt");
    assert.deepEqual(
      host.posted.filter((m) => m.type === "restoreDraft"),
      [{ type: "restoreDraft", text: "and then explain it" }],
    );
    assert.deepEqual(bridge.state.conversations[conversationId].queued, []);
  } finally {
    await connection.sendRequest("shutdown").catch(() => undefined);
    connection.dispose();
    child.kill();
    model.child.kill();
  }
});

test(
  "a terminal: shown running with its output, its Stop button ends it",
  { skip: SKIP, timeout: 60_000 },
  async () => {
    const { home, workspace, model } = await setUp([
      {
        match: "start the server",
        tool: "exec_command",
        arguments: { cmd: "echo serving; sleep 30", login: false, yield_time_ms: 500 },
      },
      { text: "It runs." },
    ]);
    const config = join(home, "config.toml");
    writeFileSync(
      config,
      readFileSync(config, "utf8").replace('"untrusted"', '"never"') + "[tools]\nunified_exec = true\n",
    );
    const { connection, child, stderr } = await startServer(home, workspace);
    const { host, bridge } = drive(() => connection, workspace);
    /** What went wrong, for a failure's message: what the model was told, what the server logged. */
    const explain = async (error: unknown): Promise<never> => {
      const outputs = (await model.requests()).flatMap((body) =>
        ((body.input ?? []) as { type?: string; output?: unknown }[])
          .filter((item) => item.type === "function_call_output")
          .map((item) => JSON.stringify(item.output)),
      );
      throw new Error(`${String(error)}\nthe tool said: ${outputs.join("\n")}\nthe server logged: ${stderr()}`);
    };
    try {
      await bridge.handle({ type: "send", text: "start the server" });
      const state = await host
        .until(
          (s) => !!s.active && !s.conversations[s.active].running && s.conversations[s.active].turns.length > 0,
          "the turn",
        )
        .catch(explain);
      const conversationId = state.active!;
      const [terminal] = state.conversations[conversationId].terminals ?? [];
      if (terminal?.terminalId !== 1000) await explain(`no running terminal 1000: ${JSON.stringify(terminal)}`);
      assert.match(terminal.output, /serving/);
      await bridge.handle({ type: "killTerminal", conversationId, terminalId: 1000 });
      assert.deepEqual(host.warnings, []);
      await host.until((s) => (s.conversations[conversationId].terminals ?? []).length === 0, "the end");
      const card = bridge.state.conversations[conversationId].entries.find((e) => e.kind === "command");
      assert.ok(card?.kind === "command" && card.exitCode !== undefined && card.exitCode !== 0);
    } finally {
      await connection.sendRequest("shutdown").catch(() => undefined);
      connection.dispose();
      child.kill();
      model.child.kill();
    }
  },
);

test(
  "Edit and resend rewinds the turn and every later one: the model no longer sees them",
  { skip: SKIP, timeout: 60_000 },
  async () => {
    const { home, workspace, model } = await setUp([
      { match: "beta edited", text: "edited answer" },
      { match: "gamma question", text: "gamma answer" },
      { match: "beta question", text: "beta answer" },
      { match: "alpha question", text: "alpha answer" },
    ]);
    const { connection, child } = await startServer(home, workspace);
    const { host, bridge } = drive(() => connection, workspace);
    const answered = (text: string) => (s: typeof bridge.state) =>
      !!s.active && s.conversations[s.active].entries.some((e) => e.kind === "agent" && e.done && e.text === text);
    try {
      for (const [question, answer] of [
        ["alpha question", "alpha answer"],
        ["beta question", "beta answer"],
        ["gamma question", "gamma answer"],
      ]) {
        await bridge.handle({ type: "send", text: question });
        await host.until(answered(answer), answer);
        await host.until((s) => !s.conversations[s.active!].running, "the turn's end");
      }
      const id = bridge.state.active!;
      const beta = bridge.state.conversations[id].turns[1].id;
      await bridge.handle({ type: "send", text: "beta edited", rewindTo: beta });
      const state = await host.until(answered("edited answer"), "the answer to the edited message");
      const users = state.conversations[id].entries
        .filter((e) => e.kind === "user")
        .map((e) => e.kind === "user" && e.text);
      assert.deepEqual(users, ["alpha question", "beta edited"]);
      assert.equal(state.conversations[id].turns.length, 2);
      const bodies = await model.requests();
      const last = JSON.stringify(bodies[bodies.length - 1].input);
      assert.ok(last.includes("alpha answer") && last.includes("beta edited"), last);
      for (const gone of ["beta question", "beta answer", "gamma question", "gamma answer"]) {
        assert.ok(!last.includes(gone), `the model still saw ${gone}`);
      }
    } finally {
      connection.dispose();
      child.kill();
      model.child.kill();
    }
  },
);

test(
  "spec-kit: the SPEC ids come from codex/listSpecs; an Answer button reaches codex-lsp.speckit.answer",
  { skip: SKIP, timeout: 60_000 },
  async () => {
    const { home, workspace, model } = await setUp([]);
    mkdirSync(join(workspace, ".git"));
    mkdirSync(join(workspace, "docs", "SPEC-KIT-071-login"), { recursive: true });
    writeFileSync(join(workspace, "docs", "SPEC-KIT-071-login", "spec.md"), "# Spec: login\n");
    const { connection, child } = await startServer(home, workspace);
    const host = new RecordingHost(workspace);
    const bridge = new ChatBridge({ request: (method, params) => connection.sendRequest(method, params) }, host);
    try {
      await bridge.handle({ type: "listSpecs" });
      const specs = host.posted.find((m) => m.type === "specs");
      assert.ok(specs?.type === "specs");
      assert.deepEqual(
        specs.result.specs.map((s) => [s.specId, s.directory]),
        [["SPEC-KIT-071", "docs/SPEC-KIT-071-login/"]],
      );
      // a question no run has (answered from another editor): the server's reason is shown
      await bridge.handle({
        type: "speckitAnswer",
        runId: "0123456789abcdef",
        checkpoint: "before-plan",
        issueId: "CLR-009",
      });
      assert.equal(host.warnings.length, 1);
      assert.match(host.warnings[0], /no quality-gate question CLR-009 in run 0123456789abcdef \(before-plan\)/);
      // the same with an answer typed in the panel: the server takes it as the fourth argument
      await bridge.handle({
        type: "speckitAnswer",
        runId: "0123456789abcdef",
        checkpoint: "before-plan",
        issueId: "CLR-009",
        answer: "Okta",
      });
      assert.equal(host.warnings.length, 2);
      assert.match(host.warnings[1], /no quality-gate question CLR-009 in run 0123456789abcdef \(before-plan\)/);
    } finally {
      await connection.sendRequest("shutdown").catch(() => undefined);
      connection.dispose();
      child.kill();
      model.child.kill();
    }
  },
);
