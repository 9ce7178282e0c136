// The choices of the VS Code review picker, from git's output: the branches to review the
// changes against and the recent commits. Pure, so the unit tests run it.
import type { ReviewTarget } from "./generated";

export interface TargetChoice {
  label: string;
  description?: string;
  target: ReviewTarget;
}

/** `git for-each-ref --format=%(refname:short)` as base-branch choices (the current one last is
 * not special: the server diffs from the merge base). A name git would read as an option is
 * dropped (the server refuses it too). */
export function branchChoices(output: string): TargetChoice[] {
  return output
    .split("\n")
    .map((line) => line.trim())
    .filter((name) => name && !name.startsWith("-") && !/\s/.test(name) && !name.endsWith("/HEAD"))
    .map((branch) => ({ label: branch, target: { type: "baseBranch", branch } }));
}

/** `git log --format=%H%x09%s` as commit choices: the short hash, the subject as its title. */
export function commitChoices(output: string): TargetChoice[] {
  return output
    .split("\n")
    .map((line) => line.split("\t"))
    .filter(([sha]) => /^[0-9a-f]{7,64}$/.test(sha ?? ""))
    .map(([sha, ...subject]) => {
      const title = subject.join("\t").trim();
      return { label: sha.slice(0, 10), description: title, target: { type: "commit", sha, title: title || null } };
    });
}
