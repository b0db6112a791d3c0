--- :checkhealth codestral — the Neovim version and mode, the server command and its state,
--- and where the API key comes from (never the key itself).
local M = {}

local health = vim.health

local function key_source(settings)
  local backend = settings.backend or 'mistral'
  if type(settings.apiKey) == 'string' and settings.apiKey ~= '' then
    return 'ok', 'API key: from the apiKey setting'
  end
  if type(settings.apiKeyCommand) == 'string' and settings.apiKeyCommand ~= '' then
    return 'ok', 'API key: from the apiKeyCommand setting (run by the server)'
  end
  for _, name in ipairs({ 'CODESTRAL_API_KEY', 'MISTRAL_API_KEY' }) do
    local value = vim.env[name]
    if value and value ~= '' then
      return 'ok', ('API key: from env %s'):format(name)
    end
  end
  if backend ~= 'mistral' then
    return 'ok', ('API key: none set; backend %q may not need one'):format(backend)
  end
  return 'error', 'API key: none found (set settings.apiKey, or env CODESTRAL_API_KEY or MISTRAL_API_KEY)'
end

function M.check()
  local codestral = require('codestral')
  local options = codestral.options

  health.start('codestral.nvim')
  local v = vim.version()
  local version = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.10') == 0 then
    health.error('Neovim ' .. version .. ': 0.10 or newer is required')
  else
    health.ok('Neovim ' .. version)
  end
  if not options then
    health.warn('setup() has not been called', { 'require("codestral").setup({ ... }) in your config' })
    options = vim.tbl_extend('force', require('codestral.config').defaults, { cmd = codestral.default_cmd() })
  else
    local how = ({ native = 'native inline completion (vim.lsp.inline_completion)',
                   ghost = 'ghost text drawn by the plugin',
                   menu = 'completion menu (vim.lsp.completion)' })[codestral.mode] or tostring(codestral.mode)
    health.ok('mode: ' .. how)
    health.info('completions ' .. (codestral.is_enabled() and 'enabled' or 'disabled (:CodestralEnable)'))
  end

  health.start('codestral-ls server')
  local cmd = options.cmd
  local exe = cmd[1] and vim.fn.exepath(cmd[1]) or ''
  if exe == '' then
    health.error(('server command not found: %s'):format(table.concat(cmd, ' ')),
      { ':CodestralInstall (installs it from this plugin\'s checkout into a private venv)',
        'or from a checkout: pipx install ./  (then codestral-ls is on $PATH)', 'or set the `cmd` option' })
  else
    health.ok(('server command: %s (%s)'):format(table.concat(cmd, ' '), exe))
    local ok, result = pcall(function()
      return vim.system(vim.list_extend(vim.deepcopy(cmd), { '--version' }), { text = true, timeout = 5000 }):wait()
    end)
    if ok and result.code == 0 and vim.trim(result.stdout or '') ~= '' then
      health.ok('server version: ' .. vim.trim(result.stdout))
    else
      health.warn(('`%s --version` failed: %s'):format(table.concat(cmd, ' '),
        ok and vim.trim((result.stderr or '') .. ' (exit ' .. tostring(result.code) .. ')') or tostring(result)))
    end
  end
  local install = require('codestral.install')
  if install.server_cmd() then
    health.info('installed by :CodestralInstall in ' .. install.venv_dir())
  end
  local status = require('codestral.status')
  local clients = vim.lsp.get_clients({ name = 'codestral_ls' })
  if #clients == 0 then
    health.info('no codestral_ls client running (open a file to start one)')
  end
  for _, client in ipairs(clients) do
    local st = status.by_client[client.id]
    local line = ('client %d running'):format(client.id)
    if not st then
      health.info(line .. ', no status received yet')
    elseif st.state == 'error' or st.state == 'rate-limited' then
      health.warn(('%s, status %s: %s'):format(line, st.state, st.message))
    else
      health.ok(('%s, status %s%s'):format(line, st.state, st.message ~= '' and (': ' .. st.message) or ''))
    end
  end

  health.start('API key')
  local level, message = key_source(options.settings or {})
  health[level](message)
end

return M
