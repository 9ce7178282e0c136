// The chat webview: draws what the extension posts (the whole panel view, then only what changed)
// — the tab strip, the transcript as cards (webview/cards.ts) with the agent's Markdown
// (webview/markdown.ts), approvals with per-file and per-hunk review, the pickers, the context
// meter, the empty state with the set-up findings — and posts the user's actions back. Only the
// last turns are in the DOM at first (older ones on request) and long outputs are virtualised,
// so a long conversation opens at once and streaming touches only the entry that changed.
import { ansiLines, escapeHtml as esc } from "./ansi";
import { cardKey, diffHtml, openDiffButton, renderCard, speckitAnswerOf, terminalsHtml } from "./cards";
import { renderMarkdown } from "./markdown";
import {
  CONTEXTS,
  EFFORTS,
  SLASH_COMMANDS,
  promptSuggestions,
  skillSuggestions,
  speckitCommandSuggestions,
  specSuggestions,
  type Suggestion,
} from "../shared/composer";
import { splitHunks } from "../shared/unifiedDiff";
import type {
  ContextInput,
  DoctorResult,
  ListMcpPromptsResult,
  ListSpecsResult,
  ListModelsResult,
  ListSkillsResult,
} from "../shared/generated";
import { unhandled, type FromWebview, type ToWebview } from "../shared/messages";
import {
  applyDelta,
  decisions,
  undoable,
  type Approval,
  type Conversation,
  type Entry,
  type ModeId,
  type PanelDelta,
  type PanelView,
} from "../shared/state";

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };

const vscode = acquireVsCodeApi();
const $ = (id: string) => document.getElementById(id) as HTMLElement;
const composer = $("composer") as HTMLTextAreaElement;

/** Turns drawn when a conversation is shown; scrolling up to "Show earlier turns" draws more. */
const WINDOW_TURNS = 10;
const MORE_TURNS = 30;
const LINE_PX = 18;
const EXAMPLES = [
  "Explain what this repository does and how it is organised.",
  "Run the tests and fix the first failure.",
  "Review my uncommitted changes for bugs.",
];
const POLICY_LABELS: Record<string, string> = {
  "": "Approvals: default",
  untrusted: "Ask unless the command is known safe",
  "on-failure": "Ask when a sandboxed command fails",
  "on-request": "Ask when the agent requests it",
  never: "Never ask",
};

/** The mode picker's presets (codex/listModes has their descriptions; full access warns). */
const MODE_CHOICES: [ModeId, string][] = [
  ["read-only", "Read only: asks before edits"],
  ["auto", "Auto: works in the workspace"],
  ["full-access", "Full access: no sandbox ⚠"],
];

/** What the user chose in the panel that is not part of the state. */
const rejected = new Set<string>();
const opened = new Map<string, boolean>();
/** What is typed in a quality-gate question's answer box (a redrawn card keeps it). */
const drafts = new Map<string, string>();
let images: { path: string; uri: string }[] = [];
let contexts: ContextInput[] = [];
let view: PanelView = { tabs: [] };
let models: ListModelsResult | undefined;
let doctor: DoctorResult | undefined;
let skills: ListSkillsResult | undefined;
let mcpPrompts: ListMcpPromptsResult | undefined;
/** The workspace's SPECs (codex/listSpecs), asked for again each time a SPEC id is completed. */
let specs: ListSpecsResult | undefined;
let otherModel = false;
/** The first entry drawn, and the drawn rows by entry index. */
let windowStart = 0;
const rows = new Map<number, HTMLElement>();
const outputs = new Map<string, { text: string; lines?: string[] }>();
let showing: string | undefined | null = null; // the conversation drawn (null: nothing yet)

function post(message: FromWebview): void {
  vscode.postMessage(message);
}

// ---------------------------------------------------------------- transcript

/** undoable(c), once per version of its turns (every user row asks). */
const undoableCache = new WeakMap<object, Set<string>>();
function undoableTurns(c: Conversation): Set<string> {
  let set = undoableCache.get(c.turns);
  if (!set) undoableCache.set(c.turns, (set = undoable(c)));
  return set;
}

