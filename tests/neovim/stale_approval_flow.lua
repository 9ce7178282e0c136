-- Real Neovim, with the plugin: an approval dialog answered after its request was withdrawn (the
-- turn was interrupted) answers nothing; the next request waits for its own dialog. Writes a JSON
-- report to $RESULT.
local ws, report = os.getenv("WORKSPACE"), { asked = {}, errors = {} }
vim.opt.runtimepath:prepend(os.getenv("PLUGIN_DIR"))
vim.cmd("runtime plugin/codex_lsp.lua")
local codex = require("codex_lsp")
codex.setup({ cmd = vim.json.decode(os.getenv("CODEX_CMD")), settings = { approval_policy = "untrusted" } })
local dialogs = {} -- each open dialog: answer it with the n-th choice
vim.ui.select = function(items, opts, on_choice)
  table.insert(report.asked, opts.prompt)
  table.insert(dialogs, function(n)
    on_choice(items[n])
  end)
end
vim.notify = function(msg, level)
  if level == vim.log.levels.ERROR then
    table.insert(report.errors, msg)
  end
end
vim.cmd("edit " .. ws .. "/app.py")
vim.cmd("Codex make first")
report.first_asked = vim.wait(30000, function()
  return #dialogs >= 1
end, 50)
vim.cmd("CodexInterrupt")
report.interrupted = vim.wait(20000, function()
  return codex.state.turns >= 1
end, 50)
vim.cmd("Codex make second")
report.second_asked = vim.wait(30000, function()
  return #dialogs >= 2
end, 50)
dialogs[1](1) -- "Approve", on the dialog of the interrupted turn
report.refused = vim.wait(10000, function()
  return #report.errors >= 1
end, 50)
dialogs[2](3) -- "Deny", on the pending one
report.finished = vim.wait(30000, function()
  return codex.state.turns >= 2
end, 50)
report.chat = codex.chat.text()
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
