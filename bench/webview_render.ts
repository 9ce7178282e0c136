// The chat webview in a real browser (headless Chromium, run by `python -m bench.webview_render`):
// how long until a stored conversation is drawn and the page answers input, measured from the
// moment its data reached the extension (replaying the stored events, the panel view, its
// postMessage copy, the webview drawing it, one frame of style and layout); and the cost per
// streamed event at 1,000 tokens/s with that history present (reducing each event, and once
// per 16 ms frame the delta, its copy, the webview's update and a forced layout).
import { emptyState, panelDelta, panelView, reduce, replayed, type ChatState } from "../vscode-extension/src/shared/state";
import type { Event } from "../vscode-extension/src/shared/generated";
import { stored, turn } from "./webview_turns";

const EVENTS_PER_FRAME = 16; // 1,000 tokens/s in 16 ms frames

function frame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function deliver(data: unknown): void {
  window.dispatchEvent(new MessageEvent("message", { data }));
}

async function run(turns: number, tokens: number): Promise<Record<string, number>> {
  const messages = stored(turns);
  await frame();
  const t0 = performance.now();
  let state: ChatState = replayed(emptyState, "c", messages, "A long conversation");
  let posted = panelView(state);
  const copy = structuredClone(posted);
  const t1 = performance.now();
  deliver({ type: "state", view: copy });
  const t2 = performance.now();
  void document.body.offsetHeight;
  await frame();
  const t3 = performance.now();
  const composer = document.getElementById("composer") as HTMLTextAreaElement;
  composer.focus();
  const answered = document.activeElement === composer;

  const live = turn(turns, tokens).map((msg): Event => ({ conversationId: "c", submissionId: "s", msg }));
  let busy = 0;
  let worstFrame = 0;
  let events = 0;
  for (let i = 0; i < live.length; i += EVENTS_PER_FRAME) {
    const start = performance.now();
    for (const event of live.slice(i, i + EVENTS_PER_FRAME)) {
      state = reduce(state, event);
      events++;
    }
    const view = panelView(state);
    const delta = panelDelta(posted, view);
    posted = view;
    deliver(delta ? { type: "delta", delta: structuredClone(delta) } : { type: "state", view: structuredClone(view) });
    void document.body.offsetHeight;
    const spent = performance.now() - start;
    busy += spent;
    worstFrame = Math.max(worstFrame, spent);
    await frame();
  }
  return {
    turns,
    entries: posted.conversation?.entries.length ?? 0,
    host_ms: t1 - t0,
    webview_ms: t2 - t1,
    interactive_ms: t3 - t0,
    composer_focused: answered ? 1 : 0,
    rows_drawn: document.querySelectorAll("#rows > .row").length,
    events,
    per_event_ms: busy / events,
    worst_frame_ms: worstFrame,
  };
}

(window as unknown as { runBench: typeof run }).runBench = run;
