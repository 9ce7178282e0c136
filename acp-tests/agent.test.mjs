// @ts-check
// `codex-lsp acp` driven by the official ACP TypeScript client SDK, scenario by scenario.
import { test as nodeTest } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as acp from "@agentclientprotocol/sdk";
import { FAULT_SERVER, PYTHON, lspTurn, withAgent } from "./harness.mjs";

// Each test has 60 s; the file as a whole (which node --test also times) gets the command line's
// larger budget, so a loaded machine slows the run down without failing it.
const test = (name, body) => nodeTest(name, { timeout: 60_000 }, body);

const PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** Update File: a.py\n@@\n def f():\n-    return 1\n+    return 2\n*** End Patch\n";

function alive(/** @type {number} */ pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return true;
}

/** Host pids of the processes whose command line holds `marker` (a sandboxed command runs in a
 * PID namespace: its own $$ and $! mean nothing outside it). */
async function pidsRunning(/** @type {string} */ marker) {
  const pids = [];
  for (const name of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await fs.readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "");
    if (cmdline.replaceAll("\0", " ").includes(marker)) pids.push(Number(name));
  }
  return pids;
}

test("handshake, a text turn, and commands announced after the session answer", async () => {
  const run = await withAgent({ script: [{ text: "Hello from the agent" }] }, async (t) => {
    assert.equal(t.init.protocolVersion, 1);
    assert.equal(t.init.agentCapabilities.loadSession, true);
    assert.deepEqual(t.init.agentCapabilities.promptCapabilities, { image: true, audio: false, embeddedContext: true });
    const sid = await t.newSession();
    const { stopReason } = await t.prompt(sid, "hi");
    assert.equal(stopReason, "end_turn");
    assert.equal(t.text(sid), "Hello from the agent");
    const kinds = t.of(sid).map((u) => u.sessionUpdate);
    assert.equal(kinds[0], "available_commands_update");
    const names = t.of(sid)[0].availableCommands.map((/** @type {any} */ c) => c.name);
    assert.deepEqual(names.slice(0, 3), ["review", "compact", "undo"]);
    assert.ok(names.includes("speckit.plan"));
    assert.ok(kinds.includes("usage_update"));
  });
  assert.equal(run.requests.length, 1);
});

test("a shell call with a permission request, its output streamed", async () => {
  await withAgent(
    {
      script: [
        { tool: "shell", callId: "sh1", arguments: { command: "printf 'built\\n'", with_escalated_permissions: true, justification: "build" } },
        { text: "built it" },
      ],
      answers: ["allow_once"],
    },
    async (t) => {
      const sid = await t.newSession();
      assert.equal((await t.prompt(sid, "build")).stopReason, "end_turn");
      assert.equal(t.asked.length, 1);
      const [asked] = t.asked;
      assert.equal(asked.toolCall.toolCallId, "sh1");
      assert.equal(asked.toolCall.title, "printf 'built\\n'");
      assert.deepEqual(
        asked.options.map((/** @type {any} */ o) => o.kind),
        ["allow_once", "allow_always", "reject_once", "reject_always"],
      );
      const calls = t.calls(sid);
      assert.equal(calls[0].sessionUpdate, "tool_call");
      assert.equal(calls[0].kind, "execute");
      const last = calls[calls.length - 1];
      assert.equal(last.status, "completed");
      assert.match(last.content[0].content.text, /built/);
    },
  );
});

