// Unified diffs as the server sends them (difflib, three lines of context): split into hunks for
// per-hunk review, and applied to a text to show a patch in VS Code's diff editor.

export interface Hunk {
  /** The `@@ -a,b +c,d @@` line. */
  header: string;
  /** The hunk's lines, each starting with " ", "-" or "+". */
  lines: string[];
  /** First line of the hunk in the old text (0-based). */
  oldStart: number;
}

const HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** The hunks of a unified diff, in order (hunk i is what `rejectedHunks` index i names). */
export function splitHunks(diff: string): Hunk[] {
  const hunks: Hunk[] = [];
  for (const line of diff.split("\n")) {
    const header = HEADER.exec(line);
    if (header) {
      const start = Number(header[1]);
      const length = header[2] === undefined ? 1 : Number(header[2]);
      hunks.push({ header: line, lines: [], oldStart: length === 0 ? start : start - 1 });
    } else if (hunks.length && /^[ +-]/.test(line)) {
      hunks[hunks.length - 1].lines.push(line);
    }
  }
  return hunks;
}

/** `text` with the diff's hunks applied (or, with `reverse`, taken back: the text before the
 * diff from the text after it). Hunks are placed by their line numbers; an error says which
 * hunk no longer matches. */
export function applyDiff(text: string, diff: string, reverse = false): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let position = 0;
  for (const [index, hunk] of splitHunks(diff).entries()) {
    const from = reverse ? "+" : "-";
    const to = reverse ? "-" : "+";
    const start = reverse ? newStart(hunk) : hunk.oldStart;
    const expected = hunk.lines.filter((l) => !l.startsWith(to)).map((l) => l.slice(1));
    const actual = lines.slice(start, start + expected.length);
    if (start < position || expected.some((l, i) => l !== actual[i])) {
      throw new Error(`hunk ${index + 1} (${hunk.header}) does not match the file any more`);
    }
    out.push(...lines.slice(position, start));
    out.push(...hunk.lines.filter((l) => !l.startsWith(from)).map((l) => l.slice(1)));
    position = start + expected.length;
  }
  out.push(...lines.slice(position));
  return out.join("\n");
}

function newStart(hunk: Hunk): number {
  const header = HEADER.exec(hunk.header);
  const start = Number(header?.[3] ?? 1);
  const length = header?.[4] === undefined ? 1 : Number(header[4]);
  return length === 0 ? start : start - 1;
}

/** The diff without the hunks at `rejected` (what applying only the accepted hunks gives). */
export function keepHunks(diff: string, rejected: number[]): string {
  return splitHunks(diff)
    .filter((_, i) => !rejected.includes(i))
    .map((h) => [h.header, ...h.lines].join("\n") + "\n")
    .join("");
}
