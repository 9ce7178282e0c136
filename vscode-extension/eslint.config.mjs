// ESLint for the extension: typescript-eslint's recommended and type-checked rules, and the
// layering of src/ (the webview and shared code never import the host's; shared code runs in
// both, so it imports neither `vscode` nor Node). Formatting is Prettier's (.prettierrc.json).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

const restricted = (paths, patterns) => ({ "no-restricted-imports": ["error", { paths, patterns }] });
const vscode = { name: "vscode", message: "only src/host/ runs in the extension host" };

export default defineConfig(
  { ignores: ["dist/", "dist-test/", "src/shared/generated.ts"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test() returns a promise the runner itself awaits
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "describe", "it"] }] },
      ],
    },
  },
  {
    files: ["*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: "readonly" } },
  },
  {
    files: ["src/webview/**"],
    rules: restricted([vscode], [{ group: ["../host/*", "node:*"], message: "the webview runs in a browser" }]),
  },
  {
    files: ["src/shared/**"],
    rules: restricted(
      [vscode],
      [{ group: ["../host/*", "../webview/*", "node:*"], message: "shared code runs in the host and the webview" }],
    ),
  },
  {
    files: ["src/host/**"],
    rules: restricted([], [{ group: ["../webview/*"], message: "the host talks to the webview by messages only" }]),
  },
);
