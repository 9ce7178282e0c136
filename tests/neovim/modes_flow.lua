-- Real Neovim, with the plugin: `:CodexMode` picks full access through vim.ui.select (and warns),
-- `:CodexMode read-only` switches back, and the next turn's write is refused by the sandbox.
-- Writes a JSON report to $RESULT.
local ws, report = os.getenv("WORKSPACE"), { picked_from = {}, notified = {} }
vim.opt.runtimepath:prepend(os.getenv("PLUGIN_DIR"))
vim.cmd("runtime plugin/codex_lsp.lua")
local codex = require("codex_lsp")
codex.setup({ cmd = vim.json.decode(os.getenv("CODEX_CMD")) })
vim.ui.select = function(items, opts, on_choice)
  report.prompt = opts.prompt
  for _, item in ipairs(items) do
    table.insert(report.picked_from, item.id)
  end
  on_choice(items[3])
end
vim.notify = function(message)
  table.insert(report.notified, message)
end
report.completion = vim.fn.getcompletion("CodexMode ", "cmdline")
vim.cmd("Codex")
vim.wait(20000, function()
  return codex.state.mode ~= nil
end, 50)
report.initial = codex.state.mode
vim.cmd("CodexMode")
vim.wait(10000, function()
  return codex.state.mode == "full-access"
end, 50)
report.picked = codex.state.mode
vim.cmd("CodexMode read-only")
vim.wait(10000, function()
  return codex.state.mode == "read-only"
end, 50)
report.statusline = codex.statusline()
vim.cmd("Codex touch it")
report.finished = vim.wait(30000, function()
  return codex.state.turns >= 1
end, 50)
report.written = vim.fn.filereadable(ws .. "/ro.txt") == 1
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
