-- :checkhealth codex_lsp
local M = {}

function M.check()
  local config = require("codex_lsp").config
  vim.health.start("codex-lsp")
  local exe = config.cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    vim.health.error("`" .. exe .. "` not found", { "pip install codex-lsp, or set cmd in setup()" })
    return
  end
  vim.health.ok("server: " .. vim.fn.exepath(exe))
  local version = vim.fn.system(vim.list_extend(vim.deepcopy(config.cmd), { "--version" }))
  vim.health.info(vim.trim(version))
  local out = vim.fn.system(vim.list_extend(vim.deepcopy(config.cmd), { "doctor" }))
  for _, line in ipairs(vim.split(out, "\n", { trimempty = true })) do
    if line:match("^ok") then
      vim.health.ok(line)
    elseif line:match("^warn") then
      vim.health.warn(line)
    else
      vim.health.error(line)
    end
  end
end

return M
