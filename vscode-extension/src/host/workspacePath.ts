// Where an answer's "Apply" may write: a code block names its file, and that name comes from the
// model, so it is accepted only inside the workspace folder (after following symlinks of the
// part that exists), never in .git, and never absolute or climbing out with "..". No `vscode`
// import: the unit tests attack it directly.
import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";

/** The absolute path `path` names inside `root`, or why it may not be written. */
export function workspaceTarget(root: string, path: string): { path: string } | { refused: string } {
  if (!path.trim() || isAbsolute(path) || path.includes("\0")) return { refused: `${path} is not a relative path` };
  const realRoot = realpathSync(root);
  const target = resolve(realRoot, path);
  let existing = target;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const real = resolve(realpathSync(existing), relative(existing, target));
  const inside = relative(realRoot, real);
  if (!inside || inside.startsWith(`..${sep}`) || inside === ".." || isAbsolute(inside)) {
    return { refused: `${path} is outside the workspace` };
  }
  if (inside.split(sep).includes(".git")) return { refused: `${path} is inside .git` };
  return { path: real };
}
