// What the composer's text means: slash commands (/compact, /review, /undo, /status, /model,
// /effort, /approvals; /init goes to the server as the message it is), the @-mentioned files and the editor context (@selection, @problems,
// @current-file) sent with a message.
import type {
  AskForApproval,
  ContextInput,
  ListMcpPromptsResult,
  ListSkillsResult,
  ListSpecsResult,
  LocalImageInput,
  MentionInput,
  ReasoningEffort,
  ReviewTarget,
  TextInput,
} from "./generated";

export type UserInputItem = TextInput | MentionInput | ContextInput | LocalImageInput;

/** The editor context a message can @-mention by name. */
export const CONTEXTS: { name: string; help: string }[] = [
  { name: "selection", help: "the selected text of the active editor" },
  { name: "problems", help: "the errors and warnings VS Code reports" },
  { name: "current-file", help: "the active editor's file, unsaved changes included" },
];

export type Slash =
  | { kind: "compact" }
  /** Without a target the editor asks for one (uncommitted, a base branch, a commit). */
  | { kind: "review"; target?: ReviewTarget }
  | { kind: "undo" }
  | { kind: "status" }
  | { kind: "model"; model: string }
  | { kind: "effort"; effort: ReasoningEffort }
  | { kind: "approvals"; policy: AskForApproval }
  | { kind: "error"; message: string };

export const SLASH_COMMANDS: { name: string; help: string }[] = [
  { name: "/compact", help: "summarise the conversation to free context" },
  { name: "/review", help: "/review [uncommitted | base <branch> | commit <sha> | <instructions>]" },
  { name: "/undo", help: "restore the files the last turn changed" },
  { name: "/init", help: "write an AGENTS.md for this repository (the patch asks as any does)" },
  { name: "/status", help: "model, policies and context of this conversation" },
  { name: "/model", help: "/model <name>: the model for the next turns" },
  { name: "/effort", help: "/effort minimal|low|medium|high" },
  { name: "/approvals", help: "/approvals untrusted|on-failure|on-request|never" },
  { name: "/speckit.status", help: "spec-kit: /speckit.new, /speckit.plan <SPEC>, /speckit.status [<SPEC>], …" },
];

export const EFFORTS: ReasoningEffort[] = ["minimal", "low", "medium", "high"];
export const POLICIES: AskForApproval[] = ["untrusted", "on-failure", "on-request", "never"];

/** spec-kit's commands (`/speckit.plan`, aliases `/spec-plan`, `/new-spec`): the server carries
 * them out, so they are sent as the message they are. */
const SPECKIT = /^\/(?:speckit\.|spec-|new-spec(?:\s|$))/;

/** spec-kit's commands (docs/protocol.md, `codex-lsp.speckit.<name>`), for `/speckit.` completion. */
export const SPECKIT_NAMES = [
  "new",
  "specify",
  "clarify",
  "analyze",
  "checklist",
  "plan",
  "tasks",
  "implement",
  "validate",
  "audit",
  "unlock",
  "auto",
  "cancel",
  "status",
  "constitution",
];

/** The spec-kit commands whose argument is not a SPEC id (a description, a principle). */
const NO_SPEC = new Set(["new", "constitution"]);

/** A completion: `insert` replaces the word being typed, or the whole composer when `whole`. */
export type Suggestion = { insert: string; label: string; whole?: boolean };

/** The `/speckit.<name>` completions of `word` (a word starting with `/speckit.`). */
export function speckitCommandSuggestions(word: string): Suggestion[] {
  if (!word.startsWith("/speckit.")) return [];
  return SPECKIT_NAMES.filter((name) => `/speckit.${name}`.startsWith(word)).map((name) => ({
    insert: `/speckit.${name}`,
    label: `/speckit.${name}${NO_SPEC.has(name) ? "" : " <SPEC>"}`,
  }));
}

const SPEC_ARGUMENT = /^\/speckit\.(\w+)\s+(\S*)$/;

/** The completions of the SPEC id of a `/speckit.<name> <SPEC>` being typed (`text`: the
 * composer's): the workspace's SPECs (codex/listSpecs) whose id starts with what is typed (case
 * aside), each replacing the whole command; undefined when `text` is no such command. */
export function specSuggestions(specs: ListSpecsResult | undefined, text: string): Suggestion[] | undefined {
  const match = SPEC_ARGUMENT.exec(text.trimStart());
  if (!match || !SPECKIT_NAMES.includes(match[1]) || NO_SPEC.has(match[1])) return undefined;
  const [, name, typed] = match;
  return (specs?.specs ?? [])
    .filter((s) => s.specId.toLowerCase().startsWith(typed.toLowerCase()))
    .map((s) => ({
      insert: `/speckit.${name} ${s.specId}`,
      label: `${s.specId}${s.title ? ` — ${s.title}` : ""}${s.status ? ` (${s.status})` : ""}`,
      whole: true,
    }));
}

