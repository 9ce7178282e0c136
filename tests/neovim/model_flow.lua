-- Real Neovim, with the plugin: `:CodexModel` offers the provider's models, then the picked
-- one's reasoning efforts; the next turn runs with both. Writes a JSON report to $RESULT.
local report = { prompts = {}, offered = {} }
vim.opt.runtimepath:prepend(os.getenv("PLUGIN_DIR"))
vim.cmd("runtime plugin/codex_lsp.lua")
local codex = require("codex_lsp")
codex.setup({ cmd = vim.json.decode(os.getenv("CODEX_CMD")) })
vim.ui.select = function(items, opts, on_choice)
  table.insert(report.prompts, opts.prompt)
  local shown = {}
  for _, item in ipairs(items) do
    table.insert(shown, opts.format_item and opts.format_item(item) or item)
  end
  table.insert(report.offered, shown)
  on_choice(items[#items == 3 and 3 or 1]) -- the model o3, then the effort "high"
end
vim.notify = function(message)
  report.notified = message
end
vim.cmd("Codex")
vim.wait(20000, function()
  return codex.state.conversation ~= nil
end, 50)
vim.cmd("CodexModel")
vim.wait(10000, function()
  return report.notified ~= nil
end, 50)
vim.cmd("Codex hello")
report.finished = vim.wait(30000, function()
  return codex.state.turns >= 1
end, 50)
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