test("a patch lands through fs/write_text_file with its diff in the tool call", async () => {
  await withAgent(
    { script: [{ tool: "apply_patch", callId: "p1", arguments: { input: PATCH } }, { text: "done" }], answers: ["allow_once"] },
    async (t) => {
      const file = path.join(t.workspace, "a.py");
      await fs.writeFile(file, "def f():\n    return 1\n");
      t.buffers.set(file, "# unsaved\ndef f():\n    return 1\n");
      const sid = await t.newSession();
      await t.agent.request(acp.methods.agent.session.setMode, { sessionId: sid, modeId: "read-only" });
      assert.equal((await t.prompt(sid, "edit")).stopReason, "end_turn");
      const [first] = t.calls(sid);
      assert.equal(first.kind, "edit");
      assert.deepEqual(
        first.locations.map((/** @type {any} */ l) => l.path),
        [path.join(t.workspace, "hello.txt"), file],
      );
      const diffs = first.content.filter((/** @type {any} */ c) => c.type === "diff");
      assert.equal(diffs[0].oldText, undefined);
      assert.equal(diffs[0].newText, "hello\n");
      assert.equal(diffs[1].oldText, "# unsaved\ndef f():\n    return 1\n");
      assert.equal(diffs[1].newText, "# unsaved\ndef f():\n    return 2\n");
      assert.deepEqual(
        t.writes.map((/** @type {any} */ w) => w.path),
        [path.join(t.workspace, "hello.txt"), file],
      );
      assert.equal(await fs.readFile(file, "utf8"), "# unsaved\ndef f():\n    return 2\n");
      assert.equal(t.calls(sid).at(-1).status, "completed");
    },
  );
});

test("reject always: a deny rule, the same command refused without asking", async () => {
  const call = { tool: "shell", arguments: { command: "touch nope.txt", with_escalated_permissions: true } };
  await withAgent(
    { script: [{ ...call, callId: "r1" }, { text: "rejected" }, { ...call, callId: "r2" }, { text: "again" }], answers: ["reject_always"] },
    async (t) => {
      const sid = await t.newSession();
      await t.prompt(sid, "touch");
      await t.prompt(sid, "touch again");
      assert.equal(t.asked.length, 1);
      await assert.rejects(fs.access(path.join(t.workspace, "nope.txt")));
      assert.match(await fs.readFile(path.join(t.home, "rules.toml"), "utf8"), /touch nope.txt/);
    },
  );
});

test("cancel mid-command: cancelled, the process group gone", async () => {
  const script = "sleep 30.5 & echo started > child.txt; wait # node-acp-cancel";
  await withAgent({ script: [{ tool: "shell", callId: "s1", arguments: { command: script, timeout_ms: 60000 } }, { text: "after" }] }, async (t) => {
    const sid = await t.newSession();
    const turn = t.prompt(sid, "sleep");
    const child = path.join(t.workspace, "child.txt");
    await t.until(async () => (await fs.readFile(child, "utf8").catch(() => "")).trim());
    const pids = [...(await pidsRunning("node-acp-cancel")), ...(await pidsRunning("sleep 30.5"))];
    assert.ok(pids.length >= 2 && pids.every(alive));
    const started = Date.now();
    await t.agent.notify(acp.methods.agent.session.cancel, { sessionId: sid });
    assert.equal((await turn).stopReason, "cancelled");
    assert.ok(Date.now() - started < 2000);
    await t.until(() => !pids.some(alive), 5000);
    assert.equal(t.calls(sid).at(-1).status, "failed");
    assert.equal((await t.prompt(sid, "go on")).stopReason, "end_turn");
  });
});

test("sessions persist: list, load (replayed first), resume, delete", async () => {
  let home = "";
  let workspace = "";
  let sid = "";
  await withAgent({ script: [{ text: "remembered answer" }] }, async (t) => {
    ({ home, workspace } = t);
    sid = await t.newSession();
    await t.prompt(sid, "remember this");
  });
  await withAgent({ home, workspace, script: [{ text: "continued" }] }, async (t) => {
    const listed = await t.agent.request(acp.methods.agent.session.list, { cwd: workspace });
    assert.deepEqual(listed.sessions.map((/** @type {any} */ s) => [s.sessionId, s.title]), [[sid, "remember this"]]);
    await t.agent.request(acp.methods.agent.session.load, { sessionId: sid, cwd: workspace, mcpServers: [] });
    const replayed = t.of(sid).map((u) => u.sessionUpdate);
    assert.ok(replayed.indexOf("user_message_chunk") < replayed.indexOf("agent_message_chunk"));
    assert.equal(t.text(sid), "remembered answer");
    assert.equal((await t.prompt(sid, "and now?")).stopReason, "end_turn");
    await t.agent.request(acp.methods.agent.session.close, { sessionId: sid });
    const before = t.of(sid).length;
    await t.agent.request(acp.methods.agent.session.resume, { sessionId: sid, cwd: workspace });
    assert.ok(!t.of(sid).slice(before).some((u) => u.sessionUpdate.endsWith("_chunk")));
    await t.agent.request(acp.methods.agent.session.delete, { sessionId: sid });
    assert.deepEqual((await t.agent.request(acp.methods.agent.session.list, {})).sessions, []);
    await assert.rejects(
      t.agent.request(acp.methods.agent.session.load, { sessionId: sid, cwd: workspace, mcpServers: [] }),
      (/** @type {any} */ error) => error.code === -32002,
    );
  }).then((run) => assert.match(JSON.stringify(run.requests[0].input), /remember this/));
});

