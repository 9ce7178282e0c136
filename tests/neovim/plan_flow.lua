-- Real Neovim, with the plugin: a conversation an older codex-lsp stored (its plan step spelt
-- in_progress) is resumed with :CodexConversations and redrawn, then a turn in which the model
-- calls update_plan. Writes a JSON report (the chat buffer's text) to $RESULT.
local ws, report = os.getenv("WORKSPACE"), {}
vim.opt.runtimepath:prepend(os.getenv("PLUGIN_DIR"))
vim.cmd("runtime plugin/codex_lsp.lua")
local codex = require("codex_lsp")
codex.setup({ cmd = vim.json.decode(os.getenv("CODEX_CMD")) })
vim.ui.select = function(items, _, on_choice)
  on_choice(items[1])
end
vim.cmd("edit " .. ws .. "/notes.txt")
vim.cmd("CodexConversations")
report.resumed = vim.wait(20000, function()
  return codex.chat.text():find("Stored step", 1, true) ~= nil
end, 50)
report.replayed = codex.chat.text()
vim.cmd("Codex make a plan")
report.finished = vim.wait(40000, function()
  return codex.state.turns >= 1
end, 50)
report.chat = codex.chat.text()
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
