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
end, { nargs = "*", desc = "codex-lsp: open the chat, and send a prompt if given" })
vim.api.nvim_create_user_command("CodexInterrupt", function()
  codex().interrupt()
end, { desc = "codex-lsp: stop the running turn" })
vim.api.nvim_create_user_command("CodexConversations", function()
  codex().conversations()
end, { desc = "codex-lsp: pick a stored conversation to resume" })
vim.api.nvim_create_user_command("CodexUndo", function()
  codex().op("codex/undoTurn")
end, { desc = "codex-lsp: restore the files the last turn changed" })
vim.api.nvim_create_user_command("CodexCompact", function()
  codex().op("codex/compact")
end, { desc = "codex-lsp: summarise the conversation to free context" })
vim.api.nvim_create_user_command("CodexSpec", function(opts)
  codex().spec(opts.args)
end, {
  nargs = "+",
  complete = function(lead, line)
    return codex().complete_spec(lead, line)
  end,
  desc = "codex-lsp: a spec-kit command (:CodexSpec auto SPEC-KIT-071)",
})
