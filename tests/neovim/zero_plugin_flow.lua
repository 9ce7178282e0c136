-- Real Neovim, no plugin: vim.lsp.start, then the "Fix with codex-lsp" code action on a
-- diagnostic; the fix arrives through workspace/applyEdit. Writes a JSON report to $RESULT.
local ws, report = os.getenv("WORKSPACE"), {}
vim.cmd("edit " .. ws .. "/app.py")
local buf = vim.api.nvim_get_current_buf()
local id = vim.lsp.start({ name = "codex-lsp", cmd = vim.json.decode(os.getenv("CODEX_CMD")), root_dir = ws })
local client = assert(vim.lsp.get_client_by_id(id))
report.initialized = vim.wait(15000, function()
  return client.initialized
end, 20)
local diagnostic = {
  range = { start = { line = 1, character = 4 }, ["end"] = { line = 1, character = 9 } },
  message = "x should be 2",
  source = "fake-linter",
}
local params = {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = { start = { line = 1, character = 4 }, ["end"] = { line = 1, character = 4 } },
  context = { diagnostics = { diagnostic } },
}
local response = client:request_sync("textDocument/codeAction", params, 10000, buf)
report.titles = {}
local fix
for _, action in ipairs(response and response.result or {}) do
  table.insert(report.titles, action.title)
  if action.title:find("^Fix with codex%-lsp") then
    fix = action
  end
end
if fix and not fix.command then
  fix = client:request_sync("codeAction/resolve", fix, 10000, buf).result
end
report.command = fix and fix.command and fix.command.command
if fix then
  client:exec_cmd(fix.command, { bufnr = buf })
end
report.fixed = vim.wait(40000, function()
  return vim.api.nvim_buf_get_lines(buf, 1, 2, false)[1] == "x = 2"
end, 50)
report.text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
