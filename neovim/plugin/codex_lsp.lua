-- codex-lsp: user commands (the plugin itself loads on first use).
if vim.g.loaded_codex_lsp then
  return
end
vim.g.loaded_codex_lsp = true

local function codex()
  return require("codex_lsp")
end

vim.api.nvim_create_user_command("Codex", function(opts)
  codex().prompt(opts.args)
end, {
  nargs = "*",
  complete = function(arglead)
    return codex().complete(arglead)
  end,
  desc = "codex-lsp: open the chat, and send a prompt if given ($ completes skills)",
})
vim.api.nvim_create_user_command("CodexInterrupt", function()
  codex().interrupt()
end, { desc = "codex-lsp: stop the running turn" })
vim.api.nvim_create_user_command("CodexConversations", function()
  codex().conversations()
end, { desc = "codex-lsp: pick a stored conversation to resume" })
vim.api.nvim_create_user_command("CodexUndo", function()
  codex().undo()
end, { desc = "codex-lsp: restore the files the last turn changed" })
vim.api.nvim_create_user_command("CodexCompact", function()
  codex().op("codex/compact")
end, { desc = "codex-lsp: summarise the conversation to free context" })
vim.api.nvim_create_user_command("CodexTerminals", function()
  codex().terminals()
end, { desc = "codex-lsp: list the running terminals; show one's output or stop it" })
vim.api.nvim_create_user_command("CodexMode", function(opts)
  codex().mode(opts.args)
end, {
  nargs = "?",
  complete = function()
    return codex().MODES
  end,
  desc = "codex-lsp: switch the approval mode (read-only, auto, full-access) for the next turn",
})
vim.api.nvim_create_user_command("CodexModel", function()
  codex().model()
end, { desc = "codex-lsp: pick the model and reasoning effort (the provider's list) for the next turn" })
vim.api.nvim_create_user_command("CodexSpec", function(opts)
  codex().spec(opts.args)
end, {
  nargs = "+",
  complete = function(lead, line)
    return codex().complete_spec(lead, line)
  end,
  desc = "codex-lsp: a spec-kit command (:CodexSpec auto SPEC-KIT-071)",
})
