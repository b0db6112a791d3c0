--- codestral.nvim: starts codestral-ls, passes it your settings, shows its state, and draws
--- ghost text where Neovim cannot (0.10/0.11). Neovim 0.12+ draws it natively.
local M = {}

local api = vim.api
local config = require('codestral.config')
local ghost = require('codestral.ghost')
local install = require('codestral.install')
local menu = require('codestral.menu')
local status = require('codestral.status')

--- @type codestral.Options|nil  the options given to setup(), resolved
M.options = nil
--- @type 'native'|'ghost'|'menu'|nil  how suggestions are shown, decided by setup()
M.mode = nil

local NAME = 'codestral_ls'

local function has_native()
  return vim.lsp.inline_completion ~= nil
end

local function resolve_mode(mode)
  if mode == 'auto' then
    return has_native() and 'native' or 'ghost'
  end
  if mode == 'native' and not has_native() then
    vim.notify('codestral: mode "native" needs Neovim 0.12+; drawing ghost text instead', vim.log.levels.WARN)
    return 'ghost'
  end
  return mode
end

--- The server command when setup() is given none: the one :CodestralInstall made, else PATH's.
function M.default_cmd()
  return install.server_cmd() or { 'codestral-ls' }
end

--- The LSP client config that setup() registers (on top of lsp/codestral_ls.lua).
function M.lsp_config(options)
  options = options or M.options or config.defaults
  local settings = vim.deepcopy(options.settings)
  return {
    name = NAME,
    cmd = options.cmd or M.default_cmd(),
    filetypes = options.filetypes,
    init_options = settings,
    settings = { codestral = vim.deepcopy(settings) },
    -- The server leaves the completion menu empty for clients that show ghost text, and sends
    -- no progress reports to clients that show `codestral/status` themselves (this plugin does).
    capabilities = {
      textDocument = options.mode ~= 'menu' and { inlineCompletion = { dynamicRegistration = false } } or nil,
      experimental = { codestralStatus = true },
    },
    handlers = { ['codestral/status'] = status.handler },
  }
end

local function clients()
  return vim.lsp.get_clients({ name = NAME })
end

--- Send changed settings to running servers (and keep them for workspace/configuration pulls).
local function push_settings()
  local settings = M.options.settings
  for _, client in ipairs(clients()) do
    client.settings = { codestral = vim.deepcopy(settings) }
    local notify = vim.fn.has('nvim-0.11') == 1 and client.notify or function(_, ...) return client.notify(...) end
    pcall(notify, client, 'workspace/didChangeConfiguration', { settings = { codestral = vim.deepcopy(settings) } })
  end
end

--- Turn completions on or off, in the plugin and in the server.
function M.set_enabled(enabled)
  if not M.options then
    vim.notify('codestral: call require("codestral").setup() first', vim.log.levels.WARN)
    return
  end
  M.options.settings.enable = enabled
  ghost.enabled = enabled
  status.set_switched_off(not enabled)
  if not enabled then
    for _, buf in ipairs(api.nvim_list_bufs()) do
      ghost.clear(buf)
    end
  end
  push_settings()
end

function M.is_enabled()
  return M.options ~= nil and M.options.settings.enable ~= false
end

--- Text for a statusline, e.g. `%{v:lua.require'codestral'.statusline()}`.
function M.statusline(bufnr)
  return status.statusline(bufnr)
end

--- Lines describing the state, for :CodestralStatus.
function M.status_lines()
  local lines = { ('codestral: %s, mode %s'):format(M.is_enabled() and 'enabled' or 'disabled', M.mode or 'not set up') }
  local any = false
  for _, client in ipairs(clients()) do
    any = true
    local st = status.by_client[client.id] or { state = 'starting', message = '' }
    local msg = st.message ~= '' and (' — ' .. st.message) or ''
    table.insert(lines, ('client %d: %s%s'):format(client.id, st.state, msg))
  end
  if not any then
    table.insert(lines, 'no codestral_ls client running')
  end
  return lines
end

local function attach(client, bufnr)
  if M.mode == 'ghost' then
    ghost.attach(bufnr)
  elseif M.mode == 'native' then
    -- Neovim 0.12+: not testable here (0.11 is the newest Neovim the registries offer).
    pcall(vim.lsp.inline_completion.enable, true, { bufnr = bufnr })
  elseif M.mode == 'menu' then
    menu.attach(client, bufnr, M.options.auto_trigger)
  end
end

-- Each keymap: what it does in ghost mode, and in native mode (nil: not offered there).
local ACTIONS = {
  accept = { ghost = function() return ghost.accept('all') end,
             native = function() return vim.lsp.inline_completion.get() end },
  accept_word = { ghost = function() return ghost.accept('word') end },
  accept_line = { ghost = function() return ghost.accept('line') end },
  dismiss = { ghost = function() return ghost.dismiss() end },
  next = { ghost = function() ghost.cycle(1) return true end,
           native = function() vim.lsp.inline_completion.select({ count = 1 }) return true end },
  prev = { ghost = function() ghost.cycle(-1) return true end,
           native = function() vim.lsp.inline_completion.select({ count = -1 }) return true end },
  suggest = { ghost = function() ghost.suggest() return true end,
              menu = function()
                if vim.lsp.completion then
                  menu.mark(0)
                  vim.lsp.completion.get()
                end
                return true
              end },
}

-- Keys that only act on a visible suggestion and otherwise do what they normally do.
local FALLS_THROUGH = { accept = true, accept_word = true, accept_line = true, dismiss = true }

