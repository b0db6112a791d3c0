--- Ghost text for Neovim 0.10/0.11, which has no `vim.lsp.inline_completion`: asks the server
--- for `textDocument/inlineCompletion`, draws the suggestion with an extmark, accepts it whole,
--- by word or by line, and tells the server what was shown and what was taken.
---
--- Positions: the server speaks the client's negotiated encoding (utf-8 for Neovim, so byte
--- columns); every column kept here is a byte column of the buffer, converted once on arrival.
local M = {}

local api = vim.api
local suggestion = require('codestral.suggestion')
local HAS_011 = vim.fn.has('nvim-0.11') == 1

M.ns = api.nvim_create_namespace('codestral.ghost')
M.auto_trigger = true
M.enabled = true

local HL = 'CodestralSuggestion'
local INVOKED, AUTOMATIC = 1, 2

--- Per-buffer state. `items` are normalized suggestions; `index` the one shown.
--- @type table<integer, table>
local buffers = {}

-- Neovim 0.11 made client calls methods; 0.10 has them as plain functions.
local function client_call(client, name, ...)
  if HAS_011 then
    return client[name](client, ...)
  end
  return client[name](...)
end

local function line_at(bufnr, row)
  return api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
end

local function cursor_of(bufnr)
  local win = api.nvim_get_current_win()
  if api.nvim_win_get_buf(win) ~= bufnr then
    return nil
  end
  local pos = api.nvim_win_get_cursor(win)
  return pos[1] - 1, pos[2]
end

--- What is left of `s` to insert at the cursor, and what was typed of it; nil if it no longer applies.
local function remaining(bufnr, s)
  local crow, ccol = cursor_of(bufnr)
  return suggestion.remaining(bufnr, s, crow, ccol)
end

local function in_insert_mode()
  local mode = api.nvim_get_mode().mode
  return mode:sub(1, 1) == 'i' or mode:sub(1, 1) == 'R'
end

local function state(bufnr)
  local st = buffers[bufnr]
  if not st then
    st = { seq = 0, items = {}, index = 1 }
    buffers[bufnr] = st
  end
  return st
end

local function codestral_client(bufnr)
  for _, client in ipairs(vim.lsp.get_clients({ bufnr = bufnr, name = 'codestral_ls' })) do
    if client.server_capabilities and client.server_capabilities.inlineCompletionProvider then
      return client
    end
  end
  return nil
end

local function cancel_pending(st)
  local pending = st.pending
  st.pending = nil
  if pending then
    local client = vim.lsp.get_client_by_id(pending.client_id)
    if client then
      pcall(client_call, client, 'cancel_request', pending.id)
    end
  end
end

