// The extension's settings as codex-lsp config keys (sent as initializationOptions and with
// workspace/didChangeConfiguration); empty settings are left to config.toml. No `vscode` import:
// the unit tests use it.
export interface ExtensionSettings {
  model: string;
  modelProvider: string;
  approvalPolicy: string;
  sandbox: string;
  reasoningEffort: string;
  reviewPatches: boolean;
}

const KEYS: Record<keyof ExtensionSettings, string> = {
  model: "model",
  modelProvider: "model_provider",
  approvalPolicy: "approval_policy",
  sandbox: "sandbox_mode",
  reasoningEffort: "model_reasoning_effort",
  reviewPatches: "review_patches",
};

/** The codexLsp.* settings (`config` is the `codexLsp` section of the workspace configuration). */
export function readSettings(config: { get<T>(key: string): T | undefined }): Partial<ExtensionSettings> {
  return {
    model: config.get("model"),
    modelProvider: config.get("modelProvider"),
    approvalPolicy: config.get("approvalPolicy"),
    sandbox: config.get("sandbox"),
    reasoningEffort: config.get("reasoningEffort"),
    reviewPatches: config.get("reviewPatches"),
  };
}

/** Config keys for the settings that are set. */
export function toServerConfig(settings: Partial<ExtensionSettings>): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const [name, key] of Object.entries(KEYS) as [keyof ExtensionSettings, string][]) {
    const value = settings[name];
    if (value !== undefined && value !== "") out[key] = value;
  }
  return out;
}
