// The webview ↔ host messages are one union each way, handled by exhaustive switches: a switch
// that misses a message does not compile (`npm run typecheck` covers test/), and a message the
// other side does not know (an older or newer webview) is shown as a warning, never thrown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { ChatBridge } from "../src/host/bridge";
import { unhandled, type FromWebview, type ToWebview } from "../src/shared/messages";
import { RecordingHost } from "./host";

/** Compiled, never run: a switch that handles one message only. */
export function partial(message: FromWebview | ToWebview): string {
  switch (message.type) {
    case "ready":
      return "ready";
    default:
      // @ts-expect-error: the other messages are not handled
      return unhandled(message);
  }
}

test("a message the bridge does not know is a warning", async () => {
  const host = new RecordingHost(tmpdir());
  const bridge = new ChatBridge({ request: () => Promise.reject(new Error("no request expected")) }, host);
  // What an incompatible webview could post: outside the union, so cast.
  await bridge.handle({ type: "frobnicate", x: 1 } as unknown as FromWebview);
  assert.deepEqual(host.warnings, ['unhandled message: {"type":"frobnicate","x":1}']);
});

test("the panel is posted as a state message once per frame", async () => {
  const host = new RecordingHost(tmpdir());
  const bridge = new ChatBridge({ request: () => Promise.reject(new Error("no request expected")) }, host);
  await bridge.handle({ type: "ready" });
  await bridge.handle({ type: "newConversation" });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(host.posted, [{ type: "state", view: { tabs: [], active: undefined, conversation: undefined } }]);
});

test("the empty state's findings: a server that is not running is one of them, not a warning", async () => {
  const host = new RecordingHost(tmpdir());
  const bridge = new ChatBridge({ request: () => Promise.reject(new Error("codex-lsp is not running")) }, host);
  await bridge.handle({ type: "doctor" });
  assert.deepEqual(host.posted, [
    {
      type: "doctor",
      result: { ok: false, findings: [{ verdict: "fail", area: "server", detail: "codex-lsp is not running" }] },
    },
  ]);
  assert.deepEqual(host.warnings, []);
});

test("code block actions go to the editor as they came", async () => {
  const host = new RecordingHost(tmpdir());
  const bridge = new ChatBridge({ request: () => Promise.reject(new Error("no request expected")) }, host);
  await bridge.handle({ type: "applyCode", path: "src/app.py", code: "x = 2\n" });
  await bridge.handle({ type: "copyCode", code: "ls" });
  assert.deepEqual(host.edits, [
    { type: "applyCode", path: "src/app.py", code: "x = 2\n" },
    { type: "copyCode", code: "ls" },
  ]);
});
