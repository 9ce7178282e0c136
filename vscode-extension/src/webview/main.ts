// The chat webview: renders the state the extension posts (tabs, the transcript with Markdown
// through markdown-it sanitised by DOMPurify, approvals with per-file and per-hunk review, the
// pickers and the meter) and posts the user's actions back.
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/common";
import MarkdownIt from "markdown-it";
import { CONTEXTS, EFFORTS, POLICIES, SLASH_COMMANDS } from "../shared/composer";
import { splitHunks } from "../shared/unifiedDiff";
import type { ContextInput } from "../shared/generated";
import { unhandled, type FromWebview, type ToWebview } from "../shared/messages";
import {
  decisions,
  undoable,
  type Approval,
  type Conversation,
  type Entry,
  type FileChange,
  type PanelView,
} from "../shared/state";

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };

const vscode = acquireVsCodeApi();
const MODELS = [
  "gpt-5-codex",
  "gpt-5",
  "gpt-5-mini",
  "o3",
  "o4-mini",
  "gpt-4.1",
  "claude-sonnet-4-5",
  "claude-opus-4-1",
];

function highlight(code: string, lang: string): string {
  const body = lang && hljs.getLanguage(lang) ? hljs.highlight(code, { language: lang }).value : escape(code);
  return `<pre class="hljs"><code>${body}</code></pre>`;
}

const markdown = new MarkdownIt({ linkify: true, highlight });
const $ = (id: string) => document.getElementById(id) as HTMLElement;
const composer = $("composer") as HTMLTextAreaElement;

/** What the user chose in the panel that is not part of the state: unchecked hunks, open
 * reasoning blocks, the composer's attachments. */
const rejected = new Set<string>();
const openDetails = new Set<string>();
let images: { path: string; uri: string }[] = [];
let contexts: ContextInput[] = [];
let view: PanelView = { tabs: [] };

function html(text: string): string {
  return DOMPurify.sanitize(markdown.render(text));
}

function escape(text: string): string {
  const div = document.createElement("div");
  div.textContent = text;
  return div.innerHTML;
}

