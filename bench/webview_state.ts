// The VS Code panel's hot path per streamed event, in the extension host: the reducer, and what
// the bridge posts to the webview (postMessage clones it) — the delta from the last posted view
// (what it posts now), the panel view (tabs + the active conversation, what it posted before) and
// the whole state (before that) — with three open tabs of growing size. Baseline in the same run:
// decoding the notification itself (JSON.parse of the event).
// Built and run by `python -m bench.webview_state`; prints one JSON object.
import { emptyState, panelDelta, panelView, reduce, type ChatState } from "../vscode-extension/src/shared/state";
import type { Event, EventMsg } from "../vscode-extension/src/shared/generated";
import { turn } from "./webview_turns";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(turns: number, runs: number): Record<string, number> {
  let state: ChatState = emptyState;
  const wrap = (msg: EventMsg, conversationId = "c"): Event => ({ conversationId, submissionId: "s", msg });
  for (const id of ["other-1", "other-2", "c"]) {
    for (let n = 0; n < turns; n++) for (const msg of turn(n)) state = reduce(state, wrap(msg, id));
  }
  const lastTurn = turn(turns)
    .filter((m) => m.type === "agentMessageDelta")
    .map((m) => JSON.stringify(wrap(m)));
  const reduceUs: number[] = [];
  const deltaUs: number[] = [];
  const cloneUs: number[] = [];
  const wholeUs: number[] = [];
  const decodeUs: number[] = [];
  for (let r = 0; r < runs; r++) {
    let s = state;
    let posted = panelView(s);
    for (const text of lastTurn) {
      let t = performance.now();
      const event = JSON.parse(text) as Event;
      decodeUs.push((performance.now() - t) * 1000);
      t = performance.now();
      s = reduce(s, event);
      reduceUs.push((performance.now() - t) * 1000);
      t = performance.now();
      const view = panelView(s);
      structuredClone(panelDelta(posted, view));
      posted = view;
      deltaUs.push((performance.now() - t) * 1000);
      t = performance.now();
      structuredClone(view);
      cloneUs.push((performance.now() - t) * 1000);
      t = performance.now();
      structuredClone(s);
      wholeUs.push((performance.now() - t) * 1000);
    }
  }
  return {
    turns,
    decode_us: median(decodeUs),
    reduce_us: median(reduceUs),
    delta_us: median(deltaUs),
    clone_us: median(cloneUs),
    whole_state_us: median(wholeUs),
  };
}

const runs = Number(process.argv[2] ?? 20);
console.log(JSON.stringify({ runs, sizes: [10, 100, 500].map((turns) => measure(turns, runs)) }));
