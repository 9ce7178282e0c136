-- Real Neovim, with the plugin: `:Codex $de<Tab>` completes the workspace's skills, and the
-- prompt sent with `$deploy` runs a turn. Writes a JSON report to $RESULT.
local report = {}
vim.opt.runtimepath:prepend(os.getenv("PLUGIN_DIR"))
vim.cmd("runtime plugin/codex_lsp.lua")
local codex = require("codex_lsp")
codex.setup({ cmd = vim.json.decode(os.getenv("CODEX_CMD")) })
vim.cmd("Codex")
report.started = vim.wait(20000, function()
  return codex.state.conversation ~= nil
end, 50)
report.completed = vim.fn.getcompletion("Codex please $de", "cmdline")
report.none = vim.fn.getcompletion("Codex please $zz", "cmdline")
vim.cmd("Codex please $deploy")
report.finished = vim.wait(30000, function()
  return codex.state.turns >= 1
end, 50)
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
