-- Ghost text against a scripted server (fake_ls.py) that returns exact items: drawing at byte
-- columns, typing through, contradicting, accepting whole / word / line, closers, cycling,
-- dismissing, and the show / partial-accept / accept messages sent back.
local H = dofile(vim.fn.fnamemodify(arg[0], ':p:h') .. '/helpers.lua')

local log = vim.fn.tempname()
local rules = {
  { prefix = 'def add(', items = { { insertText = 'a, b):' } } },
  { prefix = 'print(', items = { { insertText = '"hi")', replace = 1 } } },
  { prefix = 'msg = "', items = { { insertText = 'héllo wörld ☕"\nprint(msg)' } } },
  { prefix = 'pick ', items = { { insertText = 'one' }, { insertText = 'two' } } },
  { prefix = 'ret', items = { { insertText = 'return x', back = 3 } } },
  { prefix = 'slow', items = { { insertText = ' = 1' } }, delay = 0.5 },
}
H.start({
  FAKE_LS_RULES = vim.json.encode(rules),
  FAKE_LS_LOG = log,
})
local python = os.getenv('CODESTRAL_TEST_PYTHON') or 'python3'
H.lua([[require('codestral').setup({ cmd = ... })]], { python, H.tests_dir .. '/fake_ls.py' })
H.lua([[vim.cmd.edit(vim.fn.tempname() .. '.py')]])
H.wait_status('ready')
H.eq('Codestral: ready', H.lua('return require("codestral").statusline()'), 'statusline')
local status_lines = H.lua('return require("codestral").status_lines()')
H.eq('codestral: enabled, mode ghost', status_lines[1], ':CodestralStatus first line')
H.truthy(status_lines[2]:match('^client %d+: ready — fake server ready$'), ':CodestralStatus client line: ' .. tostring(status_lines[2]))
H.eq('utf-8', H.lua('return vim.lsp.get_clients({ name = "codestral_ls" })[1].offset_encoding'), 'negotiated encoding')

-- 1. Typing in insert mode shows the suggestion as an inline extmark at the cursor.
H.input('idef add(')
H.wait_eq('ghost after "def add("', { { row = 0, col = 8, text = 'a, b):' } }, H.ghost)
H.wait_for('didShowCompletion', function()
  return #H.messages_with(log, 'textDocument/didShowCompletion') == 1
end)
H.eq('a, b):', H.messages_with(log, 'textDocument/didShowCompletion')[1].params.item.insertText, 'shown item')

-- 2. Typing what the suggestion says keeps the rest; typing something else clears it.
H.input('a')
H.wait_eq('ghost after typing through', { { row = 0, col = 9, text = ', b):' } }, H.ghost)
H.input('x')
H.wait_eq('ghost cleared by a contradicting character', {}, H.ghost)
H.eq('def add(ax', H.line(0), 'buffer after typing')

