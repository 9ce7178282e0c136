// The transcript's entries as HTML: every agent step a card with a status icon and a one-line
// summary, its details on expand (a command's output with ANSI colours, a patch's diff with
// Open diff, an MCP call's arguments and result, a plan's checklist, reasoning), errors and
// retries saying what to do. Pure string code (Markdown comes in as a function), so the unit
// tests and the benchmark run it in node.
import { ansiLines, escapeHtml as esc, stripAnsi } from "./ansi";
import type { ReviewOutput } from "../shared/generated";
import type { Entry, FileChange, ParsedCommand, Terminal } from "../shared/state";
import type { FromWebview } from "../shared/messages";
import {
  timeline,
  type SpeckitAgent,
  type SpeckitGate,
  type SpeckitQuestion,
  type SpeckitRun,
  type StageStatus,
} from "../shared/speckit";

/** Outputs longer than this many lines are virtualised (only the visible lines are in the DOM). */
export const VIRTUAL_LINES = 300;

export interface CardContext {
  conversationId: string;
  markdown(text: string): string;
  /** Is this card open? `fallback` is its default (running steps open, finished ones closed). */
  open(key: string, fallback: boolean): boolean;
}

type Status = "running" | "ok" | "failed" | "waiting" | "info" | "warning";

const ICONS: Record<Status, { icon: string; label: string }> = {
  running: { icon: "◌", label: "running" },
  ok: { icon: "✓", label: "done" },
  failed: { icon: "✗", label: "failed" },
  waiting: { icon: "⚠", label: "waiting" },
  info: { icon: "ℹ", label: "note" },
  warning: { icon: "⚠", label: "warning" },
};

export function cardKey(conversationId: string, entry: Entry): string {
  return `${entry.kind}-${conversationId}-${entry.id}`.replace(/[^A-Za-z0-9_-]/g, "_");
}

function card(
  key: string,
  kind: string,
  status: Status,
  summary: string,
  meta: string,
  body: string,
  open: boolean,
): string {
  const { icon, label } = ICONS[status];
  const head = `<span class="status-icon" role="img" aria-label="${label}">${icon}</span><span class="summary">${summary}</span>${meta ? `<span class="card-meta">${meta}</span>` : ""}`;
  const busy = status === "running" ? ` aria-busy="true"` : "";
  if (!body)
    return `<article class="card card-${kind} is-${status}" data-key="${key}"${busy}><div class="card-head">${head}</div></article>`;
  return `<article class="card card-${kind} is-${status}" data-key="${key}"${busy}><button class="card-head" aria-expanded="${open}" aria-controls="body-${key}" data-action="toggleCard" data-card="${key}">${head}</button><div class="card-body" id="body-${key}"${open ? "" : " hidden"}>${body}</div></article>`;
}

/** argv as a shell line (arguments with spaces or quotes quoted); `bash -lc SCRIPT` as SCRIPT. */
export function commandLine(argv: string[]): string {
  if (argv.length === 3 && /^(ba|z)?sh$/.test(argv[0].split("/").pop() ?? "") && /^-l?c$/.test(argv[1])) return argv[2];
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1000) return `${ms} ms`;
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Lines of a terminal's output the panel shows (its latest). */
export const TERMINAL_LINES = 12;

/** The running terminals of a conversation: each command, its latest output and a Stop button
 * (codex/killTerminal); "" when none runs. */
export function terminalsHtml(conversationId: string, terminals: Terminal[]): string {
  if (!terminals.length) return "";
  const rows = terminals.map((t) => {
    const lines = stripAnsi(t.output).replace(/\n$/, "").split("\n").slice(-TERMINAL_LINES);
    const label = `Stop ${commandLine(t.command)}`;
    return (
      `<div class="terminal" data-terminal="${t.terminalId}"><div class="terminal-head">` +
      `<span class="status-icon running" aria-hidden="true">●</span> <code>${esc(commandLine(t.command))}</code> ` +
      `<span class="muted">session ${t.terminalId}</span> ` +
      `<button class="secondary" data-action="killTerminal" data-conversation="${esc(conversationId)}" ` +
      `data-terminal="${t.terminalId}" aria-label="${esc(label)}">Stop</button></div>` +
      `<pre class="terminal-output">${esc(lines.join("\n"))}</pre></div>`
    );
  });
  return `<div class="terminals-title">Running terminals (${terminals.length})</div>${rows.join("")}`;
}

