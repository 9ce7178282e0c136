-- Real Neovim, with the plugin: a turn starts a terminal (exec_command), :CodexTerminals lists
-- it, "Show output" opens its output, and "Stop" ends it. Writes a JSON report to $RESULT.
local report = { prompts = {}, items = {}, notes = {} }
vim.opt.runtimepath:prepend(os.getenv("PLUGIN_DIR"))
vim.cmd("runtime plugin/codex_lsp.lua")
local codex = require("codex_lsp")
codex.setup({ cmd = vim.json.decode(os.getenv("CODEX_CMD")) })
local answers = {}
vim.ui.select = function(items, opts, on_choice)
  table.insert(report.prompts, opts.prompt)
  for _, item in ipairs(items) do
    table.insert(report.items, opts.format_item and opts.format_item(item) or item)
  end
  on_choice(table.remove(answers, 1) and items[#items] or items[1])
end
vim.notify = function(text)
  table.insert(report.notes, text)
end
local function listed(action)
  answers = { false, action == "Stop" }
  local before = #report.prompts
  vim.cmd("CodexTerminals")
  return vim.wait(10000, function()
    return #report.prompts >= before + 2 or #report.notes > 0
  end, 50)
end
vim.cmd("Codex start the server")
report.finished = vim.wait(40000, function()
  return codex.state.turns >= 1
end, 50)
report.listed = listed("Show output")
report.output = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
report.stopped = listed("Stop")
vim.wait(10000, function()
  return #report.notes > 0
end, 50)
vim.cmd("CodexTerminals")
vim.wait(10000, function()
  return #report.notes > 1
end, 50)
report.chat = codex.chat.text()
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
