// A spec-kit run as the panel shows it: the stage timeline, each agent's state and retries, the
// cost against the budget and the quality-gate questions, folded from the speckit* events of
// docs/protocol.md (one run per SPEC in a conversation). Pure code: the reducer's tests feed it.
import type {
  SpeckitAgentAnsweredEvent,
  SpeckitAgentRetryEvent,
  SpeckitAgentStartedEvent,
  SpeckitAutoProgressEvent,
  SpeckitConsensusEvent,
  SpeckitCostEvent,
  SpeckitGateEvent,
  SpeckitStageCompletedEvent,
  SpeckitStageStartedEvent,
} from "./generated";

export type SpeckitEvent =
  | SpeckitStageStartedEvent
  | SpeckitAgentStartedEvent
  | SpeckitAgentAnsweredEvent
  | SpeckitAgentRetryEvent
  | SpeckitConsensusEvent
  | SpeckitCostEvent
  | SpeckitStageCompletedEvent
  | SpeckitAutoProgressEvent
  | SpeckitGateEvent;

/** The stages `/speckit.auto` runs, in order (the server's `PIPELINE`): the timeline shows those
 * not reached yet as pending. */
export const AUTO_STAGES = ["plan", "tasks", "implement", "validate", "audit", "unlock"];

export type StageStatus = "pending" | "running" | "ok" | "degraded" | "conflict" | "waiting" | "failed";

export interface SpeckitAgent {
  name: string;
  state: "asking" | "ok" | "unusable" | "retrying";
  attempt: number;
  maxAttempts?: number;
  /** Why it is asked again (the last retry's reason). */
  reason?: string;
  costUsd?: number;
}

export interface SpeckitStage {
  name: string;
  status: StageStatus;
  agents: SpeckitAgent[];
  retries: number;
  message?: string;
  /** A quality gate's agents: the pipeline stage the gate is held before (the timeline only). */
  heldBefore?: string;
}

/** A question a gate put to the user: its text, the agents' suggested answers, and, once
 * answered, the answer (`true` when it was answered elsewhere: the run went on past it). */
export interface SpeckitQuestion {
  issueId: string;
  question: string;
  magnitude: string;
  options: string[];
  critical: boolean;
  answer?: string | true;
}

/** A quality gate's questions: `asked` are put to the user, `critical` ones hold the run. */
export interface SpeckitGate {
  runId: string;
  checkpoint: string;
  /** The gate held (clarify, checklist, analyze): its agents' events name it as their stage. */
  gate: string;
  stage: string;
  asked: string[];
  critical: string[];
  autoFixed: string[];
  questions: SpeckitQuestion[];
}

export interface SpeckitRun {
  specId: string;
  /** The `/speckit.auto` run, when it is one (a single stage command has none). */
  runId?: string;
  state?: SpeckitAutoProgressEvent["state"];
  reason?: string | null;
  stages: SpeckitStage[];
  totalSpent?: number;
  budget?: number;
  alert?: SpeckitCostEvent["alert"];
  gates: SpeckitGate[];
}

export function isSpeckitEvent(msg: { type: string }): msg is SpeckitEvent {
  return msg.type.startsWith("speckit");
}

export function emptyRun(specId: string): SpeckitRun {
  return { specId, stages: [], gates: [] };
}

function withStage(run: SpeckitRun, name: string, change: (stage: SpeckitStage) => SpeckitStage): SpeckitRun {
  const index = run.stages.findIndex((s) => s.name === name);
  const old = index < 0 ? { name, status: "pending" as const, agents: [], retries: 0 } : run.stages[index];
  const stages = index < 0 ? [...run.stages, change(old)] : run.stages.map((s, i) => (i === index ? change(s) : s));
  return { ...run, stages };
}

function withAgent(stage: SpeckitStage, name: string, change: (agent: SpeckitAgent) => SpeckitAgent): SpeckitStage {
  const index = stage.agents.findIndex((a) => a.name === name);
  const old: SpeckitAgent = index < 0 ? { name, state: "asking", attempt: 1 } : stage.agents[index];
  const agents = index < 0 ? [...stage.agents, change(old)] : stage.agents.map((a, i) => (i === index ? change(a) : a));
  return { ...stage, agents };
}

/** A stage's end status from the server's words (`ok`, `degraded`, `conflict`, else failed). */
function ended(status: string): StageStatus {
  return status === "ok" || status === "degraded" || status === "conflict" ? status : "failed";
}

