-- Real Neovim, no plugin (docs/neovim.md): one turn, then the editor goes away. MODE "qa" quits
-- with :qa!, "stop" calls client:stop() and quits at once, "kill" waits (mid-command) for the
-- test to SIGKILL it. Writes a JSON report (the server's pid, the conversation) to $RESULT first.
local ws, mode, report, events = os.getenv("WORKSPACE"), os.getenv("MODE"), {}, {}
vim.cmd("edit " .. ws .. "/app.py")
local id = vim.lsp.start({
  name = "codex-lsp",
  cmd = vim.json.decode(os.getenv("CODEX_CMD")),
  root_dir = ws,
  handlers = {
    ["codex/event"] = function(_, result)
      table.insert(events, result.msg.type)
    end,
  },
})
local client = assert(vim.lsp.get_client_by_id(id))
report.initialized = vim.wait(15000, function()
  return client.initialized
end, 20)
report.children = vim.api.nvim_get_proc_children(vim.fn.getpid())
local created = client:request_sync("codex/newConversation", { approvalPolicy = "never" }, 10000)
report.conversation = created and created.result and created.result.conversationId
local items = { { type = "text", text = "hello" } }
client:request_sync("codex/userInput", { conversationId = report.conversation, items = items }, 10000)
local wanted = mode == "kill" and "execCommandBegin" or "taskComplete"
report.reached = vim.wait(30000, function()
  return vim.tbl_contains(events, wanted)
end, 20)
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
if mode == "kill" then
  vim.wait(60000, function()
    return false
  end, 100)
elseif mode == "stop" then
  client:stop()
end
vim.cmd("qa!")
