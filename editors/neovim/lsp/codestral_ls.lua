-- codestral-ls for `vim.lsp.enable('codestral_ls')` (Neovim 0.11+). Works on its own; the
-- `codestral` plugin's setup() extends it with your settings and draws ghost text on 0.10/0.11.
return {
  cmd = { 'codestral-ls' },
  -- Settings travel as flat camelCase initializationOptions, and under `codestral` for
  -- workspace/configuration pulls and didChangeConfiguration.
  init_options = {},
  settings = { codestral = {} },
  -- One server for every buffer, whatever the project: completion needs no workspace root.
  capabilities = {
    textDocument = { inlineCompletion = { dynamicRegistration = false } },
  },
  handlers = {
    ['codestral/status'] = function(...)
      local ok, status = pcall(require, 'codestral.status')
      if ok then
        status.handler(...)
      end
    end,
  },
}
