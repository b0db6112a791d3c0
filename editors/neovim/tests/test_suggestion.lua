-- Table tests of the pure parts of a suggestion: cutting a word or a line, UTF-16 lengths,
-- and LSP columns to byte columns. No child Neovim, no server.
local H = dofile(vim.fn.fnamemodify(arg[0], ':p:h') .. '/helpers.lua')
vim.opt.rtp:prepend(H.plugin_root)
local suggestion = require('codestral.suggestion')

local pieces = {
  -- rest, how, expected piece
  { 'foo bar', 'word', 'foo' },
  { ' bar\nbaz', 'word', ' bar' },
  { '(a, b)', 'word', '(' },
  { '   ', 'word', '   ' },
  { '\n    return x', 'word', '\n    return' },
  { 'héllo wörld', 'word', 'héllo' },
  { '☕"', 'word', '☕' },
  { 'a + b\nc', 'line', 'a + b' },
  { '\n    return x\nend', 'line', '\n    return x' },
  { 'single', 'line', 'single' },
  { 'x\ny', 'all', 'x\ny' },
}
for _, case in ipairs(pieces) do
  H.eq(case[3], suggestion.piece(case[1], case[2]), ('piece(%q, %s)'):format(case[1], case[2]))
end

local lengths = { { '', 0 }, { 'abc', 3 }, { 'héllo', 5 }, { '☕', 1 }, { '😀', 2 }, { 'a\nb', 3 } }
for _, case in ipairs(lengths) do
  H.eq(case[2], suggestion.utf16_len(case[1]), ('utf16_len(%q)'):format(case[1]))
end

local line = 'x = "😀é"'
local columns = {
  -- character, encoding, expected byte column
  { 5, 'utf-8', 5 },
  { 5, 'utf-16', 5 },
  { 7, 'utf-16', 9 },   -- after the emoji: 2 UTF-16 units, 4 bytes
  { 8, 'utf-16', 11 },  -- after é: 2 bytes
  { 6, 'utf-32', 9 },
  { 99, 'utf-8', #line },
  { 99, 'utf-16', #line },
}
for _, case in ipairs(columns) do
  H.eq(case[3], suggestion.byte_col(line, case[1], case[2]), ('byte_col(%q, %d, %s)'):format(line, case[1], case[2]))
end

H.log('PASS suggestion')
os.exit(0)
