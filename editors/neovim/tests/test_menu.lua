-- mode = 'menu': the completion-menu fallback through vim.lsp.completion, with the real server
-- (same endpoint script as test_server.lua). The suggestion is one item of the menu, and
-- selecting it inserts the suggestion.
local H = dofile(vim.fn.fnamemodify(arg[0], ':p:h') .. '/helpers.lua')
local cmd = vim.json.decode((assert(os.getenv('CODESTRAL_TEST_SERVER_CMD'), 'CODESTRAL_TEST_SERVER_CMD')))
local endpoint = assert(os.getenv('CODESTRAL_TEST_ENDPOINT'), 'CODESTRAL_TEST_ENDPOINT')

H.start()
H.lua([[require('codestral').setup({ cmd = select(1, ...), mode = 'menu', settings = { endpoint = select(2, ...) } })]],
  cmd, endpoint)
H.lua([[vim.o.completeopt = 'menu,menuone,noinsert'; vim.cmd.edit(vim.fn.tempname() .. '.py')]])
H.wait_status('ready', 15000)
H.eq('menu', H.lua('return require("codestral").mode'), 'mode')
-- Ghost-text clients get an empty menu from the server, so menu mode must not claim inline completion.
H.eq(vim.NIL, H.lua([[
  local caps = vim.lsp.get_clients({ name = 'codestral_ls' })[1].capabilities.textDocument
  return caps.inlineCompletion or vim.NIL
]]), 'inlineCompletion client capability in menu mode')

H.input('igreeting = "<M-\\>')
local words = H.wait_for('a completion menu with the suggestion', function()
  local info = H.lua('return vim.fn.complete_info({ "items" })')
  local out = {}
  for _, item in ipairs(info.items or {}) do
    table.insert(out, item.word)
  end
  return #out > 0 and out or nil
end, 15000)
H.truthy(#words == 1, 'one menu item, got ' .. vim.inspect(words))
H.input('<C-y>')
H.wait_eq('line after choosing the item', 'greeting = "héllo wörld ☕"', function() return H.line(0) end)
H.eq({}, H.ghost(), 'no ghost text in menu mode')

-- The item re-types the closer after the cursor: it must replace it, not double it.
H.input('<CR>print()<Left><M-\\>')
H.wait_for('a menu item inside print()', function()
  return #(H.lua('return vim.fn.complete_info({ "items" })').items or {}) > 0
end, 15000)
H.input('<C-y>')
H.wait_eq('closer replaced', 'print("hi")', function() return H.line(1) end)
H.eq({ 2, #'print("hi")' }, H.cursor(), 'cursor after the closer')
H.done('menu')