/** What a command did, in words, when the server recognised it; undefined for any other. */
export function parsedSummary(parsed: ParsedCommand[] | undefined): { kind: string; html: string } | undefined {
  if (!parsed?.length || parsed.some((p) => p.type === "unknown")) return undefined;
  if (parsed.every((p) => p.type === "read")) {
    return {
      kind: "read",
      html: `Read ${parsed.map((p) => `<code>${esc(("name" in p && p.name) || p.cmd)}</code>`).join(", ")}`,
    };
  }
  const search = parsed.find((p) => p.type === "search");
  if (search && search.type === "search") {
    const what = search.query ? ` for <code>${esc(search.query)}</code>` : "";
    const where = search.path ? ` in <code>${esc(search.path)}</code>` : "";
    return { kind: "search", html: `Searched${what}${where}` };
  }
  const list = parsed[0];
  if (list.type === "listFiles")
    return { kind: "search", html: `Listed files in <code>${esc(list.path || ".")}</code>` };
  return undefined;
}

function outputBlock(key: string, output: string): string {
  if (!output) return `<p class="muted">No output.</p>`;
  const lines = output.endsWith("\n") ? output.slice(0, -1).split("\n").length : output.split("\n").length;
  if (lines > VIRTUAL_LINES) {
    return `<div class="output virtual" tabindex="0" role="region" aria-label="Output, ${lines} lines" data-output="${key}" data-lines="${lines}"></div>`;
  }
  const html = ansiLines(output.replace(/\n$/, "")).join("\n");
  return `<pre class="output" tabindex="0" role="region" aria-label="Output">${html}</pre>`;
}

/** A file change's +/− line counts. */
export function lineCounts(change: FileChange): { added: number; removed: number } {
  if (change.type === "add")
    return { added: change.content.split("\n").filter((l, i, all) => l || i < all.length - 1).length, removed: 0 };
  if (change.type === "delete")
    return { added: 0, removed: change.content.split("\n").filter((l, i, all) => l || i < all.length - 1).length };
  let added = 0;
  let removed = 0;
  for (const line of change.unifiedDiff.split("\n")) {
    if (line.startsWith("+") && !line.startsWith("+++")) added++;
    else if (line.startsWith("-") && !line.startsWith("---")) removed++;
  }
  return { added, removed };
}

export function counts(c: { added: number; removed: number }): string {
  return `<span class="added" aria-label="${c.added} lines added">+${c.added}</span> <span class="removed" aria-label="${c.removed} lines removed">−${c.removed}</span>`;
}

export function diffHtml(lines: string[]): string {
  return lines
    .map(
      (l) =>
        `<span class="${l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : l.startsWith("@@") ? "hunk-head" : "ctx"}">${esc(l)}</span>`,
    )
    .join("\n");
}

export function fileDiff(change: FileChange): string {
  const lines =
    change.type === "update"
      ? change.unifiedDiff.split("\n").filter((l) => !l.startsWith("---") && !l.startsWith("+++"))
      : change.content
          .replace(/\n$/, "")
          .split("\n")
          .map((l) => (change.type === "add" ? "+" : "-") + l);
  return `<pre class="diff" tabindex="0" role="region" aria-label="Diff">${diffHtml(lines)}</pre>`;
}

export function openDiffButton(conversationId: string, callId: string, path: string): string {
  return `<button class="link" data-action="openDiff" data-conversation="${esc(conversationId)}" data-call="${esc(callId)}" data-path="${esc(path)}" aria-label="Open diff of ${esc(path)}">Open diff</button>`;
}

function mcpResult(result: unknown): string {
  const content = (result as { content?: { type?: string; text?: string }[] } | undefined)?.content;
  if (Array.isArray(content) && content.every((c) => c.type === "text" && typeof c.text === "string")) {
    return content.map((c) => c.text).join("\n");
  }
  return JSON.stringify(result, null, 2);
}

