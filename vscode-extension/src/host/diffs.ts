// Patches in VS Code's diff editor: the proposed or applied side of a file change, served as
// read-only `codex-lsp-diff:` documents.
import * as vscode from "vscode";
import { existsSync } from "node:fs";
import type { FileChange } from "../shared/state";
import { applyDiff, keepHunks } from "../shared/unifiedDiff";

/** Serves the texts shown on one side of a diff (`codex-lsp-diff:` URIs). */
class DiffTexts implements vscode.TextDocumentContentProvider {
  static readonly scheme = "codex-lsp-diff";
  private readonly texts = new Map<string, string>();
  private next = 0;

  /** A read-only document holding `text`, named after `path`. */
  uri(path: string, text: string, label: string): vscode.Uri {
    const key = `${this.next++}`;
    this.texts.set(key, text);
    return vscode.Uri.from({ scheme: DiffTexts.scheme, path: `/${path}`, query: key, fragment: label });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.query) ?? "";
  }
}

export class DiffEditor implements vscode.Disposable {
  private readonly texts = new DiffTexts();
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(DiffTexts.scheme, this.texts);

  /** Show a file's change: a pending one without `rejectedHunks`, an applied one against the file. */
  async show(path: string, change: FileChange, applied: boolean, rejectedHunks: number[] = []): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error("open a folder to see diffs");
    const file = vscode.Uri.joinPath(folder.uri, path);
    const current = existsSync(file.fsPath) ? (await vscode.workspace.openTextDocument(file)).getText() : "";
    let before: string;
    let after: string;
    if (change.type === "add") [before, after] = ["", change.content];
    else if (change.type === "delete") [before, after] = [change.content, ""];
    else if (applied) [before, after] = [applyDiff(current, change.unifiedDiff, true), current];
    else [before, after] = [current, applyDiff(current, keepHunks(change.unifiedDiff, rejectedHunks))];
    const left = this.texts.uri(path, before, "before");
    const right = applied && change.type === "update" ? file : this.texts.uri(path, after, "proposed");
    const title = `${path} (${applied ? "applied by codex-lsp" : "proposed by codex-lsp"})`;
    await vscode.commands.executeCommand("vscode.diff", left, right, title, { preview: true });
  }

  dispose(): void {
    this.registration.dispose();
  }
}
