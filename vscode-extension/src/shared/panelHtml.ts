// The chat panel's skeleton: the webview view's <body> (chatView.ts wraps it with the CSP, the
// style sheet and the script) and the benchmark's page (bench/webview_render.py). The webview's
// script (webview/main.ts) fills it.
export const PANEL_BODY = `<nav id="tabs" aria-label="Conversations"></nav>
<main id="transcript" aria-label="Conversation"></main>
<section id="approvals" aria-label="Approval requests"></section>
<section id="terminals" aria-label="Running terminals"></section>
<footer>
<div id="meter"></div>
<div id="pickers" role="group" aria-label="Settings for the next turns"></div>
<div id="suggestions" role="listbox" aria-label="Completions"></div>
<div id="attachments" role="group" aria-label="Attachments"></div>
<textarea id="composer" aria-label="Message codex-lsp" aria-describedby="composer-help" placeholder="Ask codex-lsp… (@ files and context, / commands)"></textarea>
<div id="composer-help" class="sr-only">Enter sends, Shift+Enter adds a line, Up in an empty composer edits your last message, Escape interrupts the agent.</div>
<div class="actions"><button id="send">Send</button><button id="interrupt" class="secondary" title="Stop the running turn (Escape)">Interrupt</button><button id="attach" class="secondary" title="Attach images">Attach image…</button></div>
</footer>
<div id="announcer" class="sr-only" role="status" aria-live="polite"></div>
<div id="alerter" class="sr-only" role="alert" aria-live="assertive"></div>`;