function attr(text: string): string {
  return escape(text).replace(/"/g, "&quot;");
}

function diffLines(lines: string[]): string {
  return lines
    .map((l) => `<span class="${l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : "ctx"}">${escape(l)}</span>`)
    .join("\n");
}

function fileDiff(change: FileChange): string {
  if (change.type === "update")
    return `<pre class="diff">${diffLines(change.unifiedDiff.split("\n").filter((l) => !l.startsWith("---") && !l.startsWith("+++")))}</pre>`;
  const lines = change.content.split("\n").map((l) => (change.type === "add" ? "+" : "-") + l);
  return `<pre class="diff">${diffLines(lines)}</pre>`;
}

function openDiffButton(conversationId: string, callId: string, path: string): string {
  return `<button class="link" data-action="openDiff" data-conversation="${attr(conversationId)}" data-call="${attr(callId)}" data-path="${attr(path)}">Open diff</button>`;
}

function renderUser(c: Conversation, entry: Extract<Entry, { kind: "user" }>): string {
  const chips = [
    ...entry.mentions.map((m) => `<span class="chip">${escape(m.startsWith("@") ? m : `@${m}`)}</span>`),
    ...entry.images.map((p) => `<span class="chip">image ${escape(p.split("/").pop() ?? p)}</span>`),
  ].join("");
  const index = c.turns.findIndex((t) => t.id === entry.turnId);
  const finished = index >= 0 && (!c.running || index < c.turns.length - 1);
  const actions = [
    undoable(c).has(entry.turnId)
      ? `<button class="link" data-action="undo" data-turn="${attr(entry.turnId)}" title="Restore the files this turn and every later one changed">Undo turn</button>`
      : "",
    finished
      ? `<button class="link" data-action="fork" data-turn="${attr(entry.turnId)}" title="A new conversation with the history up to the end of this turn">Fork from here</button>`
      : "",
  ].join("");
  return `<div class="entry user"><div class="text">${escape(entry.text)}</div>${chips ? `<div>${chips}</div>` : ""}<div class="turn-actions">${actions}</div></div>`;
}

/** Rendered entries by id: an entry is rendered again only when it changed (streaming changes
 * the last one; Markdown of the rest is not redone per token). */
const rendered = new Map<string, { key: string; html: string }>();

function cachedEntry(c: Conversation, entry: Entry): string {
  if (entry.kind === "user") return renderEntry(c, entry); // its buttons follow the turn's state
  const id = `${c.id}|${entry.kind}|${entry.id}`;
  const key = JSON.stringify(entry) + (entry.kind === "reasoning" && openDetails.has(entry.id) ? "open" : "");
  const hit = rendered.get(id);
  if (hit?.key === key) return hit.html;
  const html = renderEntry(c, entry);
  rendered.set(id, { key, html });
  return html;
}

function renderEntry(c: Conversation, entry: Entry): string {
  switch (entry.kind) {
    case "user":
      return renderUser(c, entry);
    case "agent":
      return `<div class="entry agent">${html(entry.text)}</div>`;
    case "reasoning":
      return `<details class="entry reasoning" data-id="${attr(entry.id)}"${openDetails.has(entry.id) ? " open" : ""}><summary>Reasoning</summary>${html(entry.text)}</details>`;
    case "command": {
      const end = entry.exitCode === undefined ? "running…" : `exit ${entry.exitCode} · ${entry.durationMs} ms`;
      const output = entry.output ? `<pre>${escape(entry.output)}</pre>` : "";
      const failed = entry.exitCode !== undefined && entry.exitCode !== 0 ? " failed" : "";
      return `<div class="entry command${failed}"><div class="meta">$ ${escape(entry.command.join(" "))} — ${end}</div>${output}</div>`;
    }
    case "patch": {
      const files = Object.entries(entry.changes)
        .map(
          ([path, change]) =>
            `<div class="file"><span class="meta">${escape(path)} (${change.type})</span> ${openDiffButton(c.id, entry.id, path)}</div>${fileDiff(change)}`,
        )
        .join("");
      const status = entry.success === undefined ? "applying…" : entry.success ? "applied" : "failed";
      return `<div class="entry patch"><div class="meta">patch ${status}</div>${files}</div>`;
    }
    case "mcp": {
      const status = entry.error ? `failed: ${escape(entry.error)}` : entry.result === undefined ? "running…" : "done";
      const result = entry.result === undefined ? "" : `<pre>${escape(JSON.stringify(entry.result, null, 2))}</pre>`;
      return `<details class="entry mcp"><summary>tool ${escape(entry.server)}/${escape(entry.tool)} — ${status}</summary><pre>${escape(JSON.stringify(entry.args ?? {}, null, 2))}</pre>${result}</details>`;
    }
    case "plan":
      return `<ul class="entry plan">${entry.plan.map((p) => `<li class="${p.status}">${p.status === "completed" ? "☑" : p.status === "inProgress" ? "◐" : "☐"} ${escape(p.step)}</li>`).join("")}</ul>`;
    case "notice":
      return `<div class="entry notice-${entry.level}" role="${entry.level === "error" ? "alert" : "status"}">${escape(entry.text)}</div>`;
  }
}

function hunkKey(callId: string, path: string, hunk: number | "file"): string {
  return `${callId}|${hunk}|${path}`;
}

function renderReview(a: Approval): string {
  return Object.entries(a.changes ?? {})
    .map(([path, change]) => {
      const fileKey = hunkKey(a.callId, path, "file");
      const head = `<label class="file"><input type="checkbox" data-key="${attr(fileKey)}"${rejected.has(fileKey) ? "" : " checked"}> ${escape(path)} (${change.type})</label> ${openDiffButton(a.conversationId, a.callId, path)}`;
      if (change.type !== "update") return `<div class="review-file">${head}${fileDiff(change)}</div>`;
      const hunks = splitHunks(change.unifiedDiff)
        .map((h, i) => {
          const key = hunkKey(a.callId, path, i);
          return `<div class="hunk"><label><input type="checkbox" data-key="${attr(key)}"${rejected.has(key) || rejected.has(fileKey) ? "" : " checked"}> ${escape(h.header)}</label><pre class="diff">${diffLines(h.lines)}</pre></div>`;
        })
        .join("");
      return `<div class="review-file">${head}${hunks}</div>`;
    })
    .join("");
}

/** The hunks the user unchecked, as codex-lsp.approve's rejectedHunks. */
function rejectedHunks(a: Approval): Record<string, number[]> | undefined {
  const out: Record<string, number[]> = {};
  for (const [path, change] of Object.entries(a.changes ?? {})) {
    const count = change.type === "update" ? splitHunks(change.unifiedDiff).length : 1;
    const all = [...Array(count).keys()];
    const hunks = rejected.has(hunkKey(a.callId, path, "file"))
      ? all
      : all.filter((i) => change.type === "update" && rejected.has(hunkKey(a.callId, path, i)));
    if (hunks.length) out[path] = hunks;
  }
  return Object.keys(out).length ? out : undefined;
}

function renderApproval(a: Approval): string {
  const verb = a.kind === "exec" ? "run" : "change";
  const buttons = decisions(a)
    .map(
      (d) =>
        `<button data-action="approve" data-conversation="${attr(a.conversationId)}" data-call="${attr(a.callId)}" data-decision="${d.decision}">${d.label}</button>`,
    )
    .join("");
  const review = a.kind === "patch" ? `<div class="review">${renderReview(a)}</div>` : "";
  return `<div class="approval" role="alert"><div>codex-lsp wants to ${verb} <code>${escape(a.what)}</code>${a.reason ? ` — ${escape(a.reason)}` : ""}</div>${review}<div class="buttons">${buttons}</div></div>`;
}

function renderTabs(): string {
  const tabs = view.tabs
    .map(({ id, title: given, running, waiting }) => {
      const title = given || "New conversation";
      const badge = waiting ? " ●" : running ? " …" : "";
      const selected = id === view.active;
      return `<span class="tab${selected ? " active" : ""}"><button role="tab" aria-selected="${selected}" data-action="selectTab" data-conversation="${attr(id)}" title="${attr(title)} (double-click to rename)">${escape(title)}${badge}</button><button class="close" data-action="closeTab" data-conversation="${attr(id)}" aria-label="Close ${attr(title)}">×</button></span>`;
    })
    .join("");
  const fresh =
    view.active === undefined
      ? `<span class="tab active"><button role="tab" aria-selected="true">New conversation</button></span>`
      : "";
  return `${tabs}${fresh}<button data-action="newConversation" title="New conversation" aria-label="New conversation">+</button><button data-action="history" title="Resume, rename or archive a stored conversation">History…</button>`;
}

function renderPickers(c: Conversation | undefined): string {
  const model = c?.model ?? "";
  const option = (value: string, current: string | null | undefined) =>
    `<option value="${attr(value)}"${value === current ? " selected" : ""}>${escape(value || "default")}</option>`;
  return `<label>Model <input id="model" list="models" value="${attr(model)}" size="14"></label><datalist id="models">${MODELS.map((m) => `<option value="${attr(m)}">`).join("")}</datalist>
<label>Effort <select id="effort">${["", ...EFFORTS].map((e) => option(e, c?.effort ?? "")).join("")}</select></label>
<label>Approvals <select id="policy">${["", ...POLICIES].map((p) => option(p, c?.approvalPolicy ?? "")).join("")}</select></label>`;
}

function meter(c: Conversation | undefined): string {
  const parts = [];
  if (typeof c?.contextLeftPercent === "number") parts.push(`${c.contextLeftPercent}% of the context left`);
  if (c?.totalTokens !== undefined) parts.push(`${c.totalTokens.toLocaleString("en")} tokens used`);
  if (typeof c?.costUsd === "number") parts.push(`$${c.costUsd < 0.01 ? c.costUsd.toFixed(4) : c.costUsd.toFixed(2)}`);
  return `${c?.running ? "working… " : ""}${parts.join(" · ")}`;
}

function render(): void {
  const c = view.conversation;
  $("tabs").innerHTML = renderTabs();
  const waiting = (c?.queued ?? [])
    .map(
      (text) =>
        `<div class="entry user queued"><div class="text">${escape(text)}</div><div class="meta">queued: the agent gets it at its next step</div></div>`,
    )
    .join("");
  $("transcript").innerHTML = c?.entries.length
    ? c.entries.map((e) => cachedEntry(c, e)).join("") + waiting
    : `<p class="meta">Ask anything about this workspace.</p>`;
  $("approvals").innerHTML = (c?.approvals ?? []).map(renderApproval).join("");
  const focused = document.activeElement?.id;
  if (focused !== "model" && focused !== "effort" && focused !== "policy") $("pickers").innerHTML = renderPickers(c);
  $("meter").textContent = meter(c);
  ($("interrupt") as HTMLButtonElement).disabled = !c?.running;
}

function renderAttachments(): void {
  $("attachments").innerHTML = [
    ...images.map(
      (img, i) =>
        `<span class="chip"><img src="${attr(img.uri)}" alt="${attr(img.path)}"><button data-remove-image="${i}" aria-label="Remove image">×</button></span>`,
    ),
    ...contexts.map(
      (ctx, i) =>
        `<span class="chip">@${escape(ctx.name)}<button data-remove-context="${i}" aria-label="Remove @${attr(ctx.name)}">×</button></span>`,
    ),
  ].join("");
}

function suggest(items: { insert: string; label: string }[]): void {
  const box = $("suggestions");
  box.innerHTML = items.map((i, n) => `<div role="option" data-n="${n}">${escape(i.label)}</div>`).join("");
  box.onclick = (event: MouseEvent) => {
    const n = Number((event.target as HTMLElement).dataset.n);
    if (Number.isNaN(n)) return;
    composer.value = composer.value.replace(/(^|\s)[@/][^\s]*$/, `$1${items[n].insert} `);
    box.innerHTML = "";
    composer.focus();
  };
}

/** The word being typed at the end of the composer (a late answer for an older one is ignored). */
function currentWord(): string {
  return /(?:^|\s)([@/][^\s]*)$/.exec(composer.value)?.[1] ?? "";
}

function contextSuggestions(prefix: string): { insert: string; label: string }[] {
  return CONTEXTS.filter((c) => c.name.startsWith(prefix)).map((c) => ({
    insert: `@${c.name}`,
    label: `@${c.name} — ${c.help}`,
  }));
}

function receive(message: ToWebview): void {
  switch (message.type) {
    case "state":
      view = message.view;
      return render();
    case "files":
      if (message.query === currentWord().slice(1)) {
        suggest([
          ...contextSuggestions(message.query),
          ...message.files.map((path) => ({ insert: `@${path}`, label: path })),
        ]);
      }
      return;
    case "attached":
      images = [...images, ...message.images];
      return renderAttachments();
    case "attachedContext":
      contexts = [...contexts, message.context];
      return renderAttachments();
    default:
      return unhandled(message);
  }
}

window.addEventListener("message", (event: MessageEvent<ToWebview>) => receive(event.data));

composer.addEventListener("input", () => {
  const word = currentWord();
  if (word.startsWith("/") && composer.value.trimStart() === word) {
    suggest(
      SLASH_COMMANDS.filter((c) => c.name.startsWith(word)).map((c) => ({
        insert: c.name,
        label: `${c.name} — ${c.help}`,
      })),
    );
  } else if (word.startsWith("@")) {
    suggest(contextSuggestions(word.slice(1)));
    if (word.length > 1) vscode.postMessage({ type: "search", query: word.slice(1) });
  } else {
    $("suggestions").innerHTML = "";
  }
});

composer.addEventListener("paste", (event: ClipboardEvent) => {
  for (const item of Array.from(event.clipboardData?.items ?? [])) {
    const file = item.kind === "file" && item.type.startsWith("image/") ? item.getAsFile() : null;
    if (!file) continue;
    event.preventDefault();
    const reader = new FileReader();
    reader.onload = () => {
      if (typeof reader.result === "string") vscode.postMessage({ type: "pasteImage", dataUrl: reader.result });
    };
    reader.readAsDataURL(file);
  }
});

function send(): void {
  const text = composer.value.trim();
  if (!text && !images.length && !contexts.length) return;
  vscode.postMessage({ type: "send", text, images: images.map((i) => i.path), contexts });
  composer.value = "";
  images = [];
  contexts = [];
  renderAttachments();
  $("suggestions").innerHTML = "";
}

$("send").addEventListener("click", send);
composer.addEventListener("keydown", (event: KeyboardEvent) => {
  const first = $("suggestions").querySelector<HTMLElement>("[role=option]");
  if (event.key === "Tab" && first) {
    event.preventDefault();
    first.click();
  } else if (event.key === "Escape") {
    $("suggestions").innerHTML = "";
  } else if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    send();
  }
});
$("interrupt").addEventListener("click", () => vscode.postMessage({ type: "interrupt" }));
$("attach").addEventListener("click", () => vscode.postMessage({ type: "attachImages" }));
$("attachments").addEventListener("click", (event: Event) => {
  const button = (event.target as HTMLElement).closest("button");
  if (button?.dataset.removeImage !== undefined) images.splice(Number(button.dataset.removeImage), 1);
  else if (button?.dataset.removeContext !== undefined) contexts.splice(Number(button.dataset.removeContext), 1);
  renderAttachments();
});

