// A stored conversation as the panel gets it: turns of a question, a plan, a command with
// output, a patch and a streamed Markdown answer with a code block. Shared by the node benchmark
// (bench/webview_state.ts) and the browser one (bench/webview_render.ts).
import type { EventMsg } from "../vscode-extension/src/shared/generated";

export const DELTAS = 40;

export function turn(n: number, deltas = DELTAS): EventMsg[] {
  const turnId = `t${n}`;
  const diff = `@@ -1,3 +1,3 @@\n def test_${n}():\n-    assert f() == 1\n+    assert f() == 2\n`;
  const msgs: EventMsg[] = [
    { type: "taskStarted", turnId, modelContextWindow: 272000 },
    { type: "userMessage", turnId, itemId: `u${n}`, message: `question ${n}: why does test_${n} fail?`, images: [], localImages: [], mentions: [] },
    { type: "planUpdate", turnId, itemId: `p${n}`, plan: [{ step: "Reproduce", status: "completed" }, { step: "Fix", status: "in_progress" }] },
    { type: "execCommandBegin", turnId, itemId: `c${n}`, callId: `c${n}`, command: ["pytest", "-x", `tests/test_${n}.py`], cwd: "/w", parsedCmd: [{ type: "unknown", cmd: "pytest" }] },
    { type: "execCommandEnd", turnId, itemId: `c${n}`, callId: `c${n}`, command: ["pytest"], cwd: "/w", exitCode: 1, durationMs: 800, aggregatedOutput: "\u001b[31mF\u001b[0m\n".repeat(40), stdout: "", stderr: "", formattedOutput: "", status: "failed" },
    { type: "patchApplyBegin", turnId, itemId: `x${n}`, callId: `x${n}`, autoApproved: true, changes: { [`tests/test_${n}.py`]: { type: "update", unifiedDiff: diff } } },
    { type: "patchApplyEnd", turnId, itemId: `x${n}`, callId: `x${n}`, stdout: "", stderr: "", success: true, status: "completed" },
  ];
  for (let d = 0; d < deltas; d++) msgs.push({ type: "agentMessageDelta", turnId, itemId: `a${n}`, delta: `word${d} ` });
  msgs.push({ type: "agentMessage", turnId, itemId: `a${n}`, message: `Fixed **test_${n}**:\n\n\`\`\`python tests/test_${n}.py\ndef test_${n}():\n    assert f() == 2\n\`\`\`\n` });
  msgs.push({ type: "tokenCount", info: { totalTokenUsage: { inputTokens: 100 * n, cachedInputTokens: 0, outputTokens: 10 * n, reasoningOutputTokens: 0, totalTokens: 110 * n }, lastTokenUsage: { inputTokens: 100, cachedInputTokens: 0, outputTokens: 10, reasoningOutputTokens: 0, totalTokens: 110 }, modelContextWindow: 272000, contextTokens: 110 * n, contextLeftPercent: 90, autoCompactTokenLimit: 244800 } });
  msgs.push({ type: "taskComplete", turnId });
  return msgs;
}

/** What the store gives back on resume: every event but the deltas. */
export function stored(turns: number): EventMsg[] {
  const out: EventMsg[] = [{ type: "sessionConfigured", sessionId: "c", model: "gpt-5-codex", modelProviderId: "openai", approvalPolicy: "on-request", sandboxPolicy: { type: "read-only" }, cwd: "/w" }];
  for (let n = 0; n < turns; n++) out.push(...turn(n, 0));
  return out;
}
