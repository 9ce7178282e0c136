// The bridge's requests are typed by the protocol's generated method map: a wrong method, wrong
// params or a wrong use of a result does not compile (`npm run typecheck` covers test/, so each
// expected error in `refused` fails the build if the typing gets looser), and the bridge sends
// the methods and params the protocol names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { ResponseError } from "vscode-jsonrpc/node";
import { ChatBridge } from "../src/host/bridge";
import { CodexErrorCodes } from "../src/shared/generated";
import type { Method, Params, Result, Server } from "../src/host/requests";
import { RecordingHost } from "./host";

/** Compiled, never run: what the typing refuses. */
export async function refused(server: Server): Promise<void> {
  // @ts-expect-error: not a method of the protocol
  await server.request("codex/frobnicate", {});
  // @ts-expect-error: codex/userInput needs items
  await server.request("codex/userInput", { conversationId: "c" });
  // @ts-expect-error: a conversation id is a string
  await server.request("codex/interrupt", { conversationId: 7 });
  // @ts-expect-error: only the approval commands are sent
  await server.request("workspace/executeCommand", { command: "codex-lsp.sendPrompt", arguments: ["hi"] });
  const info = await server.request("codex/newConversation", {});
  // @ts-expect-error: the result is a ConversationInfo
  const count: number = info.conversationId;
  void count;
}

type Call = { [M in Method]: { method: M; params: Params<M> } }[Method];

/** A server that records each request and answers from `answer` (or with what it throws). */
class RecordingServer implements Server {
  calls: Call[] = [];

  constructor(private readonly answer: (call: Call) => unknown) {}

  request<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    const call = { method, params } as Call; // a (method, params) pair of the same M
    this.calls.push(call);
    return new Promise((resolve) => resolve(this.answer(call) as Result<M>)); // what `answer` throws rejects
  }
}

const INFO = { conversationId: "c1", model: "m", modelProvider: "p", cwd: "/w" };

test("a message, a slash command and an approval as typed requests", async () => {
  const server = new RecordingServer((call) => {
    if (call.method === "codex/newConversation") return INFO;
    if (call.method === "workspace/executeCommand") return { decision: "approved" };
    return { submissionId: "s" };
  });
  const host = new RecordingHost(tmpdir());
  const bridge = new ChatBridge(server, host);
  await bridge.handle({ type: "send", text: "hello" });
  await bridge.handle({ type: "send", text: "/compact" });
  await bridge.handle({
    type: "approve",
    conversationId: "c1",
    callId: "call-1",
    decision: "approved",
    rejectedHunks: { "a.py": [1] },
  });
  await bridge.handle({ type: "approve", conversationId: "c1", callId: "call-2", decision: "denied" });
  assert.deepEqual(host.warnings, []);
  assert.deepEqual(server.calls, [
    { method: "codex/newConversation", params: {} },
    { method: "codex/userInput", params: { conversationId: "c1", items: [{ type: "text", text: "hello" }] } },
    { method: "codex/compact", params: { conversationId: "c1" } },
    {
      method: "workspace/executeCommand",
      params: {
        command: "codex-lsp.approve",
        arguments: [{ callId: "call-1", conversationId: "c1", decision: "approved", rejectedHunks: { "a.py": [1] } }],
      },
    },
    {
      method: "workspace/executeCommand",
      params: { command: "codex-lsp.deny", arguments: [{ callId: "call-2", conversationId: "c1" }] },
    },
  ]);
});

/** A server that does not know conversation c1 until it is resumed; it refuses with `refusal`. */
function forgetfulServer(refusal: ResponseError<void>): RecordingServer {
  let known = false;
  return new RecordingServer((call) => {
    if (call.method === "codex/newConversation") return INFO;
    if (call.method === "codex/resumeConversation") {
      known = true;
      return { ...INFO, initialMessages: [] };
    }
    if (!known) throw refusal;
    return { submissionId: "s" };
  });
}

test("a request for a conversation the server does not know resumes it and is sent again", async () => {
  // The error code decides, whatever the message says.
  const server = forgetfulServer(new ResponseError(CodexErrorCodes.unknownConversation, "no such chat: c1"));
  const host = new RecordingHost(tmpdir());
  const bridge = new ChatBridge(server, host);
  await bridge.handle({ type: "send", text: "first" });
  assert.deepEqual(
    server.calls.map((c) => c.method),
    ["codex/newConversation", "codex/userInput", "codex/resumeConversation", "codex/userInput"],
  );
  assert.deepEqual(server.calls[2].params, { conversationId: "c1" });
  assert.deepEqual(host.warnings, []);
});

test("another error that mentions an unknown conversation id is shown, not resumed", async () => {
  const server = forgetfulServer(new ResponseError(-32602, "unknown conversation id c1 in items.0.text"));
  const host = new RecordingHost(tmpdir());
  const bridge = new ChatBridge(server, host);
  await bridge.handle({ type: "send", text: "first" });
  assert.deepEqual(
    server.calls.map((c) => c.method),
    ["codex/newConversation", "codex/userInput"],
  );
  assert.deepEqual(host.warnings, ["unknown conversation id c1 in items.0.text"]);
});
