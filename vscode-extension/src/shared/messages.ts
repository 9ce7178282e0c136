// The messages between the chat webview and the extension host: one discriminated union each
// way, used by both sides (the webview posts FromWebview and handles ToWebview; the bridge the
// other way round). A switch over either ends in `unhandled`, so a new message that one side does
// not handle is a compile error.
import type {
  AskForApproval,
  ContextInput,
  DoctorResult,
  ListMcpPromptsResult,
  ListModelsResult,
  ListSkillsResult,
  ListSpecsResult,
  ReasoningEffort,
  ReviewDecision,
} from "./generated";
import type { ModeId, PanelDelta, PanelView } from "./state";

/** What the webview posts. */
export type FromWebview =
  | { type: "ready" }
  /** `rewindTo`: "Edit and resend" of that turn's message: the turn and every later one are rewound first. */
  | { type: "send"; text: string; images?: string[]; contexts?: ContextInput[]; rewindTo?: string }
  | {
      type: "approve";
      conversationId: string;
      callId: string;
      decision: ReviewDecision;
      rejectedHunks?: Record<string, number[]>;
    }
  | { type: "interrupt" }
  | { type: "undo"; turnId?: string }
  | { type: "fork"; turnId: string }
  | { type: "search"; query: string }
  | { type: "newConversation" }
  | { type: "selectTab"; conversationId: string }
  | { type: "closeTab"; conversationId: string }
  | { type: "history" }
  | { type: "rename"; conversationId: string }
  | { type: "override"; model?: string; effort?: ReasoningEffort; approvalPolicy?: AskForApproval }
  /** The mode picker: read-only, auto or full-access (codex/setMode), for the next turn. */
  | { type: "setMode"; mode: ModeId }
  | { type: "openDiff"; conversationId: string; callId: string; path: string; rejectedHunks?: number[] }
  | { type: "pasteImage"; dataUrl: string }
  | { type: "attachImages" }
  /** The model picker's list (codex/listModels) and the empty state's set-up findings (codex/doctor). */
  | { type: "listModels" }
  | { type: "doctor" }
  /** The skills `$` completes (codex/listSkills). */
  | { type: "listSkills" }
  /** The MCP prompts `/` completes (codex/listMcpPrompts). */
  | { type: "listMcpPrompts" }
  /** The SPEC ids `/speckit.<name> ` completes (codex/listSpecs). */
  | { type: "listSpecs" }
  /** A code block of an answer: copied, inserted at the editor's cursor, or applied to its file. */
  | { type: "copyCode"; code: string }
  | { type: "insertCode"; code: string }
  | { type: "applyCode"; path: string; code: string }
  | { type: "openWalkthrough" }
  /** The Stop button of a running terminal (codex/killTerminal). */
  | { type: "killTerminal"; conversationId: string; terminalId: number }
  /** A spec-kit quality-gate question answered in its card (codex-lsp.speckit.answer): with one of
   * the suggested answers or the user's own words the server writes it and the run goes on;
   * without `answer` the server asks (window/showMessageRequest). */
  | { type: "speckitAnswer"; runId: string; checkpoint: string; issueId: string; answer?: string };

/** What the host posts to the webview. */
export type ToWebview =
  | { type: "state"; view: PanelView }
  /** What changed since the last state or delta (see panelDelta). */
  | { type: "delta"; delta: PanelDelta }
  | { type: "models"; result: ListModelsResult }
  | { type: "doctor"; result: DoctorResult }
  | { type: "skills"; result: ListSkillsResult }
  | { type: "mcpPrompts"; result: ListMcpPromptsResult }
  | { type: "specs"; result: ListSpecsResult }
  /** A keyboard shortcut asked for the composer. */
  | { type: "focusComposer" }
  /** An interrupt handed back what the user had queued: it goes back in the composer. */
  | { type: "restoreDraft"; text: string }
  | { type: "files"; query: string; files: string[] }
  | { type: "attached"; images: { path: string; uri: string }[] }
  | { type: "attachedContext"; context: ContextInput };

/** The end of an exhaustive switch over a message union: `message` is `never` when every member
 * is handled; at run time (a message from an older or newer other side) it says what came. */
export function unhandled(message: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(message)}`);
}
