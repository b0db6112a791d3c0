-- codestral-ls for `vim.lsp.enable('codestral_ls')` (Neovim 0.11+). Works on its own; the
-- `codestral` plugin's setup() extends it with your settings and draws ghost text on 0.10/0.11.
local installed = pcall(require, 'codestral.install') and require('codestral.install').server_cmd()
return {
  -- The server :CodestralInstall made, else codestral-ls on PATH.
  cmd = installed or { 'codestral-ls' },
  -- Settings travel as flat camelCase initializationOptions, and under `codestral` for
  -- workspace/configuration pulls and didChangeConfiguration.
  init_options = {},
  settings = { codestral = {} },
  -- No root markers: one server for every buffer, whatever the project. No inlineCompletion
  -- client capability here: Neovim 0.12 announces it itself, and on 0.11 without the plugin's
  -- ghost text the server must answer through the completion menu instead.
  handlers = {
    ['codestral/status'] = function(...)
      local ok, status = pcall(require, 'codestral.status')
      if ok then
        status.handler(...)
      end
    end,
  },
}