--- Run a keymap action; used by the mappings (`<Cmd>` keeps text changes legal in insert mode).
function M._run(name)
  local action = ACTIONS[name] and ACTIONS[name][M.mode]
  if action then
    action()
  end
end

local function set_keymaps(keymaps)
  if not keymaps then
    return
  end
  for name, lhs in pairs(keymaps) do
    if lhs and ACTIONS[name] and ACTIONS[name][M.mode] then
      vim.keymap.set('i', lhs, function()
        if #vim.lsp.get_clients({ bufnr = 0, name = NAME }) == 0 then
          return lhs -- not a codestral buffer: the key keeps its meaning
        end
        if FALLS_THROUGH[name] and M.mode == 'ghost' and not ghost.visible(0) then
          return lhs
        end
        if M.mode == 'native' and name == 'accept' then
          return vim.lsp.inline_completion.get() and '' or lhs
        end
        return ('<Cmd>lua require("codestral")._run(%q)<CR>'):format(name)
      end, { expr = true, silent = true, desc = 'Codestral: ' .. name:gsub('_', ' ') })
    end
  end
end

--- Start (or restart) the server with `cmd` for every buffer that should have it.
local function use_cmd(cmd)
  M.options.cmd = cmd
  for _, client in ipairs(clients()) do
    if vim.fn.has('nvim-0.11') == 1 then client:stop() else client.stop() end
  end
  -- The old clients must be gone, or vim.lsp.start would reuse them.
  vim.wait(3000, function() return #clients() == 0 end, 50)
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config(NAME, { cmd = cmd })
    vim.lsp.enable(NAME)
  end
  -- Buffers opened before: start them as FileType would have (vim.lsp.enable only does so
  -- itself once Neovim has finished starting).
  local group = (vim.lsp.config and vim.lsp.enable) and 'nvim.lsp.enable' or 'codestral'
  for _, buf in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_is_loaded(buf) and vim.bo[buf].buftype == '' and vim.bo[buf].filetype ~= '' then
      pcall(api.nvim_exec_autocmds, 'FileType', { group = group, buffer = buf, modeline = false })
    end
  end
end

--- :CodestralInstall [python] — install the server from this checkout, then use it (unless
--- setup() was given its own `cmd`).
function M.install(python)
  install.install(python, function(ok)
    if ok and M.options and not M.cmd_given then
      use_cmd(install.server_cmd() or M.default_cmd())
    end
  end)
end

local function create_commands()
  api.nvim_create_user_command('CodestralEnable', function() M.set_enabled(true) end,
    { desc = 'Turn Codestral completions on' })
  api.nvim_create_user_command('CodestralDisable', function() M.set_enabled(false) end,
    { desc = 'Turn Codestral completions off' })
  api.nvim_create_user_command('CodestralToggle', function() M.set_enabled(not M.is_enabled()) end,
    { desc = 'Toggle Codestral completions' })
  api.nvim_create_user_command('CodestralInstall', function(args) M.install(args.args) end,
    { desc = 'Install codestral-ls from this plugin\'s checkout into a private venv', nargs = '?', complete = 'file' })
  api.nvim_create_user_command('CodestralStatus', function()
    vim.notify(table.concat(M.status_lines(), '\n'), vim.log.levels.INFO)
  end, { desc = 'Show the state of codestral-ls' })
end

--- Configure and start. Raises an error listing every invalid option.
--- @param opts? codestral.Options
function M.setup(opts)
  local options, problems = config.resolve(opts)
  if not options then
    error('codestral.setup: invalid options:\n  - ' .. table.concat(problems, '\n  - '), 0)
  end
  if vim.fn.has('nvim-0.10') == 0 then
    error('codestral.setup: Neovim 0.10 or newer is required', 0)
  end
  M.cmd_given = options.cmd ~= nil
  options.cmd = options.cmd or M.default_cmd()
  M.options = options
  M.mode = resolve_mode(options.mode)
  ghost.auto_trigger = options.auto_trigger
  ghost.enabled = options.settings.enable ~= false
  status.switched_off = not ghost.enabled
  api.nvim_set_hl(0, 'CodestralSuggestion', { link = 'Comment', default = true })

  local group = api.nvim_create_augroup('codestral', { clear = true })
  api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == NAME then
        attach(client, args.buf)
      end
    end,
  })
  api.nvim_create_autocmd('LspDetach', {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == NAME then
        ghost.detach(args.buf)
        menu.detach(args.buf)
        local stopped
        if vim.fn.has('nvim-0.11') == 1 then
          stopped = client:is_stopped()
        else
          stopped = client.is_stopped()
        end
        if stopped or vim.tbl_isempty(client.attached_buffers or {}) then
          status.forget(client.id)
        end
      end
    end,
  })

  local lsp_config = M.lsp_config(options)
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config(NAME, lsp_config)
    vim.lsp.enable(NAME)
  else
    -- Neovim 0.10: no vim.lsp.enable; start (or reuse) the client for each file buffer.
    local base = dofile(api.nvim_get_runtime_file('lsp/codestral_ls.lua', false)[1])
    local start_config = vim.tbl_deep_extend('force', base, lsp_config)
    api.nvim_create_autocmd('FileType', {
      group = group,
      callback = function(args)
        local ft_ok = not options.filetypes or vim.tbl_contains(options.filetypes, vim.bo[args.buf].filetype)
        if vim.bo[args.buf].buftype == '' and ft_ok then
          start_config.cmd = M.options.cmd -- :CodestralInstall may have changed it
          vim.lsp.start(vim.deepcopy(start_config), { bufnr = args.buf })
        end
      end,
    })
  end
  create_commands()
  set_keymaps(options.keymaps)
end

return M