--- Remove the ghost text of `bufnr` and forget its suggestions; cancel a pending request.
function M.clear(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  local st = buffers[bufnr]
  if st then
    st.seq = st.seq + 1
    cancel_pending(st)
    st.items, st.index, st.shown_text = {}, 1, nil
  end
  if api.nvim_buf_is_valid(bufnr) then
    api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
end

local function display(text, bufnr)
  local tab = string.rep(' ', vim.bo[bufnr].tabstop)
  return (text:gsub('\t', tab))
end

local function notify(st, method, params)
  local client = st.client_id and vim.lsp.get_client_by_id(st.client_id)
  if client then
    pcall(client_call, client, 'notify', method, params)
  end
end

--- Draw the current suggestion at the cursor; clear when it no longer applies.
local function render(bufnr)
  local st = state(bufnr)
  api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  st.shown_text = nil
  local s = st.items[st.index]
  local rest = s and remaining(bufnr, s)
  if not rest or rest == '' then
    M.clear(bufnr)
    return
  end
  local crow, ccol = cursor_of(bufnr)
  local lines = vim.split(rest, '\n', { plain = true })
  local first = lines[1]
  local after = line_at(bufnr, crow):sub(ccol + 1)
  -- A one-line item that re-types the closers after the cursor: show only what comes before them.
  if #lines == 1 and s.tail ~= '' and not s.tail:find('\n', 1, true)
    and first:sub(-#s.tail) == s.tail and after:sub(1, #s.tail) == s.tail then
    first = first:sub(1, #first - #s.tail)
  end
  local opts = { hl_mode = 'combine' }
  if first ~= '' then
    opts.virt_text = { { display(first, bufnr), HL } }
    opts.virt_text_pos = 'inline'
  end
  if #lines > 1 then
    opts.virt_lines = {}
    for i = 2, #lines do
      table.insert(opts.virt_lines, { { display(lines[i], bufnr), HL } })
    end
  end
  if opts.virt_text or opts.virt_lines then
    api.nvim_buf_set_extmark(bufnr, M.ns, crow, ccol, opts)
  end
  st.shown_text = rest
  if not s.shown then
    s.shown = true
    notify(st, 'textDocument/didShowCompletion', { item = s.raw })
  end
end

--- Ask the server for suggestions at the cursor of `bufnr`.
--- @param opts? {trigger_kind?: integer, cycle?: integer}
function M.request(bufnr, opts)
  opts = opts or {}
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  local st = state(bufnr)
  cancel_pending(st)
  if not M.enabled then
    return
  end
  local client = codestral_client(bufnr)
  local crow, ccol = cursor_of(bufnr)
  if not client or not crow then
    return
  end
  local win = api.nvim_get_current_win()
  local params = vim.lsp.util.make_position_params(win, client.offset_encoding)
  params.context = { triggerKind = opts.trigger_kind or AUTOMATIC }
  st.seq = st.seq + 1
  local seq = st.seq
  local tick = api.nvim_buf_get_changedtick(bufnr)
  local previous = st.items[st.index]
  local ok, request_id = client_call(client, 'request', 'textDocument/inlineCompletion', params, function(err, result)
    if st.seq ~= seq then
      return -- cancelled or superseded
    end
    st.pending = nil
    if err or type(result) ~= 'table' or not api.nvim_buf_is_valid(bufnr) then
      return
    end
    local row, col = cursor_of(bufnr)
    if row ~= crow or col ~= ccol or api.nvim_buf_get_changedtick(bufnr) ~= tick or not in_insert_mode() then
      return -- the user moved on; a fresh request is on its way
    end
    local items, seen = {}, {}
    for _, raw in ipairs(result.items or result) do
      local s = suggestion.normalize(raw, bufnr, client.offset_encoding, crow, ccol)
      if s and not seen[s.text] then
        seen[s.text] = true
        table.insert(items, s)
      end
    end
    st.items, st.index, st.client_id = items, 1, client.id
    if opts.cycle and previous then
      for i, s in ipairs(items) do
        if s.text == previous.text then
          st.index = (i - 1 + opts.cycle) % #items + 1
        end
      end
    end
    render(bufnr)
  end, bufnr)
  if ok and request_id then
    st.pending = { client_id = client.id, id = request_id }
  end
end

--- After a change or a cursor move in insert mode: keep the suggestion if the user typed
--- through it, otherwise drop it and (with auto_trigger) ask again.
function M.refresh(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  local st = state(bufnr)
  local crow, ccol = cursor_of(bufnr)
  if not crow or not in_insert_mode() then
    return
  end
  local key = ('%d:%d:%d'):format(api.nvim_buf_get_changedtick(bufnr), crow, ccol)
  if key == st.last_key then
    return
  end
  st.last_key = key
  local s = st.items[st.index]
  local rest = s and remaining(bufnr, s)
  if rest and rest ~= '' then
    render(bufnr)
    return
  end
  M.clear(bufnr)
  if M.auto_trigger and M.enabled then
    M.request(bufnr)
  end
end

--- The suggestion text still to be inserted at the cursor, or nil when none is shown.
function M.visible(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  local st = buffers[bufnr]
  return st and st.shown_text or nil
end

--- Insert the current suggestion, or its next word or line (`how` = 'all' | 'word' | 'line').
--- @return boolean accepted
function M.accept(how)
  how = how or 'all'
  local bufnr = api.nvim_get_current_buf()
  local st = buffers[bufnr]
  local s = st and st.items[st.index]
  local rest, typed = nil, nil
  if s then
    rest, typed = remaining(bufnr, s)
  end
  if not rest or rest == '' then
    return false
  end
  local piece = suggestion.piece(rest, how) or rest
  local whole = piece == rest
  local crow, ccol = cursor_of(bufnr)
  local del_end = ccol
  if whole and s.tail ~= '' and not s.tail:find('\n', 1, true) then
    local after = line_at(bufnr, crow):sub(ccol + 1)
    if after:sub(1, #s.tail) == s.tail then
      del_end = ccol + #s.tail
    end
  end
  suggestion.insert(bufnr, crow, ccol, del_end, piece)
  if whole then
    local command = s.raw.command
    local client = st.client_id and vim.lsp.get_client_by_id(st.client_id)
    M.clear(bufnr)
    if client and type(command) == 'table' and command.command then
      pcall(client_call, client, 'request', 'workspace/executeCommand',
        { command = command.command, arguments = command.arguments }, function() end, bufnr)
    end
  else
    -- acceptedLength counts the item's text now in the buffer, from its start (UTF-16 units).
    notify(st, 'textDocument/didPartiallyAcceptCompletion',
      { item = s.raw, acceptedLength = suggestion.utf16_len(typed .. piece) })
    st.last_key = nil
    render(bufnr)
  end
  return true
end

--- Hide the suggestion until the next change. Returns whether one was shown.
function M.dismiss()
  local bufnr = api.nvim_get_current_buf()
  local had = M.visible(bufnr) ~= nil
  M.clear(bufnr)
  return had
end

--- Show the next (`step` = 1) or previous (-1) suggestion, asking the server for more if needed.
function M.cycle(step)
  local bufnr = api.nvim_get_current_buf()
  local st = state(bufnr)
  if #st.items > 1 then
    st.index = (st.index - 1 + step) % #st.items + 1
    render(bufnr)
  else
    M.request(bufnr, { trigger_kind = INVOKED, cycle = step })
  end
end

--- Ask now, whatever auto_trigger says.
function M.suggest()
  M.request(0, { trigger_kind = INVOKED })
end

--- Start drawing suggestions in `bufnr`.
function M.attach(bufnr)
  local group = api.nvim_create_augroup('codestral.ghost.' .. bufnr, { clear = true })
  api.nvim_create_autocmd({ 'TextChangedI', 'CursorMovedI' }, {
    group = group,
    buffer = bufnr,
    callback = function(args)
      M.refresh(args.buf)
    end,
  })
  api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, {
    group = group,
    buffer = bufnr,
    callback = function(args)
      M.clear(args.buf)
      local st = buffers[args.buf]
      if st then
        st.last_key = nil
      end
    end,
  })
end

--- Stop drawing in `bufnr` (client detached or stopped).
function M.detach(bufnr)
  pcall(api.nvim_del_augroup_by_name, 'codestral.ghost.' .. bufnr)
  M.clear(bufnr)
  buffers[bufnr] = nil
end

return M
