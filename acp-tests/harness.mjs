// @ts-check
// A real `codex-lsp acp` process driven by the official ACP TypeScript client SDK
// (@agentclientprotocol/sdk, pinned in package.json), with the scripted model server
// (`python -m codex_lsp.testing script.json`) as its provider. Every frame is recorded in wire
// order, and every run checks the protocol's invariants: stdout carries one JSON object per line
// and nothing else; no session/update of a session precedes its session/new answer; no update of
// a turn follows the prompt's answer.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, Transform, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import * as acp from "@agentclientprotocol/sdk";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, "..");
export const PYTHON = process.env.CODEX_LSP_PYTHON || path.join(REPO, ".venv", "bin", "python");
export const FAULT_SERVER = path.join(REPO, "tests", "mcp", "servers", "fault_server.py");

/** @typedef {{ dir: "in" | "out", msg: any }} Frame */

/** Lines of a byte stream, each handed to `onLine`; the bytes pass through unchanged. */
function tap(/** @type {(line: string) => void} */ onLine) {
  let pending = "";
  return new Transform({
    transform(chunk, _encoding, done) {
      pending += chunk.toString("utf8");
      let cut;
      while ((cut = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, cut);
        pending = pending.slice(cut + 1);
        if (line.trim()) onLine(line);
      }
      done(null, chunk);
    },
  });
}

/** Start the scripted model server; resolves with its base URL and a `stop()` that returns the
 * request bodies it received. */
async function modelServer(/** @type {string} */ scriptPath) {
  const child = spawn(PYTHON, ["-m", "codex_lsp.testing", scriptPath], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, PYTHONPATH: path.join(REPO, "server") },
  });
  let out = "";
  const firstLine = new Promise((resolve, reject) => {
    child.stdout.on("data", (data) => {
      out += data.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0].trim());
    });
    child.on("exit", (code) => reject(new Error(`model server exited (${code})`)));
  });
  const baseUrl = /** @type {string} */ (await firstLine);
  return {
    baseUrl,
    async stop() {
      const exited = new Promise((resolve) => child.on("exit", resolve));
      child.stdin.end();
      await exited;
      const lines = out.trim().split("\n");
      return /** @type {any[]} */ (JSON.parse(lines[lines.length - 1]));
    },
  };
}

/**
 * Run `body` against a fresh agent. Options: `script` (the model's replies), `config` (more
 * config.toml text), `capabilities` (the client's), `answers` (permission optionIds in order,
 * or "cancelled", or "hold"), `home` / `workspace` (reuse those of an earlier run).
 * @param {{ script?: any[], config?: string, capabilities?: any, answers?: string[], home?: string, workspace?: string }} options
 * @param {(t: Run) => Promise<void>} body
 */
export async function withAgent(options, body) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "codex-lsp-acp-"));
  const home = options.home ?? path.join(root, "home");
  const workspace = options.workspace ?? path.join(root, "ws");
  await fs.mkdir(home, { recursive: true });
  await fs.mkdir(workspace, { recursive: true });
  const scriptPath = path.join(root, "script.json");
  await fs.writeFile(scriptPath, JSON.stringify(options.script ?? []));
  const model = await modelServer(scriptPath);
  await fs.writeFile(
    path.join(home, "config.toml"),
    `model = "fake-model"\nmodel_provider = "fake"\nmodel_context_window = 272000\n${options.config ?? ""}\n` +
      `[model_providers.fake]\nname = "fake"\nbase_url = "${model.baseUrl}"\nwire_api = "responses"\n` +
      `env_key = "FAKE_MODEL_KEY"\nrequest_max_retries = 0\nstream_max_retries = 0\n`,
  );
  const child = spawn(PYTHON, ["-m", "codex_lsp", "acp"], {
    cwd: workspace,
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH,
      HOME: root,
      CODEX_LSP_HOME: home,
      FAKE_MODEL_KEY: "sk-fake",
      PYTHONPATH: path.join(REPO, "server"),
    },
  });
  let stderr = "";
  child.stderr.on("data", (data) => (stderr += data.toString()));
  const run = new Run(home, workspace, options.answers ?? []);
  const incoming = tap((line) => run.record("in", line));
  const outgoing = tap((line) => run.record("out", line));
  child.stdout.pipe(incoming);
  outgoing.pipe(child.stdin);
  const stream = acp.ndJsonStream(
    /** @type {WritableStream<Uint8Array>} */ (Writable.toWeb(outgoing)),
    /** @type {ReadableStream<Uint8Array>} */ (Readable.toWeb(incoming)),
  );
  const app = acp
    .client({ name: "codex-lsp-acp-tests" })
    .onNotification(acp.methods.client.session.update, ({ params }) => {
      run.updates.push(params);
    })
    .onRequest(acp.methods.client.session.requestPermission, ({ params }) => run.permission(params))
    .onRequest(acp.methods.client.fs.writeTextFile, async ({ params }) => {
      run.writes.push(params);
      await fs.mkdir(path.dirname(params.path), { recursive: true });
      await fs.writeFile(params.path, params.content);
      return {};
    })
    .onRequest(acp.methods.client.fs.readTextFile, async ({ params }) => {
      run.reads.push(params.path);
      return { content: run.buffers.get(params.path) ?? (await fs.readFile(params.path, "utf8")) };
    });
  try {
    await app.connectWith(stream, async (agent) => {
      run.agent = agent;
      run.init = await agent.request(acp.methods.agent.initialize, {
        protocolVersion: acp.PROTOCOL_VERSION,
        clientCapabilities: options.capabilities ?? { fs: { readTextFile: true, writeTextFile: true } },
        clientInfo: { name: "codex-lsp-acp-tests", version: "0.0.1" },
      });
      await body(run);
    });
  } finally {
    child.stdin.end();
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.on("exit", resolve)));
    run.requests = await model.stop();
  }
  run.checkInvariants();
  assert.equal(run.badLines.length, 0, `not JSON-RPC on stdout: ${run.badLines.join(" | ")}`);
  assert.ok(!stderr.includes("Traceback"), stderr);
  return run;
}

