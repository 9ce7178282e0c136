// The chat webview: renders the transcript state the extension posts (Markdown through
// markdown-it, sanitised by DOMPurify) and posts the user's actions back.
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/common";
import MarkdownIt from "markdown-it";
import { SLASH_COMMANDS } from "../composer";
import { decisions, type ChatState, type Entry } from "./state";

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const vscode = acquireVsCodeApi();
function highlight(code: string, lang: string): string {
  const body = lang && hljs.getLanguage(lang) ? hljs.highlight(code, { language: lang }).value : escape(code);
  return `<pre class="hljs"><code>${body}</code></pre>`;
}

const markdown = new MarkdownIt({ linkify: true, highlight });
const $ = (id: string) => document.getElementById(id) as HTMLElement;

function html(text: string): string {
  return DOMPurify.sanitize(markdown.render(text));
}

function escape(text: string): string {
  const div = document.createElement("div");
  div.textContent = text;
  return div.innerHTML;
}

function renderEntry(entry: Entry): string {
  switch (entry.kind) {
    case "user":
      return `<div class="entry user">${escape(entry.text)}</div>`;
    case "agent":
      return `<div class="entry agent">${html(entry.text)}</div>`;
    case "reasoning":
      return `<details class="entry"><summary>Reasoning</summary>${html(entry.text)}</details>`;
    case "command": {
      const end = entry.exitCode === undefined ? "running…" : `exit ${entry.exitCode} · ${entry.durationMs} ms`;
      const output = entry.output ? `<pre>${escape(entry.output)}</pre>` : "";
      return `<div class="entry"><div class="meta">$ ${escape(entry.command.join(" "))} — ${end}</div>${output}</div>`;
    }
    case "patch": {
      const files = Object.entries(entry.changes)
        .map(([path, change]) => `<div class="meta">${escape(path)} (${change.type})</div>` + (change.type === "update" ? `<pre>${escape(change.unifiedDiff)}</pre>` : ""))
        .join("");
      const state = entry.success === undefined ? "applying…" : entry.success ? "applied" : "failed";
      return `<div class="entry"><div class="meta">patch ${state}</div>${files}</div>`;
    }
    case "mcp":
      return `<div class="entry meta">tool ${escape(entry.server)}/${escape(entry.tool)} ${entry.error ? "failed: " + escape(entry.error) : entry.result === undefined ? "running…" : "done"}</div>`;
    case "plan":
      return `<ul class="entry">${entry.plan.map((p) => `<li>${p.status === "completed" ? "☑" : p.status === "in_progress" ? "◐" : "☐"} ${escape(p.step)}</li>`).join("")}</ul>`;
    case "notice":
      return `<div class="entry notice-${entry.level}">${escape(entry.text)}</div>`;
  }
}

function render(state: ChatState): void {
  const c = state.active ? state.conversations[state.active] : undefined;
  $("transcript").innerHTML = c ? c.entries.map(renderEntry).join("") : `<p class="meta">Ask anything about this workspace.</p>`;
  $("approvals").innerHTML = (c?.approvals ?? [])
    .map((a) => `<div class="approval" role="alert"><div>codex-lsp wants to ${a.kind === "exec" ? "run" : "change"} <code>${escape(a.what)}</code>${a.reason ? ` — ${escape(a.reason)}` : ""}</div>` +
      decisions(a).map((d) => `<button data-conversation="${a.conversationId}" data-call="${a.callId}" data-decision="${d.decision}">${d.label}</button>`).join("") + `</div>`)
    .join("");
  const parts = [];
  if (typeof c?.contextLeftPercent === "number") parts.push(`${c.contextLeftPercent}% of the context left`);
  if (c?.totalTokens !== undefined) parts.push(`${c.totalTokens} tokens used`);
  const meter = parts.join(" · ");
  $("meter").textContent = `${c?.running ? "working… " : ""}${meter}`;
}

function suggest(items: { insert: string; label: string }[]): void {
  const box = $("suggestions");
  box.innerHTML = items.map((i, n) => `<div role="option" data-n="${n}">${escape(i.label)}</div>`).join("");
  box.onclick = (event: MouseEvent) => {
    const n = Number((event.target as HTMLElement).dataset.n);
    const composer = $("composer") as HTMLTextAreaElement;
    composer.value = composer.value.replace(/(^|\s)[@/][^\s]*$/, `$1${items[n].insert} `);
    box.innerHTML = "";
    composer.focus();
  };
}

window.addEventListener("message", (event: MessageEvent) => {
  if (event.data?.type === "state") render(event.data.state as ChatState);
  else if (event.data?.type === "files" && event.data.query === currentWord().slice(1))
    suggest((event.data.files as string[]).map((path) => ({ insert: `@${path}`, label: path })));
});

/** The word being typed at the end of the composer (a late answer for an older one is ignored). */
function currentWord(): string {
  const text = ($("composer") as HTMLTextAreaElement).value;
  return /(?:^|\s)([@/][^\s]*)$/.exec(text)?.[1] ?? "";
}

$("composer").addEventListener("input", () => {
  const text = ($("composer") as HTMLTextAreaElement).value;
  const word = currentWord();
  if (word.startsWith("/") && text.trimStart() === word) {
    suggest(SLASH_COMMANDS.filter((c) => c.name.startsWith(word)).map((c) => ({ insert: c.name, label: `${c.name} — ${c.help}` })));
  } else if (word.startsWith("@") && word.length > 1) {
    vscode.postMessage({ type: "search", query: word.slice(1) });
  } else {
    $("suggestions").innerHTML = "";
  }
});

function send(): void {
  const composer = $("composer") as HTMLTextAreaElement;
  const text = composer.value.trim();
  if (!text) return;
  vscode.postMessage({ type: "send", text });
  composer.value = "";
}

$("send").addEventListener("click", send);
$("composer").addEventListener("keydown", (event: KeyboardEvent) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    send();
  }
});
$("interrupt").addEventListener("click", () => vscode.postMessage({ type: "interrupt" }));
$("undo").addEventListener("click", () => vscode.postMessage({ type: "undo" }));
$("new").addEventListener("click", () => vscode.postMessage({ type: "newConversation" }));
$("approvals").addEventListener("click", (event: Event) => {
  const button = (event.target as HTMLElement).closest("button");
  if (!button) return;
  vscode.postMessage({ type: "approve", conversationId: button.dataset.conversation, callId: button.dataset.call, decision: button.dataset.decision });
});
vscode.postMessage({ type: "ready" });
