-- codex-lsp for Neovim: starts the language server with vim.lsp.start and adds a chat buffer,
-- approvals with vim.ui.select, conversation picking and a statusline component.
local chat = require("codex_lsp.chat")

local M = {}

M.config = {
  cmd = { "codex-lsp" },
  settings = {}, -- codex-lsp config keys, sent as initializationOptions
  root_markers = { ".git", ".codex-lsp" },
}

-- undoable: the turns whose file changes the server can still undo (taskComplete/turnAborted
-- `undoable`, a resume's `undoableTurnIds`), oldest first; :CodexUndo sends nothing without one.
local state = { client_id = nil, conversation = nil, status = "idle", context = nil, turns = 0, undoable = {} }

local CHOICES = {
  { "Approve", "approved" },
  { "Approve for this session", "approvedForSession" },
  { "Deny", "denied" },
  { "Abort turn", "abort" },
}

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", M.config, opts or {})
end

local function client()
  return state.client_id and vim.lsp.get_client_by_id(state.client_id) or nil
end

local function request(method, params, callback)
  local c = assert(client(), "codex-lsp is not running")
  local function handler(err, result)
    if err then
      vim.notify("codex-lsp: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif callback then
      callback(result)
    end
  end
  if vim.fn.has("nvim-0.11") == 1 then
    c:request(method, params, handler)
  else -- 0.10: client methods take no self
    c.request(method, params, handler)
  end
end

-- A request answered before returning (for completion), nil when it fails or times out.
local function request_now(method, params)
  local c = client()
  if not c then
    return nil
  end
  local response
  if vim.fn.has("nvim-0.11") == 1 then
    response = c:request_sync(method, params, 3000)
  else
    response = c.request_sync(method, params, 3000)
  end
  return response and response.result or nil
end

local function approve(msg, conversation)
  state.status = "approval"
  local what = msg.command and table.concat(msg.command, " ") or table.concat(vim.tbl_keys(msg.changes or {}), ", ")
  vim.ui.select(CHOICES, {
    prompt = "codex-lsp wants to " .. (msg.command and "run " or "change ") .. what,
    format_item = function(c)
      return c[1]
    end,
  }, function(choice)
    -- Answer this request by its callId and itemId: a late answer (the turn was interrupted
    -- meanwhile) is refused by the server instead of answering the next request, even one whose
    -- provider reused the call id.
    local decision = choice and choice[2] or "denied"
    local answer = { callId = msg.callId, itemId = msg.itemId, conversationId = conversation }
    local command = "codex-lsp.deny"
    if decision ~= "denied" then
      command, answer.decision = "codex-lsp.approve", decision
    end
    state.status = "working"
    request("workspace/executeCommand", { command = command, arguments = { answer } })
  end)
end

-- codex/requestUserInput: the model's questions, one vim.ui.select each (plus "Other…" through
-- vim.ui.input when the question allows the user's own words). Server requests run in a
-- coroutine in Neovim 0.11, so the answer waits for the (asynchronous) UI without blocking.
local function pick(items, opts)
  local co = coroutine.running()
  vim.ui.select(items, opts, function(choice)
    vim.schedule(function()
      coroutine.resume(co, choice)
    end)
  end)
  return coroutine.yield()
end

local function type_in(prompt)
  local co = coroutine.running()
  vim.ui.input({ prompt = prompt }, function(text)
    vim.schedule(function()
      coroutine.resume(co, text)
    end)
  end)
  return coroutine.yield()
end

local OTHER = { label = "Other…" }

local function request_user_input(_, params)
  state.status = "question"
  local answers = {}
  for _, q in ipairs(params.questions or {}) do
    local items = vim.list_extend({}, q.options or {})
    if q.isOther then
      table.insert(items, OTHER)
    end
    local prompt = (q.header ~= "" and (q.header .. ": ") or "") .. q.question
    local choice = pick(items, {
      prompt = prompt,
      format_item = function(o)
        return (o.description and o.description ~= "") and (o.label .. " — " .. o.description) or o.label
      end,
    })
    local text = choice == OTHER and type_in(prompt .. " ") or (choice and choice.label)
    if not text or text == "" then
      state.status = "working"
      return { answers = vim.empty_dict() } -- dismissed: the model is told it was cancelled
    end
    answers[q.id] = { answers = { text } }
  end
  state.status = "working"
  return { answers = answers }
end

local function on_event(_, params)
  if not params or params.conversationId ~= state.conversation then
    return
  end
  local msg = params.msg
  chat.render(msg)
  if msg.type == "sessionConfigured" then
    state.mode = msg.mode
  elseif msg.type == "taskStarted" then
    state.status = "working"
  elseif msg.type == "taskComplete" or msg.type == "turnAborted" then
    state.status = "idle"
    state.turns = state.turns + 1
    if msg.undoable then
      table.insert(state.undoable, msg.turnId)
    end
  elseif msg.type == "undoCompleted" then
    local undone = {}
    for _, id in ipairs(msg.undoneTurnIds or {}) do
      undone[id] = true
    end
    state.undoable = vim.tbl_filter(function(id)
      return not undone[id]
    end, state.undoable)
  elseif msg.type == "tokenCount" and msg.info then
    state.context = msg.info.contextLeftPercent
  elseif msg.type == "execApprovalRequest" or msg.type == "applyPatchApprovalRequest" then
    approve(msg, params.conversationId)
  end
  vim.cmd("redrawstatus")
end

function M.start()
  if client() then
    return state.client_id
  end
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  capabilities.experimental = {
    codex = { approvals = "commands", requestUserInput = vim.fn.has("nvim-0.11") == 1 },
  }
  local root = vim.fs.root(0, M.config.root_markers) or vim.fn.getcwd()
  state.client_id = vim.lsp.start({
    name = "codex-lsp",
    cmd = M.config.cmd,
    root_dir = root,
    capabilities = capabilities,
    init_options = M.config.settings,
    handlers = {
      ["codex/event"] = on_event,
      ["codex/requestUserInput"] = request_user_input,
      ["codex/mcpServerStatus"] = function(_, status)
        if status.state == "failed" then
          vim.notify("codex-lsp: MCP server " .. status.name .. " failed: " .. (status.reason or ""), vim.log.levels.WARN)
        end
      end,
    },
  }, { bufnr = vim.api.nvim_get_current_buf() })
  return state.client_id
end

local function with_conversation(callback)
  M.start()
  if state.conversation then
    return callback(state.conversation)
  end
  request("codex/newConversation", vim.empty_dict(), function(result)
    state.conversation = result.conversationId
    -- its sessionConfigured may have come before this answer: ask for the mode
    request("codex/listModes", { conversationId = result.conversationId }, function(listed)
      state.mode = listed.current
    end)
    callback(state.conversation)
  end)
end

-- :Codex [prompt]
function M.prompt(text)
  chat.open()
  if not text or text == "" then
    return with_conversation(function() end)
  end
  with_conversation(function(conversation)
    request("codex/userInput", { conversationId = conversation, items = { { type = "text", text = text } } })
  end)
end

-- Completion of :Codex's prompt: a word starting with `$` completes to the enabled skills
-- (codex/listSkills); the server sends a `$name` skill's SKILL.md with the message.
function M.complete(arglead)
  if arglead:sub(1, 1) ~= "$" then
    return {}
  end
  M.start()
  local listed = request_now("codex/listSkills", vim.empty_dict())
  local names = {}
  for _, skill in ipairs(listed and listed.skills or {}) do
    if skill.enabled and vim.startswith("$" .. skill.name, arglead) then
      table.insert(names, "$" .. skill.name)
    end
  end
  return names
end

M.MODES = { "read-only", "auto", "full-access" }

-- :CodexMode [mode]: switch the conversation's approval preset (codex/setMode) for its next
-- turn; without a mode, pick one from codex/listModes. Full access is confirmed with a warning.
function M.mode(id)
  with_conversation(function(conversation)
    local function set(mode_id)
      request("codex/setMode", { conversationId = conversation, mode = mode_id }, function(result)
        state.mode = result.mode.id
        if result.warning then
          vim.notify("codex-lsp: " .. result.warning, vim.log.levels.WARN)
        else
          vim.notify("codex-lsp: mode " .. result.mode.name .. " from the next turn on")
        end
        vim.cmd("redrawstatus")
      end)
    end
    if id and id ~= "" then
      return set(id)
    end
    request("codex/listModes", { conversationId = conversation }, function(listed)
      vim.ui.select(listed.modes, {
        prompt = "Approval mode (now " .. (listed.current or "custom") .. ")",
        format_item = function(m)
          return m.name .. " — " .. m.description
        end,
      }, function(choice)
        if choice then
          set(choice.id)
        end
      end)
    end)
  end)
end

-- :CodexModel: pick a model from the provider's own list (codex/listModels; the built-in list
-- when the provider cannot say), then one of the reasoning efforts it takes; both apply from the
-- next turn (codex/overrideTurnContext).
function M.model()
  with_conversation(function(conversation)
    request("codex/listModels", vim.empty_dict(), function(listed)
      local source = listed.note and (listed.source .. ": " .. listed.note) or listed.source
      vim.ui.select(listed.models, {
        prompt = "Model (" .. source .. ")",
        format_item = function(m)
          local name = (m.displayName and m.displayName ~= vim.NIL) and m.displayName or m.id
          return name == m.id and m.id or (m.id .. " — " .. name)
        end,
      }, function(choice)
        if not choice then
          return
        end
        local function apply(effort)
          local params = { conversationId = conversation, model = choice.id, effort = effort }
          request("codex/overrideTurnContext", params, function()
            vim.notify("codex-lsp: " .. choice.id .. (effort and (", effort " .. effort) or "") .. " from the next turn on")
          end)
        end
        local efforts = choice.reasoningEfforts
        if efforts == nil or efforts == vim.NIL or #efforts == 0 then
          return apply(nil)
        end
        vim.ui.select(efforts, { prompt = "Reasoning effort for " .. choice.id }, function(effort)
          apply(effort)
        end)
      end)
    end)
  end)
end

-- :CodexSpec {new|status|auto|…} [SPEC] [text]: the spec-kit command typed into the chat
M.speckit_commands = {
  "new", "specify", "clarify", "analyze", "checklist", "plan", "tasks", "implement",
  "validate", "audit", "unlock", "auto", "cancel", "status", "constitution",
}

function M.spec(args)
  local sub = args:match("^(%S+)")
  if not sub or not vim.tbl_contains(M.speckit_commands, sub) then
    return vim.notify(
      "codex-lsp: :CodexSpec takes one of " .. table.concat(M.speckit_commands, ", "),
      vim.log.levels.ERROR
    )
  end
  M.prompt("/speckit." .. args)
end

-- The SPEC ids of the workspace: docs/SPEC-<AREA>-<NNN>-… (the fork) and specs/NNN-… (GitHub).
function M.spec_ids(root)
  root = root or vim.fn.getcwd()
  local ids = {}
  for name, kind in vim.fs.dir(root .. "/docs") do
    local id = kind == "directory" and name:match("^(SPEC%-%w+%-%d+)")
    if id and vim.uv.fs_stat(root .. "/docs/" .. name .. "/spec.md") then
      table.insert(ids, id)
    end
  end
  for name, kind in vim.fs.dir(root .. "/specs") do
    if kind == "directory" and name:match("^%d+%-") then
      table.insert(ids, name)
    end
  end
  table.sort(ids)
  return ids
end

function M.complete_spec(lead, line)
  local words = vim.split(line, "%s+", { trimempty = true })
  local typing = #words == 1 or (#words == 2 and not line:match("%s$"))
  local pool = typing and M.speckit_commands or M.spec_ids()
  return vim.tbl_filter(function(item)
    return vim.startswith(item, lead)
  end, pool)
end

function M.op(method)
  if not state.conversation then
    return vim.notify("codex-lsp: no conversation yet; start one with :Codex", vim.log.levels.WARN)
  end
  request(method, { conversationId = state.conversation })
end

-- :CodexUndo: take back the files the last undoable turn changed (only when the server can).
function M.undo()
  if state.conversation and #state.undoable == 0 then
    return vim.notify("codex-lsp: nothing to undo: no turn of this conversation has file changes left to take back", vim.log.levels.WARN)
  end
  M.op("codex/undoTurn")
end

function M.interrupt()
  M.op("codex/interrupt")
end

-- :CodexConversations: pick one of the workspace's stored conversations and redraw it.
function M.conversations()
  M.start()
  request("codex/listConversations", vim.empty_dict(), function(result)
    vim.ui.select(result.items, {
      prompt = "Resume a conversation",
      format_item = function(c)
        return string.format("%s  (%d turns, %s)", c.title, c.turnCount, os.date("%Y-%m-%d %H:%M", c.updatedAt))
      end,
    }, function(choice)
      if not choice then
        return
      end
      request("codex/resumeConversation", { conversationId = choice.conversationId }, function(resumed)
        state.conversation = resumed.conversationId
        state.undoable = resumed.undoableTurnIds or {}
        chat.open()
        for _, msg in ipairs(resumed.initialMessages) do
          chat.render(msg)
        end
      end)
    end)
  end)
end

-- :CodexTerminals: the commands exec_command left running (every live conversation's); pick one
-- to see its output or stop it (with everything it started).
function M.terminals()
  M.start()
  request("codex/listTerminals", vim.empty_dict(), function(result)
    if #result.terminals == 0 then
      return vim.notify("codex-lsp: no terminal is running", vim.log.levels.INFO)
    end
    vim.ui.select(result.terminals, {
      prompt = "Running terminals",
      format_item = function(t)
        local lines = vim.split(vim.trim(t.output), "\n")
        return string.format("[%d] %s (%ds) %s", t.terminalId, table.concat(t.command, " "), math.floor(t.startedMsAgo / 1000), lines[#lines] or "")
      end,
    }, function(terminal)
      if not terminal then
        return
      end
      vim.ui.select({ "Show output", "Stop" }, { prompt = "Terminal " .. terminal.terminalId }, function(action)
        if action == "Stop" then
          local params = { conversationId = terminal.conversationId, terminalId = terminal.terminalId }
          request("codex/killTerminal", params, function(ended)
            vim.notify(string.format("codex-lsp: terminal %d stopped (exit %s)", ended.terminalId, tostring(ended.exitCode)))
          end)
        elseif action == "Show output" then
          vim.cmd("botright new")
          local buf = vim.api.nvim_get_current_buf()
          vim.bo[buf].buftype, vim.bo[buf].bufhidden = "nofile", "wipe"
          vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(terminal.output, "\n"))
          vim.api.nvim_buf_set_name(buf, "codex-terminal-" .. terminal.terminalId)
        end
      end)
    end)
  end)
end

-- A statusline component: "codex: idle | working | approval", the mode and the context left.
function M.statusline()
  if not client() then
    return ""
  end
  local context = state.context and string.format(" %d%%", state.context) or ""
  local mode = state.mode and (" [" .. state.mode .. "]") or ""
  return "codex: " .. state.status .. mode .. context
end

M.state = state
M.chat = chat
return M
