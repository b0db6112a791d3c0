-- setup() validates its options, and the lsp/ config is what vim.lsp.enable() picks up.
local H = dofile(vim.fn.fnamemodify(arg[0], ':p:h') .. '/helpers.lua')
H.start()

local function setup_error(opts)
  return H.lua([[
    local ok, err = pcall(require('codestral').setup, ...)
    return ok and vim.NIL or err
  ]], opts)
end

local err = setup_error({ mode = 'bogus', cmd = {}, keymaps = { acept = '<Tab>' }, colour = 1,
  settings = { api_key = 'x' } })
H.truthy(type(err) == 'string', 'setup() with bad options must raise, got ' .. vim.inspect(err))
for _, expected in ipairs({ 'mode: expected one of', 'cmd: expected a non-empty list', 'keymaps.acept: unknown action',
  'unknown option "colour"', 'settings.api_key: server settings are camelCase' }) do
  H.truthy(err:find(expected, 1, true), ('setup() error should mention %q:\n%s'):format(expected, err))
end
H.eq(vim.NIL, H.lua('return require("codestral").options or vim.NIL'), 'options after a failed setup()')

-- Valid options are accepted and registered with vim.lsp.config on top of lsp/codestral_ls.lua.
H.eq(vim.NIL, setup_error({ cmd = { 'my-server', '--stdio' }, settings = { model = 'm', debounceMs = 50 },
  keymaps = { accept = '<C-l>', dismiss = false } }), 'setup() with good options')
local cfg = H.lua([[
  local c = vim.lsp.config.codestral_ls
  return { cmd = c.cmd, init = c.init_options, settings = c.settings,
    status_handler = type(c.handlers['codestral/status']),
    inline = c.capabilities.textDocument.inlineCompletion ~= nil,
    enabled = vim.lsp.is_enabled('codestral_ls'), mode = require('codestral').mode }
]])
H.eq({ 'my-server', '--stdio' }, cfg.cmd, 'cmd')
H.eq({ model = 'm', debounceMs = 50 }, cfg.init, 'init_options (flat camelCase)')
H.eq({ codestral = { model = 'm', debounceMs = 50 } }, cfg.settings, 'settings.codestral')
H.eq('function', cfg.status_handler, 'codestral/status handler')
H.eq(true, cfg.inline, 'inlineCompletion client capability')
H.eq(true, cfg.enabled, 'vim.lsp.is_enabled')
H.eq('ghost', cfg.mode, 'mode on Neovim 0.11 (no vim.lsp.inline_completion)')

local maps = H.lua([[
  local out = {}
  for _, lhs in ipairs({ '<C-L>', '<C-]>', '<M-]>' }) do
    out[lhs] = vim.fn.maparg(lhs, 'i', false, true).desc or vim.NIL
  end
  return out
]])
H.eq('Codestral: accept', maps['<C-L>'], 'accept mapped to the configured key')
H.eq(vim.NIL, maps['<C-]>'], 'dismiss disabled with false')
H.eq('Codestral: next', maps['<M-]>'], 'next keeps its default')

local commands = H.lua('return vim.tbl_keys(vim.api.nvim_get_commands({}))')
for _, name in ipairs({ 'CodestralEnable', 'CodestralDisable', 'CodestralStatus', 'CodestralToggle' }) do
  H.truthy(vim.tbl_contains(commands, name), 'missing command :' .. name)
end
-- The lsp/ file alone (no setup) is a usable config.
local base = H.lua('return dofile(vim.api.nvim_get_runtime_file("lsp/codestral_ls.lua", false)[1]).cmd')
H.eq({ 'codestral-ls' }, base, 'lsp/codestral_ls.lua cmd')
H.eq('', H.lua('return require("codestral").statusline()'), 'statusline without a client')
H.done('setup')
