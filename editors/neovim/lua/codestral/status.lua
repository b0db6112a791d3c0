--- The server's `codestral/status` notifications: kept per client, shown by `statusline()`.
local M = {}

--- @type table<integer, {state: string, message: string, uri: string|nil}>
M.by_client = {}

local LABELS = {
  ready = 'ready',
  fetching = 'fetching…',
  error = 'error',
  ['rate-limited'] = 'rate-limited',
  disabled = 'disabled',
}

--- LSP handler for `codestral/status`.
function M.handler(_, params, ctx)
  if type(params) ~= 'table' or not ctx or not ctx.client_id then
    return
  end
  M.by_client[ctx.client_id] = {
    state = tostring(params.state or 'unknown'),
    message = type(params.message) == 'string' and params.message or '',
    uri = params.uri,
  }
  vim.schedule(function()
    pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'CodestralStatus', modeline = false })
    pcall(vim.cmd.redrawstatus)
  end)
end

--- Forget a client that stopped (so the statusline does not show a dead server as ready).
function M.forget(client_id)
  M.by_client[client_id] = nil
end

--- True while the user has switched completions off (:CodestralDisable): shown at once, without
--- waiting for the server to refuse the next request.
M.switched_off = false

--- The user switched completions on or off: tell statuslines now.
function M.set_switched_off(off)
  M.switched_off = off
  pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'CodestralStatus', modeline = false })
  pcall(vim.cmd.redrawstatus)
end

--- The status of the codestral client serving `bufnr` (default: current buffer), or nil.
function M.get(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  for _, client in ipairs(vim.lsp.get_clients({ bufnr = bufnr, name = 'codestral_ls' })) do
    if M.switched_off then
      return { state = 'disabled', message = 'completions are disabled' }
    end
    local status = M.by_client[client.id]
    if status then
      return status
    end
    return { state = 'starting', message = '' }
  end
  return nil
end

--- Text for a statusline: "Codestral: ready", or "" where no codestral client is attached.
function M.statusline(bufnr)
  local status = M.get(bufnr)
  if not status then
    return ''
  end
  return 'Codestral: ' .. (LABELS[status.state] or status.state)
end

return M
