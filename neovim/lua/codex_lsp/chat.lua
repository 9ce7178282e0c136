-- The chat buffer: codex/event notifications rendered as Markdown as they stream.
local M = {}

local function buffer()
  if M.buf and vim.api.nvim_buf_is_valid(M.buf) then
    return M.buf
  end
  M.buf = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_buf_set_name(M.buf, "codex://chat")
  vim.bo[M.buf].filetype = "markdown"
  vim.bo[M.buf].bufhidden = "hide"
  return M.buf
end

function M.open()
  local buf = buffer()
  if vim.fn.bufwinid(buf) == -1 then
    vim.cmd("botright vsplit")
    vim.api.nvim_win_set_buf(0, buf)
    vim.wo.wrap = true
    vim.wo.foldmethod = "marker"
    vim.cmd("wincmd p")
  end
  return buf
end

-- Append text; the first line continues the last line of the buffer (streaming).
function M.write(text)
  local buf = buffer()
  local lines = vim.split(text, "\n", { plain = true })
  local last = vim.api.nvim_buf_line_count(buf)
  local tail = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1] or ""
  lines[1] = tail .. lines[1]
  vim.api.nvim_buf_set_lines(buf, last - 1, last, false, lines)
  local win = vim.fn.bufwinid(buf)
  if win ~= -1 then
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 })
  end
end

function M.line(text)
  M.write("\n" .. text)
end

function M.text()
  return table.concat(vim.api.nvim_buf_get_lines(buffer(), 0, -1, false), "\n")
end

local function fence(lang, body)
  M.line("```" .. lang)
  M.line(body)
  M.line("```")
end

local render = {}

function render.userMessage(m)
  M.line("")
  M.line("## You")
  M.line(m.message)
  M.line("")
  M.line("## codex-lsp")
  M.line("")
end

function render.agentMessageDelta(m)
  M.write(m.delta)
end

function render.agentMessage()
  M.line("")
end

function render.agentReasoning(m)
  M.line("> reasoning {{{")
  for _, l in ipairs(vim.split(m.text, "\n", { plain = true })) do
    M.line("> " .. l)
  end
  M.line("> }}}")
end

-- A terminal of exec_command (terminalId) may run on after its turn: the chat says it started
-- and, whenever it comes, how it ended; its output is in :CodexTerminals.
function render.execCommandBegin(m)
  if m.terminalId then
    M.line(string.format("`$ %s` (terminal %d: `:CodexTerminals`)", table.concat(m.command, " "), m.terminalId))
    M.line("")
    return
  end
  M.line("```sh")
  M.line("$ " .. table.concat(m.command, " "))
  M.line("")
end

function render.execCommandOutputDelta(m)
  if not m.terminalId then
    M.write(m.chunk or "")
  end
end

function render.execCommandEnd(m)
  if m.terminalId then
    M.line(string.format("terminal %d ended: exit %d (%d ms)", m.terminalId, m.exitCode, m.durationMs))
    M.line("")
    return
  end
  M.line(string.format("```\nexit %d (%d ms)", m.exitCode, m.durationMs))
  M.line("")
end

function render.patchApplyBegin(m)
  for path, change in pairs(m.changes or {}) do
    if change.type == "update" then
      M.line("`" .. path .. "`")
      fence("diff", change.unifiedDiff)
    else
      M.line("`" .. path .. "`: " .. (change.type == "add" and "new file" or "deleted"))
    end
  end
  M.line("")
end

-- Plan step statuses; in_progress is how a codex-lsp older than the plugin spells inProgress.
local PLAN_BOXES = { completed = "[x]", inProgress = "[~]", in_progress = "[~]", pending = "[ ]" }

function render.planUpdate(m)
  for _, step in ipairs(m.plan or {}) do
    M.line("- " .. (PLAN_BOXES[step.status] or "[ ]") .. " " .. step.step)
  end
end

function render.mcpToolCallEnd(m)
  local inv = m.invocation
  M.line(string.format("tool %s/%s (%d ms)%s", inv.server, inv.tool, m.durationMs, m.error and (": " .. m.error) or ""))
end

function render.execApprovalRequest(m)
  M.line("**approval needed**: `" .. table.concat(m.command, " ") .. "`")
end

function render.requestUserInput(m)
  for _, q in ipairs(m.questions or {}) do
    M.line("**question**: " .. q.question)
  end
end

function render.error(m)
  M.line("**error**: " .. m.message)
end

function render.streamError(m)
  M.line("_" .. m.message .. "_")
end

function render.warning(m)
  M.line("_warning: " .. m.message .. "_")
end

function render.tokenCount(m)
  M.last_usage = m.info
end

function render.taskComplete()
  local info = M.last_usage
  if info then
    local left = info.contextLeftPercent and string.format(", %d%% of the context left", info.contextLeftPercent) or ""
    M.line(string.format("_tokens: %d this conversation%s_", info.totalTokenUsage.totalTokens, left))
  end
  M.line("")
  M.line("---")
end

function render.turnAborted(m)
  M.line("_turn aborted (" .. m.reason .. ")_")
  -- what the user queued while the turn ran was not sent: show it, to send again with :Codex
  for _, items in ipairs(m.returnedInput or {}) do
    for _, item in ipairs(items) do
      if item.type == "text" then
        M.line("_not sent (queued before the interrupt):_ " .. item.text:gsub("\n", " "))
      end
    end
  end
end

function M.render(msg)
  local f = render[msg.type]
  if f then
    f(msg)
  end
end

return M
