// The extension's settings as codex-lsp config keys (sent as initializationOptions and with
// workspace/didChangeConfiguration); empty settings are left to config.toml.
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

/** Config keys for the settings that are set. */
export function toServerConfig(settings: Partial<ExtensionSettings>): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const [name, key] of Object.entries(KEYS) as [keyof ExtensionSettings, string][]) {
    const value = settings[name];
    if (value !== undefined && value !== "") out[key] = value;
  }
  return out;
}