test("the client's MCP server is used by the model", async () => {
  const run = await withAgent(
    { script: [{ tool: "mine__add", callId: "m1", arguments: { a: 19, b: 23 } }, { text: "42" }] },
    async (t) => {
      const sid = await t.newSession({ mcpServers: [{ name: "mine", command: PYTHON, args: [FAULT_SERVER], env: [] }] });
      assert.equal((await t.prompt(sid, "add")).stopReason, "end_turn");
      const done = t.calls(sid).filter((c) => c.status === "completed");
      assert.equal(done[0].toolCallId, "m1");
      assert.equal(done[0].content[0].content.text, "42");
      assert.equal(t.calls(sid)[0].title, "mine/add");
    },
  );
  assert.match(JSON.stringify(run.requests[0].tools), /mine__add/);
});

test("a provider 500 is a JSON-RPC error, and the next prompt works", async () => {
  await withAgent({ script: [{ error: 500, message: "upstream is down" }, { text: "recovered" }] }, async (t) => {
    const sid = await t.newSession();
    await assert.rejects(t.prompt(sid, "hello"), (/** @type {any} */ error) => {
      assert.equal(error.code, -32603);
      assert.match(error.message, /upstream is down/);
      return true;
    });
    assert.equal((await t.prompt(sid, "hello again")).stopReason, "end_turn");
    assert.equal(t.text(sid), "recovered");
  });
});

test("a bad request gets its error code and the agent keeps serving", async () => {
  await withAgent({ script: [{ text: "still here" }] }, async (t) => {
    await assert.rejects(t.agent.request("_codex/nothing", {}), (/** @type {any} */ e) => e.code === -32601);
    await assert.rejects(
      t.agent.request(acp.methods.agent.session.new, { cwd: "not/absolute", mcpServers: [] }),
      (/** @type {any} */ e) => e.code === -32602 && /absolute/.test(e.message),
    );
    await assert.rejects(
      t.agent.request(acp.methods.agent.session.prompt, { sessionId: "missing", prompt: [{ type: "text", text: "x" }] }),
      (/** @type {any} */ e) => e.code === -32002,
    );
    const sid = await t.newSession();
    await assert.rejects(
      t.agent.request(acp.methods.agent.session.setConfigOption, { sessionId: sid, configId: "model", value: "nope" }),
      (/** @type {any} */ e) => e.code === -32602,
    );
    assert.equal((await t.prompt(sid, "still there?")).stopReason, "end_turn");
  });
});

test("session/load replays, in order, a conversation started over LSP", async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "codex-lsp-both-"));
  const home = path.join(root, "home");
  const workspace = path.join(root, "ws");
  await fs.mkdir(workspace);
  const sid = await lspTurn({ home, workspace, script: [{ tool: "shell", callId: "old", arguments: { command: ["echo", "hi"] } }, { text: "the LSP answer" }], text: "asked in the editor" });
  const run = await withAgent({ home, workspace, script: [{ text: "the ACP answer" }] }, async (t) => {
    await t.agent.request(acp.methods.agent.session.load, { sessionId: sid, cwd: workspace, mcpServers: [] });
    const kinds = t.of(sid).map((u) => u.sessionUpdate);
    assert.ok(kinds.indexOf("user_message_chunk") < kinds.indexOf("tool_call"));
    assert.ok(kinds.indexOf("tool_call") < kinds.indexOf("agent_message_chunk"));
    assert.equal(t.text(sid, "user_message_chunk"), "asked in the editor");
    assert.equal(t.text(sid), "the LSP answer");
    assert.equal((await t.prompt(sid, "continue over ACP")).stopReason, "end_turn");
  });
  assert.match(JSON.stringify(run.requests[0].input), /asked in the editor/);
});