/** One agent run: what was sent and received, and the client's answers. */
export class Run {
  constructor(/** @type {string} */ home, /** @type {string} */ workspace, /** @type {string[]} */ answers) {
    this.home = home;
    this.workspace = workspace;
    this.answers = answers;
    /** @type {Frame[]} */ this.frames = [];
    /** @type {string[]} */ this.badLines = [];
    /** @type {any[]} */ this.updates = [];
    /** @type {any[]} */ this.asked = [];
    /** @type {any[]} */ this.writes = [];
    /** @type {string[]} */ this.reads = [];
    /** @type {Map<string, string>} */ this.buffers = new Map();
    /** @type {((answer: string) => void)[]} */ this.held = [];
    /** @type {any[]} */ this.requests = [];
    /** @type {any} */ this.agent = undefined;
    /** @type {any} */ this.init = undefined;
  }

  record(/** @type {"in" | "out"} */ dir, /** @type {string} */ line) {
    try {
      const msg = JSON.parse(line);
      if (typeof msg !== "object" || msg === null || Array.isArray(msg)) throw new Error("not an object");
      this.frames.push({ dir, msg });
    } catch {
      if (dir === "in") this.badLines.push(line);
    }
  }

  /** The client's answer to a permission request. */
  async permission(/** @type {any} */ params) {
    this.asked.push(params);
    let answer = this.answers.shift() ?? "reject_once";
    if (answer === "hold") answer = await new Promise((resolve) => this.held.push(resolve));
    if (answer === "cancelled") return { outcome: { outcome: "cancelled" } };
    return { outcome: { outcome: "selected", optionId: answer } };
  }

  /** The updates of `sessionId`, in wire order. */
  of(/** @type {string} */ sessionId) {
    return this.frames
      .filter((f) => f.dir === "in" && f.msg.method === "session/update" && f.msg.params.sessionId === sessionId)
      .map((f) => f.msg.params.update);
  }

  calls(/** @type {string} */ sessionId) {
    return this.of(sessionId).filter((u) => u.sessionUpdate.startsWith("tool_call"));
  }

  text(/** @type {string} */ sessionId, kind = "agent_message_chunk") {
    return this.of(sessionId)
      .filter((u) => u.sessionUpdate === kind)
      .map((u) => u.content.text)
      .join("");
  }

  /** Start a session in the workspace. */
  async newSession(/** @type {any} */ extra = {}) {
    const response = await this.agent.request(acp.methods.agent.session.new, {
      cwd: this.workspace,
      mcpServers: [],
      ...extra,
    });
    return /** @type {string} */ (response.sessionId);
  }

  /** One prompt of text. */
  prompt(/** @type {string} */ sessionId, /** @type {string} */ text) {
    return this.agent.request(acp.methods.agent.session.prompt, {
      sessionId,
      prompt: [{ type: "text", text }],
    });
  }

