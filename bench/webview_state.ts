// The VS Code panel's hot path per streamed event: the reducer, and the copy of what the bridge
// posts to the webview (postMessage clones it) — the panel view (tabs + the active conversation)
// and, for comparison, the whole state it replaced — with three open tabs of growing size.
// Baseline in the same run: decoding the notification itself (JSON.parse of the event).
// Built and run by `python -m bench.webview_state`; prints one JSON object.
import { emptyState, panelView, reduce, type ChatState } from "../vscode-extension/src/webview/state";
import type { Event, EventMsg } from "../vscode-extension/src/protocol/generated";

const DELTAS = 40;

function turn(n: number): EventMsg[] {
  const turnId = `t${n}`;
  const msgs: EventMsg[] = [
    { type: "taskStarted", turnId },
    { type: "userMessage", turnId, itemId: `u${n}`, message: `question ${n}: why does test_${n} fail?`, images: [], localImages: [], mentions: [] },
    { type: "execCommandBegin", turnId, itemId: `c${n}`, callId: `c${n}`, command: ["pytest", "-x", `tests/test_${n}.py`], cwd: "/w", parsedCmd: [] },
    { type: "execCommandEnd", turnId, itemId: `c${n}`, callId: `c${n}`, command: ["pytest"], cwd: "/w", exitCode: 1, durationMs: 800, aggregatedOutput: "F\n".repeat(40), stdout: "", stderr: "", formattedOutput: "" },
  ];
  for (let d = 0; d < DELTAS; d++) msgs.push({ type: "agentMessageDelta", turnId, itemId: `a${n}`, delta: `word${d} ` });
  return msgs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(turns: number, runs: number): Record<string, number> {
  let state: ChatState = emptyState;
  const wrap = (msg: EventMsg, conversationId = "c"): Event => ({ conversationId, submissionId: "s", msg });
  for (const id of ["c", "other-1", "other-2"]) {
    for (let n = 0; n < turns; n++) for (const msg of turn(n)) state = reduce(state, wrap(msg, id));
  }
  const lastTurn = turn(turns).map((m) => JSON.stringify(wrap(m)));
  const reduceUs: number[] = [];
  const cloneUs: number[] = [];
  const wholeUs: number[] = [];
  const decodeUs: number[] = [];
  for (let r = 0; r < runs; r++) {
    let s = state;
    for (const text of lastTurn) {
      let t = performance.now();
      const event = JSON.parse(text) as Event;
      decodeUs.push((performance.now() - t) * 1000);
      t = performance.now();
      s = reduce(s, event);
      reduceUs.push((performance.now() - t) * 1000);
      t = performance.now();
      structuredClone(panelView(s));
      cloneUs.push((performance.now() - t) * 1000);
      t = performance.now();
      structuredClone(s);
      wholeUs.push((performance.now() - t) * 1000);
    }
  }
  return { turns, decode_us: median(decodeUs), reduce_us: median(reduceUs), clone_us: median(cloneUs), whole_state_us: median(wholeUs) };
}

const runs = Number(process.argv[2] ?? 20);
console.log(JSON.stringify({ runs, sizes: [10, 100, 500].map((turns) => measure(turns, runs)) }));
