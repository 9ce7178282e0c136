-- Real Neovim, with the plugin: :Codex runs a turn, a command is approved through vim.ui.select,
-- a patch lands in an open, modified buffer, and `u` undoes it. Writes a JSON report to $RESULT.
local ws, report = os.getenv("WORKSPACE"), {}
vim.opt.runtimepath:prepend(os.getenv("PLUGIN_DIR"))
vim.cmd("runtime plugin/codex_lsp.lua")
local codex = require("codex_lsp")
codex.setup({ cmd = vim.json.decode(os.getenv("CODEX_CMD")), settings = { approval_policy = "untrusted" } })
report.asked = {}
vim.ui.select = function(items, opts, on_choice)
  table.insert(report.asked, opts.prompt)
  on_choice(items[1])
end
vim.cmd("edit " .. ws .. "/app.py")
local buf = vim.api.nvim_get_current_buf()
vim.api.nvim_buf_set_lines(buf, 0, 0, false, { "# unsaved note" })
vim.cmd("Codex check and fix app.py")
report.finished = vim.wait(40000, function()
  return codex.state.turns >= 1
end, 50)
report.after = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
report.statusline = codex.statusline()
vim.api.nvim_buf_call(buf, function()
  vim.cmd("silent! normal! u")
end)
report.undone = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
report.chat = codex.chat.text()
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