function renderUser(c: Conversation, entry: Extract<Entry, { kind: "user" }>): string {
  const chips = [
    ...entry.mentions.map((m) => `<span class="chip">${esc(m.startsWith("@") ? m : `@${m}`)}</span>`),
    ...entry.images.map((p) => `<span class="chip">image ${esc(p.split("/").pop() ?? p)}</span>`),
  ].join("");
  const index = c.turns.findIndex((t) => t.id === entry.turnId);
  const finished = index >= 0 && (!c.running || index < c.turns.length - 1);
  const actions = [
    undoableTurns(c).has(entry.turnId)
      ? `<button class="link" data-action="undo" data-turn="${esc(entry.turnId)}" title="Restore the files this turn and every later one changed">Undo turn</button>`
      : "",
    finished
      ? `<button class="link" data-action="fork" data-turn="${esc(entry.turnId)}" title="A new conversation with the history up to the end of this turn">Fork from here</button>`
      : "",
    finished && !c.running
      ? `<button class="link" data-action="edit" data-turn="${esc(entry.turnId)}" title="Put this message in the composer; sending it replaces this turn and every later one (their file changes are taken back)">Edit and resend</button>`
      : "",
  ].join("");
  return `<div class="entry user"><div class="text">${esc(entry.text)}</div>${chips ? `<div>${chips}</div>` : ""}<div class="turn-actions">${actions}</div></div>`;
}

function entryHtml(c: Conversation, entry: Entry): string {
  if (entry.kind === "user") return renderUser(c, entry);
  if (entry.kind === "command") outputs.set(cardKey(c.id, entry), { text: entry.output });
  return renderCard(
    {
      conversationId: c.id,
      markdown: renderMarkdown,
      open: (key, fallback) => opened.get(key) ?? fallback,
    },
    entry,
  );
}

function emptyState(): string {
  const failed = doctor && !doctor.ok;
  const findings = (doctor?.findings ?? [])
    .map(
      (f) =>
        `<li class="finding verdict-${f.verdict}"><span class="verdict">${f.verdict === "fail" ? "FAIL" : f.verdict}</span> <span class="area">${esc(f.area)}</span> ${esc(f.detail)}</li>`,
    )
    .join("");
  const setup = !doctor
    ? `<p class="muted" role="status">Checking the set-up…</p>`
    : failed
      ? `<div class="setup" role="alert"><h3>Set up a model provider</h3><p>No provider works yet. <code>codex-lsp doctor</code> found:</p><ul class="findings">${findings}</ul><p>Fix what it says (an API key in the environment, or a provider in <code>~/.codex-lsp/config.toml</code>), then <button data-action="doctor">Check again</button> <button class="secondary" data-action="openWalkthrough">Open the set-up walkthrough</button></p></div>`
      : `<p class="muted">${esc(doctor.findings.find((f) => f.area === "provider")?.detail ?? "")}</p>`;
  const examples = EXAMPLES.map(
    (text) => `<li><button class="example" data-action="example" data-prompt="${esc(text)}">${esc(text)}</button></li>`,
  ).join("");
  return `<section class="empty" aria-labelledby="empty-title"><h2 id="empty-title">Ask codex-lsp about this workspace</h2>
<p>It reads your code, runs commands in a sandbox and proposes changes; you approve what it may do.</p>${setup}
<h3>Try one of these</h3><ul class="examples">${examples}</ul>
<p class="muted">Ctrl+Alt+K opens this panel · @ adds files and context · / runs commands · Escape interrupts · <button class="link" data-action="openWalkthrough">Walkthrough</button></p></section>`;
}

function nearBottom(): boolean {
  const el = document.scrollingElement ?? document.documentElement;
  return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
}

function stickToBottom(was: boolean): void {
  if (was) window.scrollTo(0, document.documentElement.scrollHeight);
}

function queuedHtml(c: Conversation | undefined): string {
  return (c?.queued ?? [])
    .map(
      (text) =>
        `<div class="entry user queued"><div class="text">${esc(text)}</div><div class="muted">queued: the agent gets it at its next step</div></div>`,
    )
    .join("");
}

function setRow(c: Conversation, index: number): void {
  const html = entryHtml(c, c.entries[index]);
  let row = rows.get(index);
  if (!row) {
    row = document.createElement("div");
    row.className = "row";
    $("rows").appendChild(row);
    rows.set(index, row);
  }
  row.innerHTML = html;
  hydrate(row);
}

