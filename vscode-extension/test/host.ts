// The editor side of the bridge (Host) for tests: it records what it was asked to post, warn
// and show, and waits for the bridge's state.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { EditorAction, Host } from "../src/host/bridge";
import type { ReviewTarget } from "../src/shared/generated";
import type { ToWebview } from "../src/shared/messages";
import type { ChatState } from "../src/shared/state";

export class RecordingHost implements Host {
  posted: ToWebview[] = [];
  warnings: string[] = [];
  diffs: { path: string; applied: boolean }[] = [];
  edits: EditorAction[] = [];
  private waiters: (() => void)[] = [];

  constructor(private readonly workspace: string) {}

  post(message: ToWebview): void {
    this.posted.push(message);
    this.waiters.splice(0).forEach((w) => w());
  }
  changed(): void {}
  warn(text: string): void {
    this.warnings.push(text);
  }
  info(): void {}
  /** The answer to the next confirmation; what was asked is recorded. */
  confirmAnswer = false;
  confirmed: string[] = [];
  confirm(text: string): Promise<boolean> {
    this.confirmed.push(text);
    return Promise.resolve(this.confirmAnswer);
  }
  exists(path: string): boolean {
    return existsSync(join(this.workspace, path));
  }
  context(name: string): Promise<{ text: string } | { missing: string }> {
    return Promise.resolve(
      name === "problems"
        ? { text: "long.py:2:1 error: v2 is too small" }
        : { missing: `@${name}: no editor is active` },
    );
  }
  showDiff(path: string, _change: unknown, applied: boolean): Promise<void> {
    this.diffs.push({ path, applied });
    return Promise.resolve();
  }
  saveImage(): Promise<{ path: string; uri: string }> {
    return Promise.reject(new Error("not used"));
  }
  pickImages(): Promise<{ path: string; uri: string }[]> {
    return Promise.resolve([]);
  }
  /** What the review picker answers (undefined: the user cancelled). */
  reviewTarget: ReviewTarget | undefined = { type: "uncommittedChanges" };
  pickReviewTarget(): Promise<ReviewTarget | undefined> {
    return Promise.resolve(this.reviewTarget);
  }
  pickStored(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  askTitle(): Promise<string> {
    return Promise.resolve("Renamed");
  }
  editor(action: EditorAction): Promise<void> {
    this.edits.push(action);
    return Promise.resolve();
  }

  state: () => ChatState = () => {
    throw new Error("no bridge");
  };

  /** The bridge's state once it satisfies `ok`, checked as the panel is posted (waits up to 20 s). */
  async until(ok: (state: ChatState) => boolean, what: string): Promise<ChatState> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const state = this.state();
      if (ok(state)) return state;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
}
