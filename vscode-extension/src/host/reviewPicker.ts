// The /review picker: what to review (the uncommitted changes, the changes against a base branch,
// a commit, or custom instructions), with the branches and recent commits read from git.
import { execFile } from "node:child_process";
import * as vscode from "vscode";
import type { ReviewTarget } from "../shared/generated";
import { branchChoices, commitChoices, type TargetChoice } from "../shared/reviewTargets";

const GIT_TIMEOUT_MS = 5000;
const COMMITS = 50;

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile("git", args, { cwd, timeout: GIT_TIMEOUT_MS, maxBuffer: 1 << 20 }, (error, stdout) =>
      resolve(error ? "" : stdout),
    );
  });
}

async function pick(choices: TargetChoice[], title: string, empty: string): Promise<ReviewTarget | undefined> {
  if (!choices.length) {
    void vscode.window.showWarningMessage(`codex-lsp: ${empty}`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(choices, { title, matchOnDescription: true });
  return picked?.target;
}

/** Ask what to review; undefined when the user cancels. */
export async function pickReviewTarget(cwd: string | undefined): Promise<ReviewTarget | undefined> {
  const kinds = [
    { label: "$(git-commit) Uncommitted changes", choice: "uncommitted" },
    { label: "$(git-branch) Against a base branch…", choice: "base" },
    { label: "$(history) A commit…", choice: "commit" },
    { label: "$(edit) Custom instructions…", choice: "custom" },
  ] as const;
  const kind = await vscode.window.showQuickPick(kinds, { title: "codex-lsp: Review" });
  if (!kind) return undefined;
  if (kind.choice === "uncommitted") return { type: "uncommittedChanges" };
  if (kind.choice === "custom") {
    const instructions = await vscode.window.showInputBox({ prompt: "What should the reviewer look at?" });
    return instructions ? { type: "custom", instructions } : undefined;
  }
  if (!cwd) {
    void vscode.window.showWarningMessage("codex-lsp: open a folder to review its branches or commits");
    return undefined;
  }
  if (kind.choice === "base") {
    const refs = await git(cwd, ["for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes"]);
    return pick(
      branchChoices(refs),
      "codex-lsp: Review the changes against…",
      "no branches found (is this a Git repository?)",
    );
  }
  const log = await git(cwd, ["log", `-n${COMMITS}`, "--format=%H%x09%s"]);
  return pick(commitChoices(log), "codex-lsp: Review the commit…", "no commits found (is this a Git repository?)");
}