  /** Until `check()` is truthy (polled). */
  async until(/** @type {() => any} */ check, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await check();
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${check}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  checkInvariants() {
    /** @type {Map<any, any>} */ const requests = new Map();
    const answered = new Set();
    /** @type {Map<string, number>} */ const open = new Map();
    const notTurn = new Set(["available_commands_update", "session_info_update", "config_option_update", "current_mode_update", "usage_update"]);
    for (const { dir, msg } of this.frames) {
      if (dir === "out" && msg.method && "id" in msg) {
        requests.set(msg.id, msg);
        if (msg.method === "session/prompt") open.set(msg.params.sessionId, (open.get(msg.params.sessionId) ?? 0) + 1);
        if (msg.method === "session/load") answered.add(msg.params.sessionId);
      } else if (dir === "in" && "id" in msg && !msg.method) {
        const request = requests.get(msg.id);
        if (request?.method === "session/new" && msg.result?.sessionId) answered.add(msg.result.sessionId);
        if (request?.method === "session/resume") answered.add(request.params.sessionId);
        if (request?.method === "session/prompt") open.set(request.params.sessionId, (open.get(request.params.sessionId) ?? 1) - 1);
      } else if (dir === "in" && msg.method === "session/update") {
        const sid = msg.params.sessionId;
        assert.ok(answered.has(sid), `update before the session's answer: ${JSON.stringify(msg)}`);
        const kind = msg.params.update.sessionUpdate;
        if (!notTurn.has(kind) && open.has(sid)) {
          assert.ok((open.get(sid) ?? 0) > 0, `update after the prompt's answer: ${JSON.stringify(msg)}`);
        }
      }
    }
  }
}

/**
 * One turn in a conversation started over LSP (`python -m codex_lsp`, Content-Length framing),
 * on the store in `home`; the conversation is shut down (still stored) before this returns.
 * @param {{ home: string, workspace: string, script: any[], text: string }} options
 * @returns {Promise<string>} the conversation id
 */
export async function lspTurn({ home, workspace, script, text }) {
  const scriptPath = path.join(path.dirname(home), "lsp-script.json");
  await fs.writeFile(scriptPath, JSON.stringify(script));
  const model = await modelServer(scriptPath);
  await fs.mkdir(home, { recursive: true });
  await fs.writeFile(
    path.join(home, "config.toml"),
    `model = "fake-model"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "fake"\n` +
      `base_url = "${model.baseUrl}"\nwire_api = "responses"\nenv_key = "FAKE_MODEL_KEY"\n`,
  );
  const child = spawn(PYTHON, ["-m", "codex_lsp"], {
    cwd: workspace,
    stdio: ["pipe", "pipe", "inherit"],
    env: { PATH: process.env.PATH, HOME: path.dirname(home), CODEX_LSP_HOME: home, FAKE_MODEL_KEY: "sk-fake", PYTHONPATH: path.join(REPO, "server") },
  });
  /** @type {Map<number, (result: any) => void>} */ const pending = new Map();
  /** @type {any[]} */ const events = [];
  let buffer = Buffer.alloc(0);
  child.stdout.on("data", (data) => {
    buffer = Buffer.concat([buffer, data]);
    for (;;) {
      const head = buffer.indexOf("\r\n\r\n");
      if (head < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, head).toString())?.[1]);
      if (buffer.length < head + 4 + length) return;
      const msg = JSON.parse(buffer.subarray(head + 4, head + 4 + length).toString());
      buffer = buffer.subarray(head + 4 + length);
      if ("id" in msg && !msg.method) pending.get(msg.id)?.(msg.result);
      else if ("id" in msg) send({ jsonrpc: "2.0", id: msg.id, result: null });
      else if (msg.method === "codex/event") events.push(msg.params.msg);
    }
  });
  function send(/** @type {any} */ msg) {
    const body = Buffer.from(JSON.stringify(msg));
    child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    child.stdin.write(body);
  }
  let nextId = 0;
  const request = (/** @type {string} */ method, /** @type {any} */ params) =>
    new Promise((resolve) => {
      nextId += 1;
      pending.set(nextId, resolve);
      send({ jsonrpc: "2.0", id: nextId, method, params });
    });
  const seen = async (/** @type {string} */ type) => {
    for (let i = 0; i < 400 && !events.some((e) => e.type === type); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(events.some((e) => e.type === type), `no ${type} event`);
  };
  await request("initialize", { processId: process.pid, rootUri: `file://${workspace}`, capabilities: {} });
  send({ jsonrpc: "2.0", method: "initialized", params: {} });
  const { conversationId } = /** @type {any} */ (await request("codex/newConversation", {}));
  await request("codex/userInput", { conversationId, items: [{ type: "text", text }] });
  await seen("taskComplete");
  await request("codex/shutdown", { conversationId });
  await seen("shutdownComplete");
  await request("shutdown", null);
  send({ jsonrpc: "2.0", method: "exit" });
  await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.on("exit", resolve)));
  await model.stop();
  return conversationId;
}