/** Draw the active conversation from scratch (its last WINDOW_TURNS turns). */
function renderTranscript(): void {
  const c = view.conversation;
  rows.clear();
  outputs.clear();
  const switched = showing !== c?.id;
  showing = c?.id;
  if (!c?.entries.length) {
    $("transcript").innerHTML = emptyState();
    return;
  }
  const turn = c.turns[c.turns.length - WINDOW_TURNS];
  windowStart = turn && c.entries.length > 0 ? turn.start : 0;
  const earlier = c.turns.filter((t) => t.start < windowStart).length;
  const more =
    windowStart > 0 ? `<button class="link more" data-action="earlier">Show ${earlier} earlier turns</button>` : "";
  const html: string[] = [];
  for (let i = windowStart; i < c.entries.length; i++)
    html.push(`<div class="row">${entryHtml(c, c.entries[i])}</div>`);
  $("transcript").innerHTML = `${more}<div id="rows">${html.join("")}</div><div id="queued">${queuedHtml(c)}</div>`;
  const drawn = $("rows").children;
  for (let i = 0; i < drawn.length; i++) {
    rows.set(windowStart + i, drawn[i] as HTMLElement);
    hydrate(drawn[i] as HTMLElement);
  }
  if (switched) window.scrollTo(0, document.documentElement.scrollHeight); // the newest turn in view
  const button = $("transcript").querySelector<HTMLElement>(".more");
  if (button) earlierObserver.observe(button);
}

/** Scrolling up to "Show earlier turns" draws them (keeping the scroll position). */
const earlierObserver = new IntersectionObserver((seen) => {
  for (const item of seen) {
    if (!item.isIntersecting || !(item.target as HTMLElement).isConnected) continue;
    const el = document.scrollingElement ?? document.documentElement;
    const fromBottom = el.scrollHeight - el.scrollTop;
    (item.target as HTMLElement).click();
    el.scrollTop = el.scrollHeight - fromBottom;
  }
});

/** Draw what a delta changed: its entries, the user rows when the turn's state moved on. */
function renderTranscriptDelta(before: PanelView, delta: PanelDelta): void {
  const c = view.conversation!;
  const old = before.conversation!;
  if (showing !== c.id || !old.entries.length || delta.length < old.entries.length) return renderTranscript();
  for (const { index } of delta.entries) if (index >= windowStart) setRow(c, index);
  if (delta.conversation.turns || old.running !== c.running) {
    for (const [index, row] of rows) {
      if (c.entries[index].kind === "user") row.innerHTML = renderUser(c, c.entries[index]);
    }
  }
  if ((old.queued ?? []).join("\n") !== (c.queued ?? []).join("\n")) $("queued").innerHTML = queuedHtml(c);
  announce(old, delta);
}

/** Finished answers are read out politely; the rest of the transcript is not a live region. */
function announce(old: Conversation, delta: PanelDelta): void {
  for (const { index, entry } of delta.entries) {
    const was = old.entries[index];
    if (entry.kind === "agent" && entry.done && !(was?.kind === "agent" && was.done)) {
      $("announcer").textContent = `codex-lsp: ${entry.text.slice(0, 600)}`;
    } else if (entry.kind === "notice" && entry.level === "error") {
      $("alerter").textContent = entry.text;
    }
  }
}

/** Fill long outputs with the lines in view only. */
function draftKey(box: HTMLElement): string {
  return `${box.dataset.run}|${box.dataset.checkpoint}|${box.dataset.issue}`;
}

function hydrate(root: HTMLElement): void {
  root.querySelectorAll<HTMLInputElement>("input.speckit-answer-text").forEach((box) => {
    box.value = drafts.get(draftKey(box)) ?? "";
  });
  root.querySelectorAll<HTMLElement>(".output.virtual").forEach((box) => {
    const key = box.dataset.output ?? "";
    const out = outputs.get(key);
    if (!out) return;
    out.lines ??= ansiLines(out.text.replace(/\n$/, ""));
    const lines = out.lines;
    box.innerHTML = `<div class="spacer"></div><pre class="slice"></pre>`;
    const spacer = box.firstElementChild as HTMLElement;
    const slice = box.lastElementChild as HTMLElement;
    spacer.style.height = `${lines.length * LINE_PX}px`;
    const draw = () => {
      const first = Math.max(0, Math.floor(box.scrollTop / LINE_PX) - 20);
      const last = Math.min(lines.length, first + Math.ceil((box.clientHeight || 400) / LINE_PX) + 40);
      slice.style.transform = `translateY(${first * LINE_PX}px)`;
      slice.innerHTML = lines.slice(first, last).join("\n");
    };
    box.onscroll = draw;
    draw();
  });
}

// ---------------------------------------------------------------- approvals

function hunkKey(callId: string, path: string, hunk: number | "file"): string {
  return `${callId}|${hunk}|${path}`;
}