-- 3. Multibyte: ghost placed at the byte column; accept inserts exactly the suggestion.
H.input('<Esc>ccmsg = "')
H.wait_eq('multibyte ghost', { { row = 0, col = 7, text = 'héllo wörld ☕"\nprint(msg)' } }, H.ghost)
H.input('<M-Right>') -- accept a word
H.wait_eq('line after accepting a word', 'msg = "héllo', function() return H.line(0) end)
H.wait_eq('ghost after accepting a word', { { row = 0, col = #'msg = "héllo', text = ' wörld ☕"\nprint(msg)' } }, H.ghost)
local partial = H.wait_for('didPartiallyAcceptCompletion', function()
  return H.messages_with(log, 'textDocument/didPartiallyAcceptCompletion')[1]
end)
H.eq(5, partial.params.acceptedLength, 'acceptedLength counts UTF-16 units of "héllo"')
H.input('<M-Down>') -- accept the rest of the line
H.wait_eq('line after accepting a line', 'msg = "héllo wörld ☕"', function() return H.line(0) end)
H.wait_for('second partial accept', function()
  return #H.messages_with(log, 'textDocument/didPartiallyAcceptCompletion') == 2
end)
H.eq(14, H.messages_with(log, 'textDocument/didPartiallyAcceptCompletion')[2].params.acceptedLength,
  'acceptedLength after the line ("héllo wörld ☕\\"" is 14 UTF-16 units)')
H.wait_eq('ghost of the next line', { { row = 0, col = #'msg = "héllo wörld ☕"', text = '\nprint(msg)' } }, H.ghost)
H.input('<Tab>') -- accept everything left
H.wait_eq('buffer after accepting the rest', { 'msg = "héllo wörld ☕"', 'print(msg)' }, H.lines)
H.eq({ 2, #'print(msg)' }, H.cursor(), 'cursor at the end of the accepted text')
H.eq('i', H.mode(), 'still in insert mode')
local exec = H.wait_for('workspace/executeCommand', function()
  return H.messages_with(log, 'workspace/executeCommand')[1]
end)
H.eq({ command = 'codestral.accept', arguments = { { id = 'fake-0' } } },
  { command = exec.params.command, arguments = exec.params.arguments }, 'accept command')

-- 4. Closers: the item replaces the ")" after the cursor; accept must not double it.
H.input('<Esc>ggdGiprint()<Left>')
H.wait_eq('ghost before the closer', { { row = 0, col = 6, text = '"hi"' } }, H.ghost)
H.input('<Tab>')
H.wait_eq('closer replaced, not doubled', 'print("hi")', function() return H.line(0) end)
H.eq({ 1, #'print("hi")' }, H.cursor(), 'cursor after the closer')

-- 5. A range starting before the cursor (the server re-types the word) is drawn from the cursor.
H.input('<Esc>ccret')
H.wait_eq('ghost of a range starting before the cursor', { { row = 0, col = 3, text = 'urn x' } }, H.ghost)
H.input('<Tab>')
H.wait_eq('accepted range item', 'return x', function() return H.line(0) end)

-- 6. Cycling through several items, and dismissing.
H.input('<Esc>ccpick ')
H.wait_eq('first of two items', { { row = 0, col = 5, text = 'one' } }, H.ghost)
H.input('<M-]>')
H.wait_eq('next item', { { row = 0, col = 5, text = 'two' } }, H.ghost)
H.input('<M-[>')
H.wait_eq('previous item', { { row = 0, col = 5, text = 'one' } }, H.ghost)
H.input('<C-]>')
H.wait_eq('dismissed', {}, H.ghost)
H.input('<Tab>')
H.wait_eq('<Tab> without a suggestion inserts a tab', 'pick \t', function() return H.line(0) end)

-- 7. Leaving insert mode clears; :CodestralDisable stops suggestions, :CodestralEnable resumes.
H.input('<Esc>ccdef add(')
H.wait_eq('ghost again', { { row = 0, col = 8, text = 'a, b):' } }, H.ghost)
H.input('<Esc>')
H.wait_eq('ghost cleared on InsertLeave', {}, H.ghost)
H.lua('vim.cmd.CodestralDisable()')
-- The statusline says so at once, before any keystroke or server reply.
H.eq('Codestral: disabled', H.lua('return require("codestral").statusline()'), 'statusline right after :CodestralDisable')
H.wait_for('didChangeConfiguration with enable=false', function()
  local changes = H.messages_with(log, 'workspace/didChangeConfiguration')
  return changes[1] and changes[#changes].params.settings.codestral.enable == false
end)
local before = #H.messages_with(log, 'textDocument/inlineCompletion')
H.input('ccdef add(')
H.wait_eq('typed while disabled', 'def add(', function() return H.line(0) end)
vim.wait(300)
H.eq(before, #H.messages_with(log, 'textDocument/inlineCompletion'), 'no requests while disabled')
H.eq({}, H.ghost(), 'no ghost while disabled')
H.lua('vim.cmd.CodestralEnable()')
H.truthy(H.lua('return require("codestral").statusline()') ~= 'Codestral: disabled', 'statusline after :CodestralEnable')
H.input('<BS>(')
H.wait_eq('ghost after re-enabling', { { row = 0, col = 8, text = 'a, b):' } }, H.ghost)

-- 8. Typing while a request is pending cancels it, and its late answer is not drawn.
H.input('<Esc>ccslow')
local slow_request = H.wait_for('the request at "slow"', function()
  for _, m in ipairs(H.messages_with(log, 'textDocument/inlineCompletion')) do
    if m.params.position.character == 4 and m.params.position.line == 0 then
      return m
    end
  end
end)
H.input('x')
H.wait_for('$/cancelRequest for the pending request ' .. slow_request.id, function()
  for _, m in ipairs(H.messages_with(log, '$/cancelRequest')) do
    if m.params.id == slow_request.id then
      return true
    end
  end
end)
vim.wait(700)
H.eq({}, H.ghost(), 'the late answer to a cancelled request is not drawn')
H.eq('slowx', H.line(0), 'buffer')

H.done('ghost')