const ERROR_HELP: Record<string, string> = {
  unauthorized:
    "The provider rejected the API key: check the variable named above (codex-lsp doctor says which), then Retry.",
  usageLimitExceeded:
    "The provider's rate or usage limit was reached: wait a moment and Retry, or check the account's quota.",
  serverOverloaded: "The provider is overloaded: Retry in a moment.",
  internalServerError: "The provider failed: Retry in a moment.",
  httpConnectionFailed: "The provider could not be reached: check the network and base_url in config.toml, then Retry.",
  responseStreamDisconnected: "The answer was cut off: Retry.",
  contextWindowExceeded:
    "The conversation no longer fits the model's context: Compact it, or start a new conversation.",
  badRequest: "The provider refused the request: check the model name (the Model picker) and its settings, then Retry.",
  invalidResponse: "The endpoint did not answer like a model API: check base_url in config.toml.",
};

function noticeCard(ctx: CardContext, key: string, entry: Extract<Entry, { kind: "notice" }>): string {
  if (entry.retry) {
    const { attempt, maxAttempts, retryInMs } = entry.retry;
    const summary = `Retrying (${attempt}/${maxAttempts}) in ${duration(retryInMs)}: ${esc(entry.text)}`;
    return `<div role="status">${card(key, "notice", "running", summary, "", "", false)}</div>`;
  }
  if (entry.level !== "error") {
    return card(key, "notice", entry.level === "warning" ? "warning" : "info", esc(entry.text), "", "", false);
  }
  const help = ERROR_HELP[entry.errorInfo ?? ""] ?? "Retry, or check the set-up (codex-lsp doctor).";
  const actions = [
    `<button data-action="retry">Retry</button>`,
    entry.errorInfo === "contextWindowExceeded" ? `<button data-action="compact">Compact</button>` : "",
  ].join("");
  void ctx;
  return `<article class="card card-notice is-failed" data-key="${key}" role="alert"><div class="card-head"><span class="status-icon" role="img" aria-label="error">✗</span><span class="summary">${esc(entry.text)}</span></div><div class="card-body"><p class="help">${esc(help)}</p><div class="buttons">${actions}</div></div></article>`;
}

