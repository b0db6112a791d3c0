--- A suggestion in buffer terms: an inline completion item converted once to byte columns,
--- how much of it the user has typed since, and how to cut its next word or line. No drawing.
local M = {}

local api = vim.api
local HAS_011 = vim.fn.has('nvim-0.11') == 1

--- Byte column of LSP `character` on `line`, in the negotiated `encoding`.
function M.byte_col(line, character, encoding)
  if encoding == 'utf-8' then
    return math.min(character, #line)
  end
  local ok, col
  if HAS_011 then
    ok, col = pcall(vim.str_byteindex, line, encoding, character, false)
  else
    ok, col = pcall(vim.str_byteindex, line, character, encoding == 'utf-16')
  end
  return ok and col or #line
end

--- Length of `text` in UTF-16 code units (what didPartiallyAcceptCompletion counts).
function M.utf16_len(text)
  if HAS_011 then
    return vim.str_utfindex(text, 'utf-16')
  end
  local _, units = vim.str_utfindex(text)
  return units
end

local function line_at(bufnr, row)
  return api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
end

--- Turn a received item into {raw, text, row, col, tail} in byte columns, or nil if unusable.
--- `row, col` is where `text` starts; `tail` the text after the cursor that the item replaces.
function M.normalize(item, bufnr, encoding, crow, ccol)
  if type(item) ~= 'table' then
    return nil
  end
  local text = item.insertText
  if type(text) == 'table' then
    text = text.value -- a StringValue snippet: shown and inserted as plain text
  end
  if type(text) ~= 'string' or text == '' then
    return nil
  end
  local srow, scol, erow, ecol = crow, ccol, crow, ccol
  local range = item.range
  if type(range) == 'table' and range.start and range['end'] then
    srow, erow = range.start.line, range['end'].line
    scol = M.byte_col(line_at(bufnr, srow), range.start.character, encoding)
    ecol = M.byte_col(line_at(bufnr, erow), range['end'].character, encoding)
  end
  if srow > crow or (srow == crow and scol > ccol) then
    return nil -- a range starting after the cursor is not something ghost text can show
  end
  if erow < crow or (erow == crow and ecol < ccol) then
    erow, ecol = crow, ccol
  end
  local tail = table.concat(api.nvim_buf_get_text(bufnr, crow, ccol, erow, ecol, {}), '\n')
  return { raw = item, text = text, row = srow, col = scol, tail = tail }
end

--- What is left of suggestion `s` to insert at the cursor, given what the user typed since its
--- start; nil when the buffer no longer agrees with it.
--- `crow, ccol`: the cursor (0-based row, byte column).
function M.remaining(bufnr, s, crow, ccol)
  if not crow or crow < s.row or (crow == s.row and ccol < s.col) then
    return nil
  end
  local typed = table.concat(api.nvim_buf_get_text(bufnr, s.row, s.col, crow, ccol, {}), '\n')
  if #typed > #s.text or s.text:sub(1, #typed) ~= typed then
    return nil
  end
  return s.text:sub(#typed + 1), typed
end

local WORD = '[%w_\128-\255]'

--- The next piece of `rest` to accept: `how` = 'word' (leading blanks and one word, or one run
--- of punctuation), 'line' (up to the end of its line; a leading newline takes the next line).
function M.piece(rest, how)
  if how == 'word' then
    return rest:match('^%s*' .. WORD .. '+') or rest:match('^%s*[^%w_\128-\255%s]+') or rest:match('^%s+')
  elseif how == 'line' then
    local line = rest:match('^[^\n]*')
    if line ~= '' then
      return line
    end
    return rest:match('^\n[^\n]*')
  end
  return rest
end

--- Replace bytes [col, del_end) of `row` with `text` (may hold newlines); cursor after it.
function M.insert(bufnr, row, col, del_end, text)
  local lines = vim.split(text, '\n', { plain = true })
  api.nvim_buf_set_text(bufnr, row, col, row, del_end, lines)
  local end_row = row + #lines - 1
  local end_col = (#lines == 1 and col or 0) + #lines[#lines]
  api.nvim_win_set_cursor(0, { end_row + 1, end_col })
end

return M