function renderReview(a: Approval): string {
  return Object.entries(a.changes ?? {})
    .map(([path, change]) => {
      const fileKey = hunkKey(a.callId, path, "file");
      const head = `<label class="file"><input type="checkbox" data-key="${esc(fileKey)}"${rejected.has(fileKey) ? "" : " checked"}> <code>${esc(path)}</code> (${change.type})</label> ${openDiffButton(a.conversationId, a.callId, path)}`;
      if (change.type !== "update") {
        const lines = change.content
          .replace(/\n$/, "")
          .split("\n")
          .map((l) => (change.type === "add" ? "+" : "-") + l);
        return `<div class="review-file">${head}<pre class="diff" tabindex="0" role="region" aria-label="Diff of ${esc(path)}">${diffHtml(lines)}</pre></div>`;
      }
      const hunks = splitHunks(change.unifiedDiff)
        .map((h, i) => {
          const key = hunkKey(a.callId, path, i);
          return `<div class="hunk"><label><input type="checkbox" data-key="${esc(key)}"${rejected.has(key) || rejected.has(fileKey) ? "" : " checked"}> ${esc(h.header)}</label><pre class="diff" tabindex="0" role="region" aria-label="Hunk ${i + 1} of ${esc(path)}">${diffHtml(h.lines)}</pre></div>`;
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
        `<button class="${d.decision === "approved" ? "" : "secondary"}" data-action="approve" data-conversation="${esc(a.conversationId)}" data-call="${esc(a.callId)}" data-decision="${d.decision}">${d.label}</button>`,
    )
    .join("");
  const review = a.kind === "patch" ? `<div class="review">${renderReview(a)}</div>` : "";
  const id = `approval-${a.callId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  return `<div class="approval" role="group" aria-labelledby="${id}"><div id="${id}" class="approval-title"><span class="status-icon" aria-hidden="true">⚠</span> codex-lsp wants to ${verb} <code>${esc(a.what)}</code>${a.reason ? ` — ${esc(a.reason)}` : ""}</div>${review}<div class="buttons">${buttons}</div></div>`;
}

let approvalsShown = "";
function renderApprovals(force = false): void {
  const list = view.conversation?.approvals ?? [];
  const ids = list.map((a) => a.callId).join(" ");
  if (!force && ids === approvalsShown) return;
  const fresh = list.filter((a) => !approvalsShown.split(" ").includes(a.callId));
  approvalsShown = ids;
  $("approvals").innerHTML = list.map(renderApproval).join("");
  if (fresh.length)
    $("alerter").textContent =
      `Approval needed: codex-lsp wants to ${fresh[0].kind === "exec" ? "run" : "change"} ${fresh[0].what}`;
}

let terminalsShown = "";
function renderTerminals(): void {
  const c = view.conversation;
  const html = c ? terminalsHtml(c.id, c.terminals ?? []) : "";
  if (html === terminalsShown) return;
  terminalsShown = html;
  $("terminals").innerHTML = html;
}

// ---------------------------------------------------------------- tabs, pickers, meter

let tabsShown = "";
function renderTabs(): void {
  const key = JSON.stringify([view.tabs, view.active]);
  if (key === tabsShown) return;
  tabsShown = key;
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.conversation;
  const tab = (id: string | undefined, given: string, running: boolean, waiting: boolean) => {
    const title = given || "New conversation";
    const state = waiting ? "waiting for approval" : running ? "working" : "idle";
    const icon = waiting
      ? `<span class="tab-state waiting" aria-hidden="true">●</span>`
      : running
        ? `<span class="tab-state working" aria-hidden="true">◌</span>`
        : "";
    const current = id === view.active;
    const close = id
      ? `<button class="close" data-action="closeTab" data-conversation="${esc(id)}" aria-label="Close ${esc(title)}" title="Close (the conversation stays in History…)">×</button>`
      : "";
    const data = id ? ` data-action="selectTab" data-conversation="${esc(id)}"` : "";
    return `<li class="tab${current ? " active" : ""}"><button class="tab-button"${data}${current ? ` aria-current="page"` : ""} aria-label="${esc(title)}, ${state}" title="${esc(title)} — ${state} (double-click to rename)">${icon}<span class="tab-title">${esc(title)}</span></button>${close}</li>`;
  };
  const tabs = view.tabs.map((t) => tab(t.id, t.title, t.running, t.waiting)).join("");
  const fresh = view.active === undefined ? tab(undefined, "", false, false) : "";
  $("tabs").innerHTML =
    `<ul class="tab-list">${tabs}${fresh}</ul><button class="icon" data-action="newConversation" title="New conversation" aria-label="New conversation">+</button><button class="secondary" data-action="history" title="Search, resume, rename or archive stored conversations">History…</button>`;
  $("tabs").querySelector(".tab.active")?.scrollIntoView({ block: "nearest", inline: "nearest" });
  if (focused)
    $("tabs")
      .querySelector<HTMLElement>(`[data-conversation="${CSS.escape(focused)}"]`)
      ?.focus();
}

function option(value: string, label: string, current: string): string {
  return `<option value="${esc(value)}"${value === current ? " selected" : ""}>${esc(label)}</option>`;
}

let pickersShown = "";
function renderPickers(): void {
  const focused = document.activeElement?.id;
  if (focused === "model" || focused === "effort" || focused === "mode" || focused === "model-other") return;
  const c = view.conversation;
  const key = JSON.stringify([
    c?.model,
    c?.effort,
    c?.approvalPolicy,
    c?.mode,
    otherModel,
    models?.model,
    models?.note,
    models?.models.map((m) => m.id).join(),
  ]);
  if (key === pickersShown) return;
  pickersShown = key;
  const current = c?.model || models?.model || "";
  const list = models?.models ?? [];
  const known = list.find((m) => m.id === current);
  const choices = [...(current && !known ? [{ id: current, displayName: null }] : []), ...list];
  const model = otherModel
    ? `<input id="model-other" aria-label="Model name" placeholder="model name, Enter to use it" value="${esc(current)}" size="16">`
    : `<select id="model" aria-label="Model" title="${esc(models?.note ?? (models ? `Models of ${models.provider}` : "Loading the provider's models…"))}">${choices
        .map((m) =>
          option(m.id, m.displayName && m.displayName !== m.id ? `${m.displayName} (${m.id})` : m.id, current),
        )
        .join(
          "",
        )}${choices.length ? "" : option("", "default model", "")}<option value="__other">Other…</option></select>`;
  const efforts = (known ?? list.find((m) => m.id === current))?.reasoningEfforts;
  const effortChoices: string[] = efforts ? efforts : EFFORTS;
  const effort =
    efforts && efforts.length === 0
      ? `<select id="effort" aria-label="Reasoning effort" disabled><option>not a reasoning model</option></select>`
      : `<select id="effort" aria-label="Reasoning effort">${option("", "Effort: default", c?.effort ?? "")}${effortChoices.map((e) => option(e, `Effort: ${e}`, c?.effort ?? "")).join("")}</select>`;
  const modeNow = c ? (c.mode ?? "custom") : "auto";
  const custom =
    modeNow === "custom" ? option("custom", `Custom (${POLICY_LABELS[c?.approvalPolicy ?? ""]})`, modeNow) : "";
  const policy = `<select id="mode" aria-label="Approval mode" title="What the next turn may do without asking">${MODE_CHOICES.map(([id, label]) => option(id, label, modeNow)).join("")}${custom}</select>`;
  const note = models?.note ? `<span class="picker-note" title="${esc(models.note)}">built-in list</span>` : "";
  $("pickers").innerHTML = `${model}${note}${effort}${policy}`;
}

/** 1234567 as "1,234,567" (toLocaleString's first call costs a frame). */
function thousands(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function compact(n: number): string {
  return n >= 1_000_000
    ? `${(n / 1_000_000).toFixed(1)}M`
    : n >= 1000
      ? `${(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}k`
      : String(n);
}

let meterShown = "";
function renderMeter(): void {
  const c = view.conversation;
  const window =
    c?.contextWindow ?? models?.models.find((m) => m.id === (c?.model || models?.model))?.contextWindow ?? null;
  const used = c?.contextTokens ?? 0;
  const limit = c?.autoCompactTokenLimit ?? (window ? Math.floor(window * 0.9) : null);
  const share = window ? Math.min(100, Math.round((100 * used) / window)) : 0;
  const cost =
    typeof c?.costUsd === "number" ? ` · $${c.costUsd < 0.01 ? c.costUsd.toFixed(4) : c.costUsd.toFixed(2)}` : "";
  const tokens = `${thousands(c?.totalTokens ?? 0)} tokens used`;
  const context = window ? `${compact(used)} / ${compact(window)} context (${share}%)` : "context window unknown";
  const near = !!limit && used >= limit * 0.85;
  const warning = near
    ? `<div class="meter-warning" role="status">The context is nearly full: at ${compact(limit)} tokens the history is summarised automatically. <button class="link" data-action="compact">Compact now</button> or start a new conversation.</div>`
    : "";
  const key = JSON.stringify([c?.running, context, tokens, cost, near]);
  if (key === meterShown) return;
  meterShown = key;
  const bar = `<div class="meter-bar${near ? " near" : ""}" role="progressbar" aria-label="Context used" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${share}" aria-valuetext="${esc(context)}"><div class="meter-fill"></div></div>`;
  $("meter").innerHTML =
    `<div class="meter-line">${bar}<span class="meter-text">${esc(`${c?.running ? "working… · " : ""}${context} · ${tokens}`)}${esc(cost)}</span></div>${warning}`;
  ($("meter").querySelector(".meter-fill") as HTMLElement).style.width = `${share}%`;
}

function renderChrome(): void {
  renderTabs();
  renderApprovals();
  renderTerminals();
  renderPickers();
  renderMeter();
  ($("interrupt") as HTMLButtonElement).disabled = !view.conversation?.running;
}

// ---------------------------------------------------------------- composer

function renderAttachments(): void {
  $("attachments").innerHTML = [
    ...images.map(
      (img, i) =>
        `<span class="chip"><img src="${esc(img.uri)}" alt="${esc(img.path)}"><button data-remove-image="${i}" aria-label="Remove image ${esc(img.path.split("/").pop() ?? "")}">×</button></span>`,
    ),
    ...contexts.map(
      (ctx, i) =>
        `<span class="chip">@${esc(ctx.name)}<button data-remove-context="${i}" aria-label="Remove @${esc(ctx.name)}">×</button></span>`,
    ),
  ].join("");
}

function suggest(items: Suggestion[]): void {
  const box = $("suggestions");
  box.innerHTML = items
    .map((i, n) => `<div role="option" aria-selected="${n === 0}" data-n="${n}">${esc(i.label)}</div>`)
    .join("");
  box.onclick = (event: MouseEvent) => {
    const n = Number((event.target as HTMLElement).dataset.n);
    if (Number.isNaN(n)) return;
    const item = items[n];
    composer.value = item.whole
      ? `${item.insert} `
      : composer.value.replace(/(^|\s)[@/$][^\s]*$/, (_, space: string) => `${space}${item.insert} `);
    box.innerHTML = "";
    composer.focus();
  };
}

/** The word being typed at the end of the composer (a late answer for an older one is ignored). */
function currentWord(): string {
  return /(?:^|\s)([@/$][^\s]*)$/.exec(composer.value)?.[1] ?? "";
}

/** The slash commands, then the MCP servers' prompts, that start with `word`. */
function suggestCommands(word: string): void {
  suggest([
    ...SLASH_COMMANDS.filter((c) => c.name.startsWith(word)).map((c) => ({
      insert: c.name,
      label: `${c.name} — ${c.help}`,
    })),
    ...speckitCommandSuggestions(word),
    ...promptSuggestions(mcpPrompts, word),
  ]);
}

function contextSuggestions(prefix: string): { insert: string; label: string }[] {
  return CONTEXTS.filter((c) => c.name.startsWith(prefix)).map((c) => ({
    insert: `@${c.name}`,
    label: `@${c.name} — ${c.help}`,
  }));
}

/** The turn whose message the composer holds for "Edit and resend" (cleared when the composer is emptied). */
let editing: string | undefined;

function send(text = composer.value.trim()): void {
  if (!text && !images.length && !contexts.length) return;
  const rewindTo = editing;
  editing = undefined;
  post({ type: "send", text, images: images.map((i) => i.path), contexts, ...(rewindTo ? { rewindTo } : {}) });
  window.scrollTo(0, document.documentElement.scrollHeight); // follow the new turn
  composer.value = "";
  images = [];
  contexts = [];
  renderAttachments();
  $("suggestions").innerHTML = "";
}

function lastUserText(): string | undefined {
  const entries = view.conversation?.entries ?? [];
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.kind === "user") return e.text;
  }
  return undefined;
}

function interrupt(): void {
  if (view.conversation?.running) post({ type: "interrupt" });
}

// ---------------------------------------------------------------- messages from the host

function receive(message: ToWebview): void {
  switch (message.type) {
    case "state":
      view = message.view;
      renderChrome();
      return renderTranscript();
    case "delta": {
      const before = view;
      const was = nearBottom();
      view = applyDelta(view, message.delta);
      renderChrome();
      renderTranscriptDelta(before, message.delta);
      return stickToBottom(was);
    }
    case "models":
      models = message.result;
      renderPickers();
      return renderMeter();
    case "mcpPrompts":
      mcpPrompts = message.result;
      if (currentWord().startsWith("/")) suggestCommands(currentWord());
      return;
    case "specs": {
      specs = message.result;
      const found = specSuggestions(specs, composer.value);
      if (found) suggest(found);
      return;
    }
    case "skills":
      skills = message.result;
      if (currentWord().startsWith("$")) suggest(skillSuggestions(skills, currentWord().slice(1)));
      return;
    case "doctor":
      doctor = message.result;
      if (!view.conversation?.entries.length) renderTranscript();
      return;
    case "focusComposer":
      return composer.focus();
    case "restoreDraft":
      composer.value = composer.value.trim() ? `${message.text}\n\n${composer.value}` : message.text;
      return composer.focus();
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
  const spec = specSuggestions(specs, composer.value);
  if (spec) {
    if (specs === undefined || !composer.value.match(/\S$/)) post({ type: "listSpecs" }); // new SPECs appear
    suggest(spec);
  } else if (word.startsWith("/") && composer.value.trimStart() === word) {
    if (mcpPrompts === undefined || word === "/") post({ type: "listMcpPrompts" }); // servers start late
    suggestCommands(word);
  } else if (word.startsWith("$")) {
    if (skills === undefined) post({ type: "listSkills" });
    suggest(skillSuggestions(skills, word.slice(1)));
  } else if (word.startsWith("@")) {
    suggest(contextSuggestions(word.slice(1)));
    if (word.length > 1) post({ type: "search", query: word.slice(1) });
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
      if (typeof reader.result === "string") post({ type: "pasteImage", dataUrl: reader.result });
    };
    reader.readAsDataURL(file);
  }
});

