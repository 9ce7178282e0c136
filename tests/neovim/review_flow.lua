-- Real Neovim, no plugin: a review's findings arrive as diagnostics (source codex-review) on the
-- open buffer, and "Fix this" on one fixes it through workspace/applyEdit. Writes a JSON report
-- to $RESULT.
local ws, report = os.getenv("WORKSPACE"), {}
vim.cmd("edit " .. ws .. "/app.py")
local buf = vim.api.nvim_get_current_buf()
local id = vim.lsp.start({ name = "codex-lsp", cmd = vim.json.decode(os.getenv("CODEX_CMD")), root_dir = ws })
local client = assert(vim.lsp.get_client_by_id(id))
report.initialized = vim.wait(15000, function()
  return client.initialized
end, 20)
local conv = client:request_sync("codex/newConversation", {}, 15000, buf).result.conversationId
client:request_sync("codex/review", {
  conversationId = conv,
  reviewRequest = { target = { type = "custom", instructions = "review app.py" } },
}, 15000, buf)
local found = {}
report.published = vim.wait(30000, function()
  found = vim.diagnostic.get(buf)
  return #found > 0
end, 50)
report.diagnostics = {}
for _, d in ipairs(found) do
  table.insert(report.diagnostics, {
    source = d.source,
    code = d.code,
    lnum = d.lnum,
    end_lnum = d.end_lnum,
    severity = d.severity,
    message = d.message,
  })
end
local lsp_diagnostic = found[1] and found[1].user_data and found[1].user_data.lsp
local params = {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = { start = { line = 1, character = 4 }, ["end"] = { line = 1, character = 4 } },
  context = { diagnostics = { lsp_diagnostic } },
}
local response = client:request_sync("textDocument/codeAction", params, 10000, buf)
report.titles = {}
local fix
for _, action in ipairs(response and response.result or {}) do
  table.insert(report.titles, action.title)
  if action.title:find("^Fix this") then
    fix = action
  end
end
if fix and not fix.command then
  fix = client:request_sync("codeAction/resolve", fix, 10000, buf).result
end
if fix then
  client:exec_cmd(fix.command, { bufnr = buf })
end
report.fixed = vim.wait(40000, function()
  return vim.api.nvim_buf_get_lines(buf, 1, 2, false)[1] == "x = 2"
end, 50)
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
