// The chat panel: a webview view with a strict CSP, and the editor side of the bridge (the Host):
// diffs (host/diffs.ts), editor context, images, pickers and notifications.
import * as vscode from "vscode";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ChatBridge, type EditorAction, type Host } from "./bridge";
import type { FromWebview, ToWebview } from "../shared/messages";
import type { Server } from "./requests";
import { DiffEditor } from "./diffs";
import { workspaceTarget } from "./workspacePath";
import { PANEL_BODY } from "../shared/panelHtml";
import type { ConversationSummary, Event, ReviewTarget } from "../shared/generated";
import { pickReviewTarget } from "./reviewPicker";
import type { ChatState, FileChange } from "../shared/state";

export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable, Host {
  static readonly id = "codexLsp.chat";
  readonly bridge: ChatBridge;
  private view: vscode.WebviewView | undefined;
  private readonly changes = new vscode.EventEmitter<ChatState>();
  readonly onDidChange = this.changes.event;
  private readonly diffs = new DiffEditor();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly storageUri: vscode.Uri,
    server: Server,
  ) {
    this.bridge = new ChatBridge(server, this);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(this.extensionUri, "dist"),
        vscode.Uri.joinPath(this.extensionUri, "media"),
        this.imagesDir(),
        ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri),
      ],
    };
    view.webview.html = this.html(view.webview);
    view.webview.onDidReceiveMessage((message: FromWebview) => void this.bridge.handle(message));
  }

  /** A codex/event arrived: update the panel, and surface approvals when it is hidden. */
  receive(event: Event): void {
    this.bridge.receive(event);
    const msg = event.msg;
    if ((msg.type === "execApprovalRequest" || msg.type === "applyPatchApprovalRequest") && !this.view?.visible) {
      void this.notifyApproval(event);
    }
  }

  // -- Host
  post(message: ToWebview): void {
    void this.view?.webview.postMessage(message);
  }

  changed(state: ChatState): void {
    this.changes.fire(state);
  }

  warn(text: string): void {
    void vscode.window.showWarningMessage(`codex-lsp: ${text}`);
  }

  async confirm(text: string, action: string): Promise<boolean> {
    return (await vscode.window.showWarningMessage(`codex-lsp: ${text}`, { modal: true }, action)) === action;
  }

  info(text: string): void {
    void vscode.window.showInformationMessage(`codex-lsp: ${text}`);
  }

  exists(path: string): boolean {
    const folder = vscode.workspace.workspaceFolders?.[0];
    return !!folder && existsSync(join(folder.uri.fsPath, path));
  }

  context(name: string): Promise<{ text: string } | { missing: string }> {
    return Promise.resolve(this.editorContext(name));
  }

  private editorContext(name: string): { text: string } | { missing: string } {
    const editor = vscode.window.activeTextEditor;
    if (name === "problems") {
      const lines = vscode.languages
        .getDiagnostics()
        .flatMap(([uri, diagnostics]) =>
          diagnostics
            .filter((d) => d.severity <= vscode.DiagnosticSeverity.Warning)
            .map(
              (d) =>
                `${vscode.workspace.asRelativePath(uri)}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.severity === vscode.DiagnosticSeverity.Error ? "error" : "warning"}: ${d.message}`,
            ),
        );
      return lines.length
        ? { text: lines.join("\n") }
        : { missing: "@problems: VS Code reports no errors or warnings" };
    }
    if (!editor) return { missing: `@${name}: no editor is active` };
    const path = vscode.workspace.asRelativePath(editor.document.uri);
    if (name === "selection") {
      if (editor.selection.isEmpty) return { missing: "@selection: nothing is selected" };
      const start = editor.selection.start.line + 1;
      return {
        text: `${path}:${start}-${editor.selection.end.line + 1}\n${editor.document.getText(editor.selection)}`,
      };
    }
    return { text: `${path}\n${editor.document.getText()}` };
  }

  showDiff(path: string, change: FileChange, applied: boolean, rejectedHunks?: number[]): Promise<void> {
    return this.diffs.show(path, change, applied, rejectedHunks);
  }

  async saveImage(dataUrl: string): Promise<{ path: string; uri: string }> {
    const match = /^data:image\/(png|jpeg|gif|webp);base64,(.+)$/s.exec(dataUrl);
    if (!match) throw new Error("only PNG, JPEG, GIF and WebP images can be attached");
    const data = Buffer.from(match[2], "base64");
    const name = `${createHash("sha256").update(data).digest("hex").slice(0, 16)}.${match[1] === "jpeg" ? "jpg" : match[1]}`;
    await mkdir(this.imagesDir().fsPath, { recursive: true });
    const path = join(this.imagesDir().fsPath, name);
    await writeFile(path, data);
    return this.image(path);
  }

  async pickImages(): Promise<{ path: string; uri: string }[]> {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: true,
      filters: { Images: ["png", "jpg", "jpeg", "gif", "webp"] },
    });
    return (picked ?? []).map((uri) => this.image(uri.fsPath));
  }

  pickReviewTarget(): Promise<ReviewTarget | undefined> {
    return pickReviewTarget(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  }

  async pickStored(
    rows: ConversationSummary[],
  ): Promise<{ row: ConversationSummary; action: "resume" | "rename" | "archive" } | undefined> {
    const here = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const picked = await vscode.window.showQuickPick(
      rows.map((row) => ({
        label: row.title || "(untitled)",
        description: `${new Date(row.updatedAt * 1000).toLocaleString()} · ${row.turnCount} turns${row.running ? " · running" : ""}`,
        detail: `${row.cwd === here ? "$(folder-active) this workspace" : "$(folder)"} ${row.cwd}${row.preview ? ` — ${row.preview}` : ""}`,
        row,
      })),
      {
        title: "codex-lsp: History",
        placeHolder: "Search the stored conversations by title, date or workspace",
        matchOnDescription: true,
        matchOnDetail: true,
      },
    );
    if (!picked) return undefined;
    const action = await vscode.window.showQuickPick(["Resume", "Rename…", "Archive"], { placeHolder: picked.label });
    if (!action) return undefined;
    return { row: picked.row, action: action === "Resume" ? "resume" : action === "Archive" ? "archive" : "rename" };
  }

  async editor(action: EditorAction): Promise<void> {
    switch (action.type) {
      case "copyCode":
        await vscode.env.clipboard.writeText(action.code);
        return void vscode.window.setStatusBarMessage("codex-lsp: code copied", 2000);
      case "insertCode": {
        const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
        if (!editor) return this.warn("open an editor to insert the code into");
        await editor.edit((edit) => editor.selections.forEach((s) => edit.replace(s, action.code)));
        return;
      }
      case "applyCode":
        return this.applyCode(action.path, action.code);
      case "openWalkthrough":
        await vscode.commands.executeCommand(
          "workbench.action.openWalkthrough",
          "codex-lsp.codex-lsp#codexLsp.gettingStarted",
          false,
        );
    }
  }

  /** A code block the answer labelled with a file path becomes that file's text in the editor
   * (unsaved, so it can be reviewed and undone). Only paths inside the workspace are accepted:
   * the path comes from the model. */
  private async applyCode(path: string, code: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return this.warn("open a folder to apply code to its files");
    const checked = workspaceTarget(folder.uri.fsPath, path);
    if ("refused" in checked) return this.warn(`${checked.refused}; the code was not applied`);
    const target = checked.path;
    const uri = vscode.Uri.file(target);
    const edit = new vscode.WorkspaceEdit();
    if (existsSync(target)) {
      const document = await vscode.workspace.openTextDocument(uri);
      edit.replace(uri, new vscode.Range(0, 0, document.lineCount, 0), code);
    } else {
      edit.createFile(uri, { ignoreIfExists: true });
      edit.insert(uri, new vscode.Position(0, 0), code);
    }
    if (!(await vscode.workspace.applyEdit(edit))) return this.warn(`${path} could not be changed`);
    await vscode.window.showTextDocument(uri, { preview: false });
  }

  /** Reveal the panel and put the cursor in its composer. */
  async focusComposer(): Promise<void> {
    await vscode.commands.executeCommand("codexLsp.chat.focus");
    this.post({ type: "focusComposer" });
  }

  askTitle(current: string): Promise<string | undefined> {
    return Promise.resolve(vscode.window.showInputBox({ value: current, prompt: "New title" }));
  }

  // -- the panel
  private imagesDir(): vscode.Uri {
    return vscode.Uri.joinPath(this.storageUri, "images");
  }

  private image(path: string): { path: string; uri: string } {
    const uri = this.view?.webview.asWebviewUri(vscode.Uri.file(path)).toString() ?? "";
    return { path, uri };
  }

  private async notifyApproval(event: Event): Promise<void> {
    const msg = event.msg;
    if (msg.type !== "execApprovalRequest" && msg.type !== "applyPatchApprovalRequest") return;
    const what =
      msg.type === "execApprovalRequest"
        ? `run \`${msg.command.join(" ")}\``
        : `change ${Object.keys(msg.changes).join(", ")}`;
    const choice = await vscode.window.showWarningMessage(`codex-lsp wants to ${what}`, "Approve", "Deny", "Open Chat");
    if (choice === "Open Chat") await vscode.commands.executeCommand("codexLsp.chat.focus");
    else if (choice)
      await this.bridge.handle({
        type: "approve",
        conversationId: event.conversationId,
        callId: msg.callId,
        decision: choice === "Approve" ? "approved" : "denied",
      });
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString("base64");
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "webview.js"));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", "chat.css"));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `script-src 'nonce-${nonce}'`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>codex-lsp chat</title>
<link rel="stylesheet" href="${style.toString()}">
</head>
<body>
${PANEL_BODY}
<script nonce="${nonce}" src="${script.toString()}"></script>
</body></html>`;
  }

  dispose(): void {
    this.changes.dispose();
    this.diffs.dispose();
  }
}
