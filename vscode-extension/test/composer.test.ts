// Slash commands and @-mentions of the composer.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  contextItems,
  folders,
  messageItems,
  parseSlash,
  promptSuggestions,
  skillSuggestions,
  speckitCommandSuggestions,
  specSuggestions,
} from "../src/shared/composer";

test("slash commands are parsed with their argument, and mistakes say what is allowed", () => {
  assert.equal(parseSlash("fix the test"), undefined);
  assert.deepEqual(parseSlash("/compact"), { kind: "compact" });
  assert.deepEqual(parseSlash("/model  o3 "), { kind: "model", model: "o3" });
  assert.deepEqual(parseSlash("/approvals never"), { kind: "approvals", policy: "never" });
  const bad = parseSlash("/effort extreme");
  assert.ok(bad?.kind === "error" && bad.message.includes("minimal, low, medium, high"));
  const unknown = parseSlash("/frobnicate");
  assert.ok(unknown?.kind === "error" && unknown.message.includes("/compact"));
});

test("spec-kit commands and their aliases go to the server as messages", () => {
  for (const text of [
    "/speckit.plan SPEC-KIT-071",
    "/speckit.nope",
    "/spec-plan 71",
    "/new-spec Add login",
    "/new-spec",
  ]) {
    assert.equal(parseSlash(text), undefined, text);
  }
  assert.equal(parseSlash("/newspec")?.kind, "error");
});

test("@-mentions of existing files become mention items, once each", () => {
  const files = new Set(["src/app.py", "README.md"]);
  const items = messageItems("compare @src/app.py with @README.md and @src/app.py, not @ghost.txt", (p) =>
    files.has(p),
  );
  assert.deepEqual(items.slice(1), [
    { type: "mention", path: "src/app.py" },
    { type: "mention", path: "README.md" },
  ]);
  assert.equal(items[0].type, "text");
});

test("@selection, @problems and @current-file become context items, never file mentions", async () => {
  const text = "why does @problems say so about @selection? see @src/app.py";
  const items = messageItems(text, () => true);
  assert.deepEqual(items.slice(1), [{ type: "mention", path: "src/app.py" }]);
  const contexts = await contextItems(text, (name) =>
    Promise.resolve(name === "problems" ? { text: "app.py:1 error" } : { missing: `@${name}: nothing is selected` }),
  );
  assert.deepEqual(contexts.items, [{ type: "context", name: "problems", text: "app.py:1 error" }]);
  assert.deepEqual(contexts.missing, ["@selection: nothing is selected"]);
});

test("folders on the matching paths are offered as @-mentions too", () => {
  assert.deepEqual(folders(["src/app/main.py", "src/app/util.py", "docs/app.md"], "app"), ["src/app/"]);
  assert.deepEqual(folders(["Tests/unit/a.py"], "test"), ["Tests/"]);
});

test("/init goes to the server, and $ completes the enabled skills by name", () => {
  assert.equal(parseSlash("/init"), undefined);
  const skills = {
    skills: [
      {
        name: "deploy",
        description: "Deploy to staging",
        path: "/p/SKILL.md",
        scope: "project" as const,
        enabled: true,
      },
      { name: "debug", description: "Off", path: "/q/SKILL.md", scope: "user" as const, enabled: false },
      { name: "lint", description: "Run linters", path: "/r/SKILL.md", scope: "user" as const, enabled: true },
    ],
    errors: [],
  };
  assert.deepEqual(skillSuggestions(skills, "de"), [{ insert: "$deploy", label: "$deploy — Deploy to staging" }]);
  assert.equal(skillSuggestions(skills, "").length, 2);
  assert.deepEqual(skillSuggestions(undefined, "de"), []);
});

test("MCP prompts go to the server, and / completes them with their arguments", () => {
  assert.equal(parseSlash("/mcp__docs__review app.py"), undefined);
  const prompts = {
    prompts: [
      {
        command: "mcp__docs__review",
        server: "docs",
        name: "review",
        description: "Review a file",
        arguments: [
          { name: "path", required: true },
          { name: "focus", required: false },
        ],
      },
      { command: "mcp__docs__hello", server: "docs", name: "hello", arguments: [] },
    ],
  };
  assert.deepEqual(promptSuggestions(prompts, "/mcp__docs__r"), [
    { insert: "/mcp__docs__review", label: "/mcp__docs__review <path> [focus] — Review a file" },
  ]);
  assert.deepEqual(
    promptSuggestions(prompts, "/mcp__docs__h")[0].label,
    "/mcp__docs__hello — prompt of MCP server docs",
  );
  assert.deepEqual(promptSuggestions(undefined, "/"), []);
});

const SPECS = {
  specs: [
    { specId: "SPEC-KIT-070", directory: "docs/SPEC-KIT-070-b/", title: "B", status: "In Progress" },
    { specId: "SPEC-KIT-071", directory: "docs/SPEC-KIT-071-login/", title: "", status: "" },
    { specId: "SPEC-KIT-165", directory: "docs/SPEC-KIT-165-x/", title: "X", status: "Done" },
  ],
};

test("/speckit.<name> completes the workspace's SPEC ids (codex/listSpecs), replacing the command", () => {
  assert.deepEqual(specSuggestions(SPECS, "/speckit.plan spec-kit-07"), [
    { insert: "/speckit.plan SPEC-KIT-070", label: "SPEC-KIT-070 — B (In Progress)", whole: true },
    { insert: "/speckit.plan SPEC-KIT-071", label: "SPEC-KIT-071", whole: true },
  ]);
  assert.equal(specSuggestions(SPECS, "/speckit.auto ")?.length, 3);
  assert.deepEqual(specSuggestions(undefined, "/speckit.auto "), [], "nothing until the server answers");
  // no SPEC argument: a description, a command not of spec-kit, a second argument, plain text
  for (const text of [
    "/speckit.new SPEC",
    "/speckit.nope SPEC",
    "/speckit.plan SPEC-KIT-070 T0",
    "plan SPEC",
    "/speckit.plan",
  ])
    assert.equal(specSuggestions(SPECS, text), undefined, text);
});

test("/speckit. completes spec-kit's commands", () => {
  assert.deepEqual(
    speckitCommandSuggestions("/speckit.a").map((s) => s.label),
    ["/speckit.analyze <SPEC>", "/speckit.audit <SPEC>", "/speckit.auto <SPEC>"],
  );
  assert.deepEqual(speckitCommandSuggestions("/speckit.n"), [{ insert: "/speckit.new", label: "/speckit.new" }]);
  assert.deepEqual(speckitCommandSuggestions("/re"), []);
});
