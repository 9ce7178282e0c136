-- Real Neovim, no plugin: /speckit.auto through workspace/executeCommand, the quality gate's
-- question as a diagnostic on spec.md, answered with vim.lsp.buf.code_action, and the run going
-- on (plan.md written). Then the plugin's :CodexSpec completion. Writes a JSON report to $RESULT.
local ws, report = os.getenv("WORKSPACE"), {}
local function save()
  vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
end
report.notes = {}
vim.notify = function(msg)
  table.insert(report.notes, msg)
end
local spec = ws .. "/docs/SPEC-KIT-071-login/spec.md"
vim.cmd("edit " .. spec)
local buf = vim.api.nvim_get_current_buf()
local id = vim.lsp.start({ name = "codex-lsp", cmd = vim.json.decode(os.getenv("CODEX_CMD")), root_dir = ws })
local client = assert(vim.lsp.get_client_by_id(id))
report.initialized = vim.wait(15000, function()
  return client.initialized
end, 20)
client:exec_cmd({ title = "auto", command = "codex-lsp.speckit.auto", arguments = { "SPEC-KIT-071" } }, { bufnr = buf })
local found
report.diagnostic = vim.wait(40000, function()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == "speckit" then
      found = d
      return true
    end
  end
  return false
end, 50)
vim.wait(1500) -- a pulled copy of the pushed diagnostics would arrive by now
report.shown = 0
for _, d in ipairs(vim.diagnostic.get(buf)) do
  if found and d.source == "speckit" and d.message == found.message then
    report.shown = report.shown + 1
  end
end
save()
report.message = found and found.message
report.severity = found and found.severity
report.lnum = found and found.lnum
report.plan_before = vim.fn.filereadable(ws .. "/docs/SPEC-KIT-071-login/plan.md")
if found then
  vim.api.nvim_win_set_cursor(0, { found.lnum + 1, 0 })
  local listed = client:request_sync("textDocument/codeAction", {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = found.lnum, character = 0 }, ["end"] = { line = found.lnum, character = 0 } },
    context = { diagnostics = {} },
  }, 10000, buf)
  report.titles = {}
  for _, action in ipairs(listed and listed.result or {}) do
    table.insert(report.titles, action.title)
  end
  report.list_error = listed and listed.err and listed.err.message
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      return action.title == "Answer CLR-009: Okta"
    end,
  })
end
report.answered = vim.wait(20000, function()
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n"):find("→ Okta", 1, true) ~= nil
end, 50)
save()
report.cleared = vim.wait(10000, function()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == "speckit" then
      return false
    end
  end
  return true
end, 50)
report.went_on = vim.wait(40000, function()
  return vim.fn.filereadable(ws .. "/docs/SPEC-KIT-071-login/plan.md") == 1
end, 50)
save()
-- the plugin: :CodexSpec completes the subcommands, then the workspace's SPEC ids
vim.opt.runtimepath:prepend(os.getenv("PLUGIN_DIR"))
vim.cmd("runtime plugin/codex_lsp.lua")
report.subcommands = vim.fn.getcompletion("CodexSpec a", "cmdline")
report.spec_ids = vim.fn.getcompletion("CodexSpec auto ", "cmdline")
report.spec_ids_071 = vim.fn.getcompletion("CodexSpec status SPEC-KIT-07", "cmdline")
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
