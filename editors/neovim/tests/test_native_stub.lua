-- Neovim 0.12's vim.lsp.inline_completion cannot run here (0.11 is the newest Neovim we can
-- install), so this only checks the plugin's wiring to it, with a stub recording the calls:
-- mode 'auto' picks it, it is enabled for each attached buffer, and the keys call get()/select().
local H = dofile(vim.fn.fnamemodify(arg[0], ':p:h') .. '/helpers.lua')
H.start()
H.lua([[
  _G.calls = {}
  vim.lsp.inline_completion = {
    enable = function(enable, filter) table.insert(_G.calls, { 'enable', enable, filter.bufnr }) end,
    get = function() table.insert(_G.calls, { 'get' }) return true end,
    select = function(opts) table.insert(_G.calls, { 'select', opts.count }) end,
  }
  require('codestral').setup({ cmd = ... })
]], { os.getenv('CODESTRAL_TEST_PYTHON') or 'python3', H.tests_dir .. '/fake_ls.py' })
H.eq('native', H.lua('return require("codestral").mode'), 'mode on a Neovim with vim.lsp.inline_completion')
H.lua([[vim.cmd.edit(vim.fn.tempname() .. '.py')]])
H.wait_status('ready')
local buf = H.lua('return vim.api.nvim_get_current_buf()')
H.wait_eq('inline completion enabled for the buffer', { { 'enable', true, buf } }, function()
  return H.lua('return _G.calls')
end)
H.input('ix<M-]><M-[><Tab>')
H.wait_eq('keys call select and get', { { 'enable', true, buf }, { 'select', 1 }, { 'select', -1 }, { 'get' } },
  function() return H.lua('return _G.calls') end)
H.eq('x', H.line(0), 'get() accepting means <Tab> inserts nothing itself')
H.eq(false, H.lua([[return vim.lsp.get_clients({ name = 'codestral_ls' })[1].server_capabilities ~= nil
  and require('codestral.ghost').visible(0) ~= nil]]), 'the plugin draws nothing in native mode')
H.done('native_stub')