$("pickers").addEventListener("change", (event: Event) => {
  const target = event.target as HTMLInputElement | HTMLSelectElement;
  const effort = EFFORTS.find((e) => e === target.value);
  const approvalPolicy = POLICIES.find((p) => p === target.value);
  if (target.id === "model" && target.value) vscode.postMessage({ type: "override", model: target.value });
  else if (target.id === "effort" && effort) vscode.postMessage({ type: "override", effort });
  else if (target.id === "policy" && approvalPolicy) vscode.postMessage({ type: "override", approvalPolicy });
});

/** Buttons anywhere in the panel say what they do in data-action. */
document.body.addEventListener("click", (event: Event) => {
  const target = event.target as HTMLElement;
  if (target instanceof HTMLInputElement && target.type === "checkbox" && target.dataset.key) {
    const key = target.dataset.key;
    if (target.checked) rejected.delete(key);
    else rejected.add(key);
    render();
    return;
  }
  const button = target.closest<HTMLElement>("[data-action]");
  const message = button && clicked(button.dataset);
  if (message) vscode.postMessage(message);
});

/** The message a button with data-action posts (none when its data is incomplete). */
function clicked(data: DOMStringMap): FromWebview | undefined {
  const { action, conversation: conversationId = "", call: callId = "", turn: turnId = "", path = "" } = data;
  const approval = view.conversation?.approvals.find((a) => a.callId === callId);
  switch (action) {
    case "approve": {
      const decision = approval && decisions(approval).find((d) => d.decision === data.decision)?.decision;
      if (!decision) return undefined;
      const hunks = decision !== "denied" && decision !== "abort" ? rejectedHunks(approval) : undefined;
      return { type: "approve", conversationId, callId, decision, rejectedHunks: hunks };
    }
    case "openDiff":
      return {
        type: "openDiff",
        conversationId,
        callId,
        path,
        rejectedHunks: approval ? rejectedHunks(approval)?.[path] : undefined,
      };
    case "undo":
      return { type: "undo", turnId };
    case "fork":
      return { type: "fork", turnId };
    case "selectTab":
    case "closeTab":
      return { type: action, conversationId };
    case "newConversation":
    case "history":
      return { type: action };
    default:
      return undefined;
  }
}
$("tabs").addEventListener("dblclick", (event: Event) => {
  const button = (event.target as HTMLElement).closest<HTMLElement>("[data-action=selectTab]");
  if (button?.dataset.conversation) vscode.postMessage({ type: "rename", conversationId: button.dataset.conversation });
});
$("transcript").addEventListener(
  "toggle",
  (event: Event) => {
    const details = event.target as HTMLDetailsElement;
    const id = details.dataset.id;
    if (id && details.open) openDetails.add(id);
    else if (id) openDetails.delete(id);
  },
  true,
);
vscode.postMessage({ type: "ready" });
