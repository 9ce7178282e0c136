// The agent's Markdown: markdown-it, sanitised by DOMPurify, with code blocks highlighted by
// highlight.js and given Copy, Insert at cursor and, for a block labelled with a file path
// (```python src/app.py, ```python:src/app.py, ```src/app.py or path=…), Apply.
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/common";
import MarkdownIt from "markdown-it";
import { escapeHtml as esc } from "./ansi";

/** The language and the file path a fence's info string names. */
export function fenceInfo(info: string): { lang: string; path?: string } {
  const words = info.trim().split(/\s+/).filter(Boolean);
  let lang = "";
  let path: string | undefined;
  for (const [n, word] of words.entries()) {
    const named = /^(?:path|file|title)=["']?([^"']+)["']?$/.exec(word);
    if (named) path = named[1];
    else if (n === 0 && word.includes(":") && !word.includes("="))
      [lang, path] = [word.split(":")[0], word.slice(word.indexOf(":") + 1)];
    else if (n === 0 && !looksLikePath(word)) lang = word;
    else if (!path && looksLikePath(word)) path = word;
  }
  if (!lang && path) lang = path.split(".").pop() ?? "";
  return { lang, path: path || undefined };
}

function looksLikePath(word: string): boolean {
  return /^[\w.@+-]+(?:\/[\w.@+-]+)*\.[A-Za-z0-9]+$/.test(word) || (word.includes("/") && !word.includes("://"));
}

function codeBlock(code: string, info: string): string {
  const { lang, path } = fenceInfo(info);
  const known = lang && hljs.getLanguage(lang);
  const body = known ? hljs.highlight(code, { language: lang, ignoreIllegals: true }).value : esc(code);
  const label = [known ? lang : lang && esc(lang), path && `<code>${esc(path)}</code>`].filter(Boolean).join(" · ");
  const apply = path
    ? `<button class="link" data-action="applyCode" data-path="${esc(path)}" title="Make ${esc(path)} this code (unsaved, so it can be reviewed)">Apply</button>`
    : "";
  return `<div class="code-block"><div class="code-toolbar"><span class="code-lang">${label}</span><span class="code-actions"><button class="link" data-action="copyCode">Copy</button><button class="link" data-action="insertCode" title="Insert at the cursor of the active editor">Insert at cursor</button>${apply}</span></div><pre class="hljs" tabindex="0" role="region" aria-label="${path ? `Code for ${esc(path)}` : "Code"}"><code>${body}</code></pre></div>`;
}

const markdown = new MarkdownIt({ linkify: true });
markdown.renderer.rules.fence = (tokens, idx) => codeBlock(tokens[idx].content, tokens[idx].info);
markdown.renderer.rules.code_block = (tokens, idx) => codeBlock(tokens[idx].content, "");

/** `text` as sanitised HTML. */
export function renderMarkdown(text: string): string {
  return DOMPurify.sanitize(markdown.render(text));
}
