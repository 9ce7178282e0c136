// Bundles the extension (Node, CommonJS, `vscode` external), the chat webview (browser IIFE)
// and, with --tests, the unit tests (run by `node --test dist-test/`).
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";

const common = { bundle: true, sourcemap: true, logLevel: "warning", target: "es2022" };

if (process.argv.includes("--tests")) {
  const tests = readdirSync("test").filter((f) => f.endsWith(".test.ts"));
  rmSync("dist-test", { recursive: true, force: true }); // a renamed test must not run from an old bundle
  await build({
    ...common,
    entryPoints: tests.map((f) => `test/${f}`),
    outdir: "dist-test",
    platform: "node",
    format: "cjs",
  });
} else {
  await build({
    ...common,
    entryPoints: ["src/extension.ts"],
    outfile: "dist/extension.js",
    platform: "node",
    format: "cjs",
    external: ["vscode"],
  });
  await build({
    ...common,
    entryPoints: ["src/webview/main.ts"],
    outfile: "dist/webview.js",
    platform: "browser",
    format: "iife",
  });
}
