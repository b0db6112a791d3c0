--- The completion-menu fallback (`mode = 'menu'`), through Neovim's `vim.lsp.completion`.
---
--- Neovim 0.11 inserts only the first whitespace-free word of a plain-text `textEdit`
--- (`newText:match('^%S*')`) and applies nothing more when the item is chosen, so a suggestion
--- like `return a + b` would become `return`, and it ignores the part of the range after the
--- cursor. On CompleteDone we insert the rest of the item's text, and drop the closers after the
--- cursor that the item's range replaces.
local M = {}

local api = vim.api

-- Where the cursor was when the menu's request went out, per buffer: {row, col} (0-based).
local request_cursor = {}

--- Remember the cursor as the request position (called before asking for the menu).
function M.mark(bufnr)
  bufnr = bufnr == 0 and api.nvim_get_current_buf() or bufnr
  local pos = api.nvim_win_get_cursor(0)
  request_cursor[bufnr] = { pos[1] - 1, pos[2] }
end

--- How many bytes after the cursor the item's range replaces (the closers it re-types), from the
--- range and the request position; 0 when unknown, so nothing the user wrote is ever deleted.
local function closers_after(bufnr, edit, text, after)
  local at = request_cursor[bufnr]
  local range = edit.range
  if not at or type(range) ~= 'table' or range.start.line ~= at[1] or range['end'].line ~= at[1] then
    return 0
  end
  local n = range['end'].character - at[2]
  if n <= 0 or n > #after or at[2] < range.start.character then
    return 0
  end
  return after:sub(1, n) == text:sub(-n) and n or 0
end

--- Finish inserting `item` whose first `word` Neovim put before the cursor.
local function complete_rest(bufnr, word, item, utf8)
  local edit = item.textEdit
  if type(edit) ~= 'table' or type(edit.newText) ~= 'string' or item.insertTextFormat == 2 then
    return
  end
  local text = edit.newText
  if text:sub(1, #word) ~= word then
    return
  end
  local pos = api.nvim_win_get_cursor(0)
  local row, col = pos[1] - 1, pos[2]
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  if line:sub(col - #word + 1, col) ~= word then
    return
  end
  local rest = text:sub(#word + 1)
  local drop = utf8 and closers_after(bufnr, edit, text, line:sub(col + 1)) or 0
  if rest == '' and drop == 0 then
    return
  end
  require('codestral.suggestion').insert(bufnr, row, col, col + drop, rest)
end

--- Offer suggestions in `bufnr`'s completion menu, from `client`.
function M.attach(client, bufnr, autotrigger)
  if not vim.lsp.completion then
    return -- Neovim 0.10: use the omnifunc (<C-x><C-o>), which inserts the item's word only
  end
  vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = autotrigger })
  local group = api.nvim_create_augroup('codestral.menu.' .. bufnr, { clear = true })
  api.nvim_create_autocmd({ 'TextChangedI', 'CursorMovedI' }, {
    group = group,
    buffer = bufnr,
    callback = function(args)
      if vim.fn.pumvisible() == 0 then
        M.mark(args.buf)
      end
    end,
  })
  api.nvim_create_autocmd('CompleteDone', {
    group = group,
    buffer = bufnr,
    callback = function(args)
      local done = vim.v.completed_item
      local lsp_data = type(done) == 'table' and type(done.user_data) == 'table'
        and done.user_data.nvim and done.user_data.nvim.lsp
      if not lsp_data or lsp_data.client_id ~= client.id or type(lsp_data.completion_item) ~= 'table' then
        return
      end
      if vim.v.event and vim.v.event.reason and vim.v.event.reason ~= 'accept' then
        return
      end
      complete_rest(args.buf, done.word or '', lsp_data.completion_item, client.offset_encoding == 'utf-8')
    end,
  })
end

function M.detach(bufnr)
  request_cursor[bufnr] = nil
  pcall(api.nvim_del_augroup_by_name, 'codestral.menu.' .. bufnr)
end

return M
