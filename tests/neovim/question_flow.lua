-- Real Neovim, with the plugin: the model asks two questions (request_user_input); the first is
-- answered by picking an option, the second through "Other…" and typing. Writes $RESULT.
local report = {}
vim.opt.runtimepath:prepend(os.getenv("PLUGIN_DIR"))
vim.cmd("runtime plugin/codex_lsp.lua")
local codex = require("codex_lsp")
codex.setup({ cmd = vim.json.decode(os.getenv("CODEX_CMD")) })
report.asked, report.typed_prompts = {}, {}
vim.ui.select = function(items, opts, on_choice)
  local shown = {}
  for _, item in ipairs(items) do
    table.insert(shown, opts.format_item(item))
  end
  table.insert(report.asked, { prompt = opts.prompt, items = shown })
  -- the user: the second option of the first question, "Other…" (the last item) for the next
  on_choice(#report.asked == 1 and items[2] or items[#items])
end
vim.ui.input = function(opts, on_confirm)
  table.insert(report.typed_prompts, opts.prompt)
  on_confirm("raw SQL")
end
vim.cmd("Codex set up the database")
report.finished = vim.wait(40000, function()
  return codex.state.turns >= 1
end, 50)
report.chat = codex.chat.text()
vim.fn.writefile({ vim.json.encode(report) }, os.getenv("RESULT"))
vim.cmd("qa!")
