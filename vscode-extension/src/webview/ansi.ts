// Command output with its ANSI colours: SGR sequences (colours, bold, italic, underline) become
// spans whose classes map to the theme's terminal colours (--vscode-terminal-ansi*); every other
// escape sequence is dropped. Pure string code: no DOM, so the unit tests run it in node.

/** `text` with &, <, >, " escaped for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"));
}

interface Style {
  fg?: number;
  bg?: number;
  bold?: boolean;
  italic?: boolean;
  underline?: boolean;
}

// CSI ... final byte, OSC ... BEL/ST, and lone two-byte escapes.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[([0-9;?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

function apply(style: Style, params: string): Style {
  const codes = params === "" ? [0] : params.split(";").map((p) => Number(p) || 0);
  let next: Style = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code === 0) next = {};
    else if (code === 1) next.bold = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 22) next.bold = false;
    else if (code === 23) next.italic = false;
    else if (code === 24) next.underline = false;
    else if (code >= 30 && code <= 37) next.fg = code - 30;
    else if (code >= 90 && code <= 97) next.fg = code - 90 + 8;
    else if (code === 39) next.fg = undefined;
    else if (code >= 40 && code <= 47) next.bg = code - 40;
    else if (code >= 100 && code <= 107) next.bg = code - 100 + 8;
    else if (code === 49) next.bg = undefined;
    else if ((code === 38 || code === 48) && codes[i + 1] === 5) {
      // 256 colours: the 16 base ones map to the theme; the rest are left uncoloured.
      const n = codes[i + 2];
      if (n < 16) next[code === 38 ? "fg" : "bg"] = n;
      i += 2;
    } else if ((code === 38 || code === 48) && codes[i + 1] === 2) i += 4; // true colour: ignored
  }
  return next;
}

function classes(style: Style): string {
  const out: string[] = [];
  if (style.fg !== undefined) out.push(`ansi-fg-${style.fg}`);
  if (style.bg !== undefined) out.push(`ansi-bg-${style.bg}`);
  if (style.bold) out.push("ansi-bold");
  if (style.italic) out.push("ansi-italic");
  if (style.underline) out.push("ansi-underline");
  return out.join(" ");
}

/** One line (or any text) of terminal output as HTML, starting in `style`; returns the HTML and
 * the style in force at its end (colours carry over to the next line). */
export function ansiToHtml(text: string, style: Style = {}): { html: string; style: Style } {
  let html = "";
  let last = 0;
  let current = style;
  const emit = (chunk: string) => {
    if (!chunk) return;
    const cls = classes(current);
    html += cls ? `<span class="${cls}">${escapeHtml(chunk)}</span>` : escapeHtml(chunk);
  };
  ESCAPE.lastIndex = 0;
  for (let m = ESCAPE.exec(text); m; m = ESCAPE.exec(text)) {
    emit(text.slice(last, m.index));
    if (m[2] === "m") current = apply(current, m[1]);
    last = m.index + m[0].length;
  }
  emit(text.slice(last));
  return { html, style: current };
}

/** Terminal output as HTML lines (colours carried across lines; carriage-return progress bars
 * keep their last state). */
export function ansiLines(text: string): string[] {
  let style: Style = {};
  return text.split("\n").map((raw) => {
    const line = raw.includes("\r") ? raw.slice(raw.lastIndexOf("\r", raw.length - 2) + 1).replace(/\r$/, "") : raw;
    const out = ansiToHtml(line, style);
    style = out.style;
    return out.html;
  });
}

/** `text` without its escape sequences (for a one-line summary, or copying). */
export function stripAnsi(text: string): string {
  return text.replace(ESCAPE, "");
}