/** The run after one spec-kit event. */
export function reduceSpeckit(run: SpeckitRun, msg: SpeckitEvent): SpeckitRun {
  switch (msg.type) {
    case "speckitStageStarted":
      return withStage(run, msg.stage, (s) => ({
        ...s,
        status: "running",
        agents: msg.agents.map(
          (name) => s.agents.find((a) => a.name === name) ?? { name, state: "asking", attempt: 1 },
        ),
      }));
    case "speckitAgentStarted":
      return withStage(run, msg.stage, (s) =>
        withAgent({ ...s, status: "running" }, msg.agent, (a) => ({ ...a, state: "asking", attempt: msg.attempt })),
      );
    case "speckitAgentAnswered":
      return withStage(run, msg.stage, (s) =>
        withAgent(s, msg.agent, (a) => ({
          ...a,
          state: msg.ok ? "ok" : "unusable",
          attempt: msg.attempt,
          costUsd: (a.costUsd ?? 0) + msg.costUsd,
        })),
      );
    case "speckitAgentRetry":
      return withStage(run, msg.stage, (s) =>
        withAgent({ ...s, retries: s.retries + 1 }, msg.agent, (a) => ({
          ...a,
          state: "retrying",
          attempt: msg.attempt,
          maxAttempts: msg.maxAttempts,
          reason: msg.reason,
        })),
      );
    case "speckitConsensus":
      return run;
    case "speckitCost":
      return { ...run, totalSpent: msg.totalSpent, budget: msg.budget, alert: msg.alert ?? run.alert };
    case "speckitStageCompleted":
      return withStage(run, msg.stage, (s) => ({ ...s, status: ended(msg.status), message: msg.message }));
    case "speckitAutoProgress": {
      // The run never goes on past an open critical question: once it runs (or ends), they were answered.
      const gates = msg.state === "running" || msg.state === "completed" ? run.gates.map(criticalAnswered) : run.gates;
      const next = { ...run, runId: msg.runId, state: msg.state, reason: msg.reason, gates };
      if (msg.state === "waiting") return withStage(next, msg.stage, (s) => ({ ...s, status: "waiting" }));
      // A stage that waited goes on (running) once the run does.
      return msg.state === "running"
        ? withStage(next, msg.stage, (s) =>
            s.status === "waiting" || s.status === "pending" ? { ...s, status: "running" } : s,
          )
        : next;
    }
    case "speckitGate": {
      const asked = msg.asked ?? [];
      const critical = msg.critical ?? [];
      const given = new Map((msg.questions ?? []).map((q) => [q.issueId, q]));
      const gate: SpeckitGate = {
        runId: msg.runId,
        checkpoint: msg.checkpoint,
        gate: msg.gate,
        stage: msg.stage,
        asked,
        critical,
        autoFixed: msg.autoFixed ?? [],
        questions: asked.map((issueId) => ({
          issueId,
          question: given.get(issueId)?.question ?? "",
          magnitude: given.get(issueId)?.magnitude ?? (critical.includes(issueId) ? "critical" : ""),
          options: given.get(issueId)?.options ?? [],
          critical: critical.includes(issueId),
        })),
      };
      const gates = [...run.gates.filter((g) => g.checkpoint !== msg.checkpoint || g.runId !== msg.runId), gate];
      return { ...run, runId: msg.runId, gates };
    }
  }
}

function criticalAnswered(gate: SpeckitGate): SpeckitGate {
  return gate.questions.some((q) => q.critical && q.answer === undefined)
    ? {
        ...gate,
        questions: gate.questions.map((q) => (q.critical && q.answer === undefined ? { ...q, answer: true } : q)),
      }
    : gate;
}

/** The run once the user answered `issueId` of its gate at `checkpoint` with `answer`. */
export function answeredQuestion(
  run: SpeckitRun,
  runId: string,
  checkpoint: string,
  issueId: string,
  answer: string,
): SpeckitRun {
  const mine = (g: SpeckitGate) => g.runId === runId && g.checkpoint === checkpoint;
  if (!run.gates.some((g) => mine(g) && g.questions.some((q) => q.issueId === issueId))) return run;
  const gates = run.gates.map((g) =>
    mine(g) ? { ...g, questions: g.questions.map((q) => (q.issueId === issueId ? { ...q, answer } : q)) } : g,
  );
  return { ...run, gates };
}

/** The timeline: a single stage command's stages; for a `/speckit.auto` run its pipeline's
 * stages in order (those not reached yet pending), each quality gate's agents just before the
 * stage the gate is held before (before the stage the run is at, until the gate says). */
export function timeline(run: SpeckitRun): SpeckitStage[] {
  if (!run.runId) return run.stages;
  const found = new Map(run.stages.map((s) => [s.name, s]));
  const reached = run.stages.map((s) => AUTO_STAGES.indexOf(s.name)).filter((i) => i >= 0);
  const pipeline = AUTO_STAGES.slice(reached.length ? Math.min(...reached) : 0);
  const finished = (name: string) => ["ok", "degraded"].includes(found.get(name)?.status ?? "pending");
  const current = pipeline.find((name) => !finished(name)) ?? pipeline[pipeline.length - 1];
  const before = new Map(run.gates.map((g) => [g.gate, g.stage]));
  const gates = run.stages
    .filter((s) => !AUTO_STAGES.includes(s.name))
    .map((s) => {
      const stage = before.get(s.name) ?? current;
      return { ...s, heldBefore: pipeline.includes(stage) ? stage : pipeline[0] };
    });
  return pipeline.flatMap((name) => [
    ...gates.filter((g) => g.heldBefore === name),
    found.get(name) ?? { name, status: "pending" as const, agents: [], retries: 0 },
  ]);
}
