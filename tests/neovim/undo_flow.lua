-- Real Neovim, with the plugin: a turn that changes a file is offered for :CodexUndo, the undo
-- restores it, and a second :CodexUndo sends nothing (nothing is left to undo). Writes a JSON
-- report to $RESULT.
local ws, report = os.getenv("WORKSPACE"), { notes = {} }
vim.opt.runtimepath:prepend(os.getenv("PLUGIN_DIR"))
vim.cmd("runtime plugin/codex_lsp.lua")
local codex = require("codex_lsp")
codex.setup({ cmd = vim.json.decode(os.getenv("CODEX_CMD")), settings = { approval_policy = "never" } })
vim.notify = function(text)
  table.insert(report.notes, text)
end
vim.cmd("Codex fix app.py")
report.finished = vim.wait(40000, function()
  return codex.state.turns >= 1
end, 50)
report.undoable = vim.deepcopy(codex.state.undoable)
vim.cmd("CodexUndo")
report.undone = vim.wait(20000, function()
  return #codex.state.undoable == 0 and codex.state.turns >= 2
end, 50)
report.file = table.concat(vim.fn.readfile(ws .. "/app.py"), "\n")
vim.cmd("CodexUndo")
report.chat = codex.chat.text()
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
