-- End to end: the real codestral-ls (CODESTRAL_TEST_SERVER_CMD, JSON list) against a fake
-- Codestral endpoint (CODESTRAL_TEST_ENDPOINT) started by the pytest side, which answers
--   prompt ending in 'greeting = "'            -> 'héllo wörld ☕"'
--   prompt ending in 'def add(a, b):\n    '    -> 'return a + b'
--   prompt ending in 'print('                  -> '"hi")'
-- and nothing otherwise. The key comes from env CODESTRAL_API_KEY.
local H = dofile(vim.fn.fnamemodify(arg[0], ':p:h') .. '/helpers.lua')
local cmd = vim.json.decode((assert(os.getenv('CODESTRAL_TEST_SERVER_CMD'), 'CODESTRAL_TEST_SERVER_CMD')))
local endpoint = assert(os.getenv('CODESTRAL_TEST_ENDPOINT'), 'CODESTRAL_TEST_ENDPOINT')
local key = assert(os.getenv('CODESTRAL_API_KEY'), 'CODESTRAL_API_KEY')

H.start()
H.lua([[require('codestral').setup({ cmd = select(1, ...), settings = { endpoint = select(2, ...) } })]], cmd, endpoint)
H.lua([[vim.cmd.edit(vim.fn.tempname() .. '.py')]])
H.wait_status('ready', 15000)
H.eq('Codestral: ready', H.lua('return require("codestral").statusline()'), 'statusline')
H.eq('utf-8', H.lua('return vim.lsp.get_clients({ name = "codestral_ls" })[1].offset_encoding'), 'negotiated encoding')

-- Ghost text appears after typing in insert mode, at the byte column of the cursor.
H.input('igreeting = "')
H.wait_eq('ghost text from the server', { { row = 0, col = #'greeting = "', text = 'héllo wörld ☕"' } }, H.ghost)

-- Accept inserts exactly the suggestion (multibyte), cursor after it, still in insert mode.
H.input('<Tab>')
H.wait_eq('line after accept', 'greeting = "héllo wörld ☕"', function() return H.line(0) end)
H.eq({ 1, #'greeting = "héllo wörld ☕"' }, H.cursor(), 'cursor after accept')
H.eq('i', H.mode(), 'mode after accept')

-- Typing through keeps it; a contradicting character clears it.
H.input('<CR>def add(a, b):<CR>    ')
H.wait_eq('ghost on the next line', { { row = 2, col = 4, text = 'return a + b' } }, H.ghost)
H.input('re')
H.wait_eq('ghost after typing through', { { row = 2, col = 6, text = 'turn a + b' } }, H.ghost)
H.input('x')
H.wait_eq('ghost cleared by a contradicting character', {}, H.ghost)
vim.wait(500) -- a fresh request goes out; the endpoint has nothing for it
H.eq({}, H.ghost(), 'no ghost for an unknown prefix')
H.eq({ 'greeting = "héllo wörld ☕"', 'def add(a, b):', '    rex' }, H.lines(), 'buffer')

-- The suggestion re-types the closer after the cursor: accepting replaces it.
H.input('<Esc>oprint()<Left>') -- autoindent keeps the 4 spaces
H.wait_eq('ghost before the closer', { { row = 3, col = 10, text = '"hi"' } }, H.ghost)
H.input('<Tab>')
H.wait_eq('closer replaced, not doubled', '    print("hi")', function() return H.line(3) end)
H.eq({ 4, #'    print("hi")' }, H.cursor(), 'cursor after the closer')

-- :checkhealth codestral reports the server and where the key comes from, never the key.
H.input('<Esc>')
H.wait_status('ready') -- leaving insert mode cancelled the last request
H.lua('vim.cmd("checkhealth codestral")')
local report = table.concat(H.lua('return vim.api.nvim_buf_get_lines(0, 0, -1, false)'), '\n')
for _, expected in ipairs({ 'server command:', 'server version: codestral-ls', 'status ready',
  'API key: from env CODESTRAL_API_KEY', 'mode: ghost text drawn by the plugin' }) do
  H.truthy(report:find(expected, 1, true), ('checkhealth should say %q:\n%s'):format(expected, report))
end
H.truthy(not report:find(key, 1, true), 'checkhealth printed the API key:\n' .. report)
H.truthy(not report:find('ERROR', 1, true), 'checkhealth reported an error:\n' .. report)

H.done('server')