$("send").addEventListener("click", () => send());
composer.addEventListener("input", () => {
  if (!composer.value.trim()) editing = undefined; // emptied: an ordinary message again
});
composer.addEventListener("keydown", (event: KeyboardEvent) => {
  const first = $("suggestions").querySelector<HTMLElement>("[role=option]");
  if (event.key === "Tab" && first) {
    event.preventDefault();
    first.click();
  } else if (event.key === "Escape") {
    event.stopPropagation();
    if (first) $("suggestions").innerHTML = "";
    else interrupt();
  } else if (event.key === "ArrowUp" && !composer.value) {
    const last = lastUserText();
    if (last === undefined) return;
    event.preventDefault();
    composer.value = last; // edit the last message and send it again
    composer.setSelectionRange(last.length, last.length);
  } else if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    send();
  }
});
document.addEventListener("keydown", (event: KeyboardEvent) => {
  const target = event.target as HTMLElement;
  if (target instanceof HTMLInputElement && target.classList.contains("speckit-answer-text")) {
    // Enter sends the answer typed; Escape leaves the box (it does not interrupt the run)
    if (event.key === "Enter") target.parentElement?.querySelector<HTMLElement>("button")?.click();
    if (event.key === "Escape") composer.focus();
    return;
  }
  if (event.key === "Escape" && !(event.target instanceof HTMLSelectElement)) interrupt();
});
document.addEventListener("input", (event: Event) => {
  const box = event.target as HTMLElement;
  if (box instanceof HTMLInputElement && box.classList.contains("speckit-answer-text"))
    drafts.set(draftKey(box), box.value);
});
$("interrupt").addEventListener("click", interrupt);
$("attach").addEventListener("click", () => post({ type: "attachImages" }));
$("attachments").addEventListener("click", (event: Event) => {
  const button = (event.target as HTMLElement).closest("button");
  if (button?.dataset.removeImage !== undefined) images.splice(Number(button.dataset.removeImage), 1);
  else if (button?.dataset.removeContext !== undefined) contexts.splice(Number(button.dataset.removeContext), 1);
  renderAttachments();
});

