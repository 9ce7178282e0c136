// The MCP view's state: how each server state is drawn, and the servers of a real codex-lsp
// process with a real MCP server (tests/mcp/servers/fault_server.py, the official SDK) that fails
// at its first start: listed, followed live through codex/mcpServerStatus, and restarted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McpServers, row } from "../src/host/mcpServers";
import type { Method, Result, Server } from "../src/host/requests";
import type { ListMcpServersResult, McpServerStatus } from "../src/shared/generated";
import { eventually, PYTHON, SKIP, startServer } from "./server";

const FAULT_SERVER = join(__dirname, "..", "..", "tests", "mcp", "servers", "fault_server.py");

test("each state is drawn with its icon, and tools by their own names", () => {
  assert.deepEqual(row({ name: "my.docs", state: "ready", tools: ["my_docs__search", "my_docs__get"] }), {
    name: "my.docs",
    state: "ready",
    description: "ready · 2 tools",
    tooltip: "my.docs: ready",
    icon: "pass",
    tools: [
      { name: "search", qualifiedName: "my_docs__search" },
      { name: "get", qualifiedName: "my_docs__get" },
    ],
  });
  assert.equal(row({ name: "a", state: "ready", tools: ["a__x"] }).description, "ready · 1 tool");
  assert.equal(row({ name: "a", state: "ready" }).description, "ready · no tools");
  const failed = row({ name: "a", state: "failed", reason: "did not start within 3 s", tools: [] });
  assert.deepEqual(
    [failed.icon, failed.description, failed.tooltip],
    ["error", "failed: did not start within 3 s", "a: failed: did not start within 3 s"],
  );
  assert.deepEqual(
    [row({ name: "a", state: "starting" }).icon, row({ name: "a", state: "starting" }).description],
    ["loading~spin", "starting…"],
  );
  assert.deepEqual(
    [row({ name: "a", state: "stopped" }).icon, row({ name: "a", state: "stopped" }).description],
    ["circle-slash", "stopped"],
  );
});

test("a status notified while the list is on its way wins over the list", async () => {
  let answer: (result: ListMcpServersResult) => void = () => undefined;
  const server: Server = {
    // only codex/listMcpServers is sent here
    request: <M extends Method>() => new Promise<Result<M>>((resolve) => (answer = (r) => resolve(r))),
  };
  const servers = new McpServers(server, () => undefined);
  servers.update({ name: "old", state: "ready" }); // before the request: the list supersedes it
  const listing = servers.refresh();
  servers.update({ name: "fs", state: "starting" });
  servers.update({ name: "new", state: "starting" });
  answer({
    servers: [
      { name: "fs", state: "stopped" },
      { name: "docs", state: "ready", tools: ["docs__get"] },
    ],
  });
  await listing;
  assert.deepEqual(
    servers.rows().map((r) => [r.name, r.state]),
    [
      ["fs", "starting"],
      ["docs", "ready"],
      ["new", "starting"],
    ],
  );
  servers.update({ name: "fs", state: "ready" });
  assert.equal(servers.rows()[0].state, "ready");
});

test("a real server's MCP servers: listed, live, restarted", { skip: SKIP, timeout: 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), "codex-lsp-mcp-"));
  const [home, workspace, marker] = [join(root, "home"), join(root, "ws"), join(root, "started-once")];
  mkdirSync(home);
  mkdirSync(workspace);
  // Fails at its first start (as a server missing its setup would), works once restarted.
  const script = `test -e ${marker} && exec ${PYTHON} ${FAULT_SERVER}; touch ${marker}; echo not set up yet >&2; exit 3`;
  writeFileSync(
    join(home, "config.toml"),
    `model = "fake-model"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "fake"\nbase_url = "http://127.0.0.1:9/v1"\n` +
      `[mcp_servers.faults]\ncommand = "/bin/sh"\nargs = ["-c", ${JSON.stringify(script)}]\n`,
  );
  const { connection, child } = await startServer(home, workspace);
  const states: string[] = [];
  const servers = new McpServers({ request: (method, params) => connection.sendRequest(method, params) }, () =>
    states.push(
      servers
        .rows()
        .map((r) => r.state)
        .join(","),
    ),
  );
  connection.onNotification("codex/mcpServerStatus", (status: McpServerStatus) => servers.update(status));
  try {
    await servers.refresh();
    assert.ok(servers.known);
    await eventually(() => servers.rows()[0]?.state === "failed", "the first start to fail");
    const [failed] = servers.rows();
    assert.equal(failed.icon, "error");
    assert.match(failed.description, /^failed: ./);

    await servers.restart("faults");
    await eventually(() => servers.rows()[0]?.state === "ready", "the restarted server");
    const [ready] = servers.rows();
    assert.ok(
      ready.tools.some((t) => t.name === "add" && t.qualifiedName === "faults__add"),
      JSON.stringify(ready),
    );
    assert.match(ready.description, /^ready · \d+ tools$/);
    const seen = states.filter((s, i) => s !== states[i - 1]); // the live sequence, repeats folded
    assert.deepEqual(seen.slice(seen.lastIndexOf("failed")), ["failed", "starting", "ready"]);
    assert.ok(!seen.includes("stopped"), seen.join(" / ")); // the list never undid a newer notification

    await servers.refresh(); // what a new window (or Refresh) lists is what the notifications said
    assert.deepEqual(servers.rows(), [ready]);
    await assert.rejects(servers.restart("nope"), /no MCP server named 'nope' \(configured: faults\)/);
    servers.clear();
    assert.deepEqual([servers.rows(), servers.known], [[], false]);
  } finally {
    await connection.sendRequest("shutdown").catch(() => undefined);
    connection.dispose();
    child.kill();
  }
});
