// Every request the extension sends, typed from the protocol's generated method map: the
// codex/* client requests and the approval commands (workspace/executeCommand). No `vscode`
// import: the bridge and its tests use it.
import type { CodexClientRequest, CodexMethods, ReviewDecision } from "../shared/generated";

/** The approval request a command answers: the callId of its event, in its conversation. */
type ApprovalTarget = { callId: string; conversationId: string };

/** The approval commands the panel answers with (the server's codex-lsp.approve / deny). */
export type ApprovalCommand =
  | {
      command: "codex-lsp.approve";
      arguments: [ApprovalTarget & { decision: ReviewDecision; rejectedHunks?: Record<string, number[]> }];
    }
  | { command: "codex-lsp.deny"; arguments: [ApprovalTarget] };

/** A spec-kit quality-gate question's answer (the server's codex-lsp.speckit.answer): runId,
 * checkpoint, issueId and, optionally, the answer (without it the server asks). */
export type SpeckitAnswerCommand = {
  command: "codex-lsp.speckit.answer";
  arguments: [string, string, string] | [string, string, string, string];
};

/** What codex-lsp.speckit.answer returns. */
export type SpeckitAnswerResult = { answered: boolean; issueId?: string; answer?: string; resumed?: boolean };

/** Method → params and result, for every request the extension sends. */
export type Requests = Pick<CodexMethods, CodexClientRequest> & {
  "workspace/executeCommand": {
    params: ApprovalCommand | SpeckitAnswerCommand;
    result: { decision: ReviewDecision } | SpeckitAnswerResult;
  };
};

export type Method = keyof Requests;
export type Params<M extends Method> = Requests[M]["params"];
export type Result<M extends Method> = Requests[M]["result"];

/** The requests whose params name a conversation. */
export type ConversationMethod = { [M in Method]: Params<M> extends { conversationId: string } ? M : never }[Method];

/** The server, as the bridge sends to it (the language client, or a test's JSON-RPC connection). */
export interface Server {
  request<M extends Method>(method: M, params: Params<M>): Promise<Result<M>>;
}

/** The server's notifications the extension listens to, with their params. */
export type Notifications = Pick<CodexMethods, "codex/event" | "codex/mcpServerStatus">;