/** Every entry but a user message, as its card (or the agent's Markdown). */
export function renderCard(ctx: CardContext, entry: Exclude<Entry, { kind: "user" }>): string {
  const key = cardKey(ctx.conversationId, entry);
  switch (entry.kind) {
    case "agent":
      return `<div class="entry agent" data-key="${key}"${entry.done ? "" : ` aria-busy="true"`}>${ctx.markdown(entry.text)}</div>`;
    case "reasoning": {
      const first = stripAnsi(entry.text)
        .trim()
        .split("\n")[0]
        .replace(/[*_`#]/g, "");
      const summary =
        entry.done || first ? `Thought: ${esc(first.length > 90 ? `${first.slice(0, 90)}…` : first)}` : "Thinking…";
      return card(
        key,
        "reasoning",
        entry.done ? "ok" : "running",
        summary,
        "",
        ctx.markdown(entry.text),
        ctx.open(key, false),
      );
    }
    case "command": {
      const running = entry.exitCode === undefined;
      const declined = entry.status === "declined";
      const status: Status = running ? "running" : declined || entry.exitCode !== 0 ? "failed" : "ok";
      const line = commandLine(entry.command);
      const parsed = parsedSummary(entry.parsed);
      const summary = parsed?.html ?? `Ran <code>${esc(line)}</code>`;
      const meta = running
        ? "running…"
        : declined
          ? "declined"
          : `exit ${entry.exitCode} · ${duration(entry.durationMs)}`;
      const body = `<div class="cmdline"><code>$ ${esc(line)}</code></div>${outputBlock(key, entry.output)}`;
      return card(key, parsed?.kind ?? "command", status, summary, esc(meta), body, ctx.open(key, running));
    }
    case "patch": {
      const files = Object.entries(entry.changes);
      const total = files.reduce(
        (sum, [, change]) => {
          const c = lineCounts(change);
          return { added: sum.added + c.added, removed: sum.removed + c.removed };
        },
        { added: 0, removed: 0 },
      );
      const verb =
        files.length === 1
          ? files[0][1].type === "add"
            ? "Created"
            : files[0][1].type === "delete"
              ? "Deleted"
              : "Edited"
          : "Changed";
      const what = files.length === 1 ? `<code>${esc(files[0][0])}</code>` : `${files.length} files`;
      const state = entry.success === undefined ? "applying…" : entry.success ? "patch applied" : "patch failed";
      const status: Status = entry.success === undefined ? "running" : entry.success ? "ok" : "failed";
      const body = files
        .map(
          ([path, change]) =>
            `<div class="file-row"><code class="path">${esc(path)}</code> ${counts(lineCounts(change))} ${openDiffButton(ctx.conversationId, entry.id, path)}</div>${fileDiff(change)}`,
        )
        .join("");
      return card(key, "patch", status, `${verb} ${what} ${counts(total)}`, state, body, ctx.open(key, false));
    }
    case "mcp": {
      const running = entry.result === undefined && !entry.error;
      const status: Status = entry.error ? "failed" : running ? "running" : "ok";
      const meta = entry.error ? "failed" : running ? "running…" : duration(entry.durationMs) || "done";
      const args = `<div class="label">Arguments</div><pre tabindex="0" role="region" aria-label="Arguments">${esc(JSON.stringify(entry.args ?? {}, null, 2))}</pre>`;
      const result = entry.error
        ? `<div class="label">Error</div><pre class="error-text" tabindex="0" role="region" aria-label="Error">${esc(entry.error)}</pre>`
        : running
          ? ""
          : `<div class="label">Result</div><pre tabindex="0" role="region" aria-label="Result">${esc(mcpResult(entry.result))}</pre>`;
      const summary = `Called <code>${esc(entry.tool)}</code> on <code>${esc(entry.server)}</code>`;
      return card(key, "mcp", status, summary, esc(meta), args + result, ctx.open(key, false));
    }
    case "plan": {
      const done = entry.plan.filter((p) => p.status === "completed").length;
      const all = done === entry.plan.length && entry.plan.length > 0;
      const items = entry.plan
        .map((p) => {
          const [mark, label] =
            p.status === "completed"
              ? ["☑", "done"]
              : p.status === "inProgress"
                ? ["◐", "in progress"]
                : ["☐", "to do"];
          return `<li class="${p.status}"><span class="check" aria-hidden="true">${mark}</span> ${esc(p.step)} <span class="sr-only">(${label})</span></li>`;
        })
        .join("");
      const explanation = entry.explanation ? `<p class="muted">${esc(entry.explanation)}</p>` : "";
      const body = `${explanation}<ul class="checklist">${items}</ul>`;
      return card(
        key,
        "plan",
        all ? "ok" : "running",
        `Plan: ${done} of ${entry.plan.length} done`,
        "",
        body,
        ctx.open(key, true),
      );
    }
    case "review":
      return reviewCard(ctx, key, entry.review);
    case "speckit":
      return speckitCard(ctx, key, entry.run);
    case "notice":
      return noticeCard(ctx, key, entry);
  }
}

/** A review: each finding (priority, title, where, why), most urgent first, then the verdict. */
function reviewCard(ctx: CardContext, key: string, review: ReviewOutput): string {
  const findings = [...review.findings].sort((a, b) => a.priority - b.priority);
  const items = findings
    .map((f) => {
      const lines =
        f.lineRange.end === f.lineRange.start ? `${f.lineRange.start}` : `${f.lineRange.start}-${f.lineRange.end}`;
      return `<li class="finding p${f.priority}"><span class="priority">P${f.priority}</span> <strong>${esc(f.title)}</strong> <code>${esc(f.file)}:${lines}</code><div class="finding-body">${ctx.markdown(f.body)}</div></li>`;
    })
    .join("");
  const correct = review.overallCorrectness === "patchIsCorrect";
  const verdict = `<p class="muted">Patch is ${correct ? "correct" : "incorrect"}. ${esc(review.overallExplanation)}</p>`;
  const count = `${findings.length} finding${findings.length === 1 ? "" : "s"}`;
  const urgent = findings.some((f) => f.priority <= 1);
  const status: Status = urgent ? "failed" : findings.length ? "warning" : "ok";
  const body = `${verdict}${items ? `<ol class="findings">${items}</ol>` : ""}`;
  return card(key, "review", status, `Review: ${count}`, "", body, ctx.open(key, true));
}

const STAGE_MARKS: Record<StageStatus, { mark: string; label: string }> = {
  pending: { mark: "○", label: "pending" },
  running: { mark: "◌", label: "running" },
  ok: { mark: "✓", label: "ok" },
  degraded: { mark: "◑", label: "degraded" },
  conflict: { mark: "⚡", label: "conflict" },
  waiting: { mark: "⚠", label: "waiting for an answer" },
  failed: { mark: "✗", label: "failed" },
};

const AGENT_STATES: Record<SpeckitAgent["state"], string> = {
  asking: "asking",
  ok: "answered",
  unusable: "answer unusable",
  retrying: "asking again",
};

function money(usd: number): string {
  return `$${usd.toFixed(usd > 0 && usd < 0.01 ? 4 : 2)}`;
}

function agentLine(agent: SpeckitAgent): string {
  const attempt = agent.maxAttempts
    ? ` (attempt ${agent.attempt} of ${agent.maxAttempts})`
    : agent.attempt > 1
      ? ` (attempt ${agent.attempt})`
      : "";
  const cost = agent.costUsd ? ` · ${money(agent.costUsd)}` : "";
  const reason = agent.state === "retrying" && agent.reason ? `: ${esc(agent.reason)}` : "";
  return `<li class="speckit-agent is-${agent.state}"><code>${esc(agent.name)}</code> ${AGENT_STATES[agent.state]}${attempt}${reason}${cost}</li>`;
}

/** The data attributes of an answer control: the question it answers. */
function answerData(g: SpeckitGate, q: SpeckitQuestion): string {
  return `data-run="${esc(g.runId)}" data-checkpoint="${esc(g.checkpoint)}" data-issue="${esc(q.issueId)}"`;
}

/** One question of a gate: its text, then (while open in a run that goes on) a button per
 * suggested answer and a box for the user's own words; once answered, the answer. */
function questionHtml(g: SpeckitGate, q: SpeckitQuestion, live: boolean): string {
  const holds = q.critical && q.answer === undefined ? " (holds the run)" : "";
  const head = `<strong>${esc(q.issueId)}</strong> <span class="muted">${esc(q.magnitude)}${holds}${q.question ? ":" : ""}</span>${q.question ? ` ${esc(q.question)}` : ""}`;
  if (q.answer !== undefined) {
    const given = q.answer === true ? "answered" : `answered: ${esc(q.answer)}`;
    return `<li class="speckit-question is-answered">${head} <span class="muted">— ${given}</span></li>`;
  }
  if (!live) return `<li class="speckit-question">${head}</li>`;
  const buttons = q.options
    .map(
      (option) =>
        `<button data-action="speckitAnswer" ${answerData(g, q)} data-answer="${esc(option)}" aria-label="Answer ${esc(q.issueId)}: ${esc(option)}">${esc(option)}</button>`,
    )
    .join("");
  const own = `<span class="speckit-own"><input type="text" class="speckit-answer-text" ${answerData(g, q)} maxlength="${MAX_ANSWER_CHARS}" placeholder="Answer…" aria-label="Your answer to ${esc(q.issueId)}"><button data-action="speckitAnswerText" ${answerData(g, q)} aria-label="Send your answer to ${esc(q.issueId)}">Answer</button></span>`;
  return `<li class="speckit-question${q.critical ? " is-critical" : ""}">${head}<div class="buttons">${buttons}${own}</div></li>`;
}

/** The longest answer the server writes into a SPEC file (its MAX_ANSWER_CHARS). */
export const MAX_ANSWER_CHARS = 2000;

/** The message an answer control posts: a suggested answer's button sends its answer, the
 * "Answer" button beside the box sends the words typed (`typed`; none: nothing to send). */
export function speckitAnswerOf(
  data: Partial<Record<"action" | "run" | "checkpoint" | "issue" | "answer", string>>,
  typed?: string,
): Extract<FromWebview, { type: "speckitAnswer" }> | undefined {
  const { run: runId, checkpoint, issue: issueId } = data;
  if (!runId || !checkpoint || !issueId) return undefined;
  const answer = data.action === "speckitAnswerText" ? typed?.trim() : data.answer;
  return answer ? { type: "speckitAnswer", runId, checkpoint, issueId, answer } : undefined;
}

/** A spec-kit run: the stage timeline (each stage's agents and retries), the cost meter against
 * the budget, and the quality-gate questions, each with its suggested answers as buttons and a
 * box for the user's own (the server's codex-lsp.speckit.answer writes the one sent). */
function speckitCard(ctx: CardContext, key: string, run: SpeckitRun): string {
  const stages = timeline(run);
  const items = stages
    .map((stage) => {
      const { mark, label } = STAGE_MARKS[stage.status];
      const retries = stage.retries
        ? ` <span class="muted">${stage.retries} retr${stage.retries === 1 ? "y" : "ies"}</span>`
        : "";
      const agents = stage.agents.length
        ? `<ul class="speckit-agents" aria-label="Agents of ${esc(stage.name)}">${stage.agents.map(agentLine).join("")}</ul>`
        : "";
      return `<li class="speckit-stage is-${stage.status}"><span class="check" role="img" aria-label="${label}">${mark}</span> <strong>${esc(stage.name)}</strong>${stage.heldBefore ? ` <span class="muted">(quality gate before ${esc(stage.heldBefore)})</span>` : ""} <span class="muted">${label}</span>${retries}${agents}</li>`;
    })
    .join("");
  const meter =
    run.budget !== undefined && run.totalSpent !== undefined
      ? `<div class="speckit-cost"><meter min="0" max="${run.budget}" low="${run.budget * 0.8}" high="${run.budget * 0.9}" optimum="0" value="${Math.min(run.totalSpent, run.budget)}" aria-label="Spent of the budget" aria-valuetext="${money(run.totalSpent)} of ${money(run.budget)}"></meter> <span class="${run.alert ? "error-text" : "muted"}">${money(run.totalSpent)} of ${money(run.budget)}${run.alert ? ` (budget ${run.alert})` : ""}</span></div>`
      : "";
  const waiting = run.state === "waiting";
  const live = run.state !== "completed";
  const questions = run.gates
    .filter((g) => g.asked.length)
    .map((g) => {
      const open = g.questions.filter((q) => q.answer === undefined).length;
      const holding = g.questions.filter((q) => q.critical && q.answer === undefined).length;
      const fixed = g.autoFixed.length
        ? `<p class="muted">Fixed automatically: ${g.autoFixed.map(esc).join(", ")}</p>`
        : "";
      const asked = g.questions.map((q) => questionHtml(g, q, live)).join("");
      const counts = `${g.asked.length} question(s)${open < g.asked.length ? `, ${g.asked.length - open} answered` : ""}${holding ? `, ${holding} holding the run` : ""}`;
      return `<div class="speckit-gate" role="group" aria-label="Quality gate ${esc(g.checkpoint)}"><div class="label">Gate ${esc(g.checkpoint)}: ${counts}</div>${fixed}<ul class="speckit-questions">${asked}</ul></div>`;
    })
    .join("");
  const counted = stages.filter((s) => !s.heldBefore);
  const done = counted.filter((s) => s.status === "ok" || s.status === "degraded").length;
  const failed = stages.some((s) => s.status === "failed" || s.status === "conflict");
  const status: Status = waiting
    ? "waiting"
    : run.state === "completed"
      ? "ok"
      : failed
        ? "failed"
        : stages.some((s) => s.status === "running")
          ? "running"
          : run.state
            ? "warning"
            : "ok";
  const what = run.runId ? `/speckit.auto ${esc(run.specId)}` : `spec-kit ${esc(run.specId)}`;
  const meta = waiting ? "waiting for an answer" : (run.state ?? "");
  const reason = run.reason ? `<p class="muted">${esc(run.reason)}</p>` : "";
  const body = `${reason}<ol class="speckit-timeline" aria-label="Stages">${items}</ol>${meter}${questions}`;
  const summary = `${what}: ${done} of ${counted.length} stage(s) done`;
  const html = card(key, "speckit", status, summary, esc(meta), body, ctx.open(key, true));
  return waiting ? `<div role="status">${html}</div>` : html;
}
