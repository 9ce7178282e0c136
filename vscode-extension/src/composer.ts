// What the composer's text means: slash commands (/compact, /review, /undo, /status, /model,
// /effort, /approvals) and the @-mentioned files sent with a message.
import type { AskForApproval, MentionInput, ReasoningEffort, TextInput } from "./protocol/generated";

export type UserInputItem = TextInput | MentionInput;

export type Slash =
  | { kind: "compact" }
  | { kind: "review" }
  | { kind: "undo" }
  | { kind: "status" }
  | { kind: "model"; model: string }
  | { kind: "effort"; effort: ReasoningEffort }
  | { kind: "approvals"; policy: AskForApproval }
  | { kind: "error"; message: string };

export const SLASH_COMMANDS: { name: string; help: string }[] = [
  { name: "/compact", help: "summarise the conversation to free context" },
  { name: "/review", help: "review the uncommitted changes" },
  { name: "/undo", help: "restore the files the last turn changed" },
  { name: "/status", help: "model, policies and context of this conversation" },
  { name: "/model", help: "/model <name>: the model for the next turns" },
  { name: "/effort", help: "/effort minimal|low|medium|high" },
  { name: "/approvals", help: "/approvals untrusted|on-failure|on-request|never" },
];

const EFFORTS: ReasoningEffort[] = ["minimal", "low", "medium", "high"];
const POLICIES: AskForApproval[] = ["untrusted", "on-failure", "on-request", "never"];

/** The slash command in `text`, or undefined when it is a message. */
export function parseSlash(text: string): Slash | undefined {
  const match = /^\/(\w+)\s*(.*)$/s.exec(text.trim());
  if (!match) return undefined;
  const [, name, rest] = match;
  const arg = rest.trim();
  switch (name) {
    case "compact":
    case "review":
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

/** The items of a message: its text, and each @-mentioned path that `exists` as a mention. */
export function messageItems(text: string, exists: (path: string) => boolean): UserInputItem[] {
  const items: UserInputItem[] = [{ type: "text", text }];
  const seen = new Set<string>();
  for (const match of text.matchAll(/(?:^|\s)@([\w./-]+)/g)) {
    const path = match[1];
    if (!seen.has(path) && exists(path)) {
      seen.add(path);
      items.push({ type: "mention", path });
    }
  }
  return items;
}