/** An MCP prompt (`/mcp__<server>__<prompt> args`): the server fills it in. */
const MCP_PROMPT = /^\/mcp__[\w-]+(?:\s|$)/;

/** The `/` completions of MCP prompts (codex/listMcpPrompts) whose command starts with `word`. */
export function promptSuggestions(
  prompts: ListMcpPromptsResult | undefined,
  word: string,
): { insert: string; label: string }[] {
  return (prompts?.prompts ?? [])
    .filter((p) => `/${p.command}`.startsWith(word))
    .map((p) => {
      const args = (p.arguments ?? []).map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`)).join(" ");
      const help = p.description ?? `prompt of MCP server ${p.server}`;
      return { insert: `/${p.command}`, label: `/${p.command}${args ? ` ${args}` : ""} — ${help}` };
    });
}

/** The slash command in `text`, or undefined when it is a message. */
export function parseSlash(text: string): Slash | undefined {
  if (SPECKIT.test(text.trim()) || MCP_PROMPT.test(text.trim()) || text.trim() === "/init") return undefined;
  const match = /^\/(\w+)\s*(.*)$/s.exec(text.trim());
  if (!match) return undefined;
  const [, name, rest] = match;
  const arg = rest.trim();
  switch (name) {
    case "review":
      return arg ? { kind: "review", target: reviewTarget(arg) } : { kind: "review" };
    case "compact":
    case "undo":
    case "status":
      return { kind: name };
    case "model":
      return arg ? { kind: "model", model: arg } : { kind: "error", message: "/model needs a model name" };
    case "effort":
      return (EFFORTS as string[]).includes(arg)
        ? { kind: "effort", effort: arg as ReasoningEffort }
        : { kind: "error", message: `/effort takes ${EFFORTS.join(", ")}` };
    case "approvals":
      return (POLICIES as string[]).includes(arg)
        ? { kind: "approvals", policy: arg as AskForApproval }
        : { kind: "error", message: `/approvals takes ${POLICIES.join(", ")}` };
    default:
      return { kind: "error", message: `unknown command /${name}; try ${SLASH_COMMANDS.map((c) => c.name).join(" ")}` };
  }
}

/** What `/review <arg>` reviews: `uncommitted`, `base <branch>`, `commit <sha>`, else the
 * words are the reviewer's instructions. */
function reviewTarget(arg: string): ReviewTarget {
  const [word, value, ...more] = arg.split(/\s+/);
  if (word === "uncommitted" && value === undefined) return { type: "uncommittedChanges" };
  if (word === "base" && value && !more.length) return { type: "baseBranch", branch: value };
  if (word === "commit" && value && !more.length) return { type: "commit", sha: value };
  return { type: "custom", instructions: arg };
}

const MENTION = /(?:^|\s)@([\w./-]+)/g;

/** The `$` completions of `prefix` (the text after `$`): the enabled skills whose name starts
 * with it; the server sends a `$name` skill's SKILL.md with the message. */
export function skillSuggestions(
  skills: ListSkillsResult | undefined,
  prefix: string,
): { insert: string; label: string }[] {
  return (skills?.skills ?? [])
    .filter((s) => s.enabled && s.name.startsWith(prefix))
    .map((s) => ({ insert: `$${s.name}`, label: `$${s.name} — ${s.description}` }));
}

/** The items of a message: its text, and each @-mentioned path that `exists` as a mention. */
export function messageItems(text: string, exists: (path: string) => boolean): UserInputItem[] {
  const items: UserInputItem[] = [{ type: "text", text }];
  const seen = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    const path = match[1];
    if (!seen.has(path) && !CONTEXTS.some((c) => c.name === path) && exists(path)) {
      seen.add(path);
      items.push({ type: "mention", path });
    }
  }
  return items;
}

/** The editor context a message names (@selection, @problems, @current-file), resolved by
 * the editor; what could not be resolved is listed in `missing`. */
export async function contextItems(
  text: string,
  resolve: (name: string) => Promise<{ text: string } | { missing: string }>,
): Promise<{ items: ContextInput[]; missing: string[] }> {
  const names = new Set([...text.matchAll(MENTION)].map((m) => m[1]).filter((n) => CONTEXTS.some((c) => c.name === n)));
  const items: ContextInput[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const found = await resolve(name);
    if ("text" in found) items.push({ type: "context", name, text: found.text });
    else missing.push(found.missing);
  }
  return { items, missing };
}

/** The folders on `paths` whose own name contains `query` (case-insensitive), as `dir/`. */
export function folders(paths: string[], query: string): string[] {
  const wanted = query.toLowerCase();
  const found = new Set<string>();
  for (const path of paths) {
    const parts = path.split("/").slice(0, -1);
    parts.forEach((name, i) => {
      if (name.toLowerCase().includes(wanted)) found.add(`${parts.slice(0, i + 1).join("/")}/`);
    });
  }
  return [...found].slice(0, 3);
}