$("pickers").addEventListener("change", (event: Event) => {
  const target = event.target as HTMLInputElement | HTMLSelectElement;
  if (target.id === "model" && target.value === "__other") {
    otherModel = true;
    renderPickers();
    return void ($("model-other") as HTMLInputElement).focus();
  }
  const effort = EFFORTS.find((e) => e === target.value);
  if ((target.id === "model" || target.id === "model-other") && target.value) {
    otherModel = false;
    post({ type: "override", model: target.value.trim() });
  } else if (target.id === "effort" && effort) post({ type: "override", effort });
  else if (target.id === "mode" && MODE_CHOICES.some(([id]) => id === target.value))
    post({ type: "setMode", mode: target.value as ModeId });
});
$("pickers").addEventListener("keydown", (event: KeyboardEvent) => {
  if ((event.target as HTMLElement).id === "model-other" && event.key === "Escape") {
    event.stopPropagation();
    otherModel = false;
    $("composer").focus();
    renderPickers();
  }
});

$("tabs").addEventListener("keydown", (event: KeyboardEvent) => {
  if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
  const tabs = Array.from($("tabs").querySelectorAll<HTMLElement>(".tab-button"));
  const at = tabs.indexOf(event.target as HTMLElement);
  if (at < 0) return;
  tabs[(at + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length].focus();
});

/** Buttons anywhere in the panel say what they do in data-action. */
document.body.addEventListener("click", (event: Event) => {
  const target = event.target as HTMLElement;
  if (target instanceof HTMLInputElement && target.type === "checkbox" && target.dataset.key) {
    const key = target.dataset.key;
    if (target.checked) rejected.delete(key);
    else rejected.add(key);
    return renderApprovals(true);
  }
  const button = target.closest<HTMLElement>("[data-action]");
  if (!button) return;
  if (local(button)) return;
  const message = clicked(button);
  if (message) post(message);
});

/** The actions the panel handles itself; true when `button` was one. */
function local(button: HTMLElement): boolean {
  const c = view.conversation;
  switch (button.dataset.action) {
    case "toggleCard": {
      const key = button.dataset.card ?? "";
      const open = button.getAttribute("aria-expanded") !== "true";
      opened.set(key, open);
      button.setAttribute("aria-expanded", String(open));
      const body = document.getElementById(`body-${key}`);
      if (body) body.hidden = !open;
      if (body && open) hydrate(body);
      return true;
    }
    case "earlier": {
      if (!c) return true;
      const turn = c.turns[Math.max(0, c.turns.findIndex((t) => t.start >= windowStart) - MORE_TURNS)];
      const from = turn?.start ?? 0;
      const html: string[] = [];
      for (let i = from; i < windowStart; i++) html.push(`<div class="row">${entryHtml(c, c.entries[i])}</div>`);
      $("rows").insertAdjacentHTML("afterbegin", html.join(""));
      const drawn = $("rows").children;
      for (let i = 0; i < windowStart - from; i++) {
        rows.set(from + i, drawn[i] as HTMLElement);
        hydrate(drawn[i] as HTMLElement);
      }
      windowStart = from;
      if (from === 0) button.remove();
      else button.textContent = `Show ${c.turns.filter((t) => t.start < from).length} earlier turns`;
      return true;
    }
    case "example":
      composer.value = button.dataset.prompt ?? "";
      composer.focus();
      return true;
    case "edit": {
      const entry = c?.entries.find((e) => e.kind === "user" && e.turnId === button.dataset.turn);
      if (entry?.kind !== "user") return true;
      editing = entry.turnId;
      composer.value = entry.text;
      composer.focus();
      return true;
    }
    case "retry": {
      const last = lastUserText();
      if (last) send(last);
      return true;
    }
    case "compact":
      send("/compact");
      return true;
    case "doctor":
      doctor = undefined; // "Checking the set-up…" until the findings come back
      if (!c?.entries.length) renderTranscript();
      post({ type: "listModels" }); // the provider may answer now
      return false;
    default:
      return false;
  }
}

/** The message a button with data-action posts (none when its data is incomplete). */
function clicked(button: HTMLElement): FromWebview | undefined {
  const data = button.dataset;
  const { action, conversation: conversationId = "", call: callId = "", turn: turnId = "", path = "" } = data;
  const approval = view.conversation?.approvals.find((a) => a.callId === callId);
  const code = () => button.closest(".code-block")?.querySelector("pre code")?.textContent ?? "";
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
    case "doctor":
    case "openWalkthrough":
      return { type: action };
    case "copyCode":
    case "insertCode":
      return { type: action, code: code() };
    case "applyCode":
      return { type: "applyCode", path, code: code() };
    case "killTerminal": {
      const terminalId = Number(data.terminal);
      return Number.isInteger(terminalId) && conversationId
        ? { type: "killTerminal", conversationId, terminalId }
        : undefined;
    }
    case "speckitAnswer":
      return speckitAnswerOf(data);
    case "speckitAnswerText": {
      const box = button.parentElement?.querySelector<HTMLInputElement>("input.speckit-answer-text");
      const message = speckitAnswerOf(data, box?.value);
      if (!message)
        box?.focus(); // nothing typed yet
      else if (box) drafts.delete(draftKey(box));
      return message;
    }
    default:
      return undefined;
  }
}
$("tabs").addEventListener("dblclick", (event: Event) => {
  const button = (event.target as HTMLElement).closest<HTMLElement>("[data-action=selectTab]");
  if (button?.dataset.conversation) post({ type: "rename", conversationId: button.dataset.conversation });
});

post({ type: "ready" });
post({ type: "listModels" });
post({ type: "doctor" });
composer.focus();
