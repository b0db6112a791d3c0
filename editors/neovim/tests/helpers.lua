-- Test harness: this script's Neovim (run with `nvim -l`) drives a child Neovim over RPC, so
-- keys go through the child's real input loop (insert mode, TextChangedI, mappings) as if typed.
-- Every failure exits non-zero with a message saying what was expected and what was seen.
local H = {}

local this_dir = debug.getinfo(1, 'S').source:sub(2):match('(.*)/') or '.'
H.tests_dir = vim.fn.fnamemodify(this_dir, ':p'):gsub('/$', '')
H.plugin_root = vim.fn.fnamemodify(H.tests_dir, ':h')
H.timeout = tonumber(os.getenv('CODESTRAL_TEST_TIMEOUT_MS') or '') or 5000

local chan

function H.log(msg)
  io.stdout:write(msg .. '\n')
end

local function child_messages()
  if not chan then
    return ''
  end
  local ok, out = pcall(vim.rpcrequest, chan, 'nvim_exec2', 'messages', { output = true })
  return ok and out.output or ('(could not read messages: ' .. tostring(out) .. ')')
end

function H.fail(msg)
  io.stderr:write('FAIL: ' .. msg .. '\n')
  io.stderr:write('--- child :messages ---\n' .. child_messages() .. '\n')
  if chan then
    pcall(vim.fn.jobstop, chan)
  end
  os.exit(1)
end

--- Start the child Neovim with the plugin on its runtimepath.
function H.start(env)
  local args = { vim.v.progpath, '--embed', '--headless', '-u', 'NONE', '-i', 'NONE', '-n',
    '--cmd', 'set rtp^=' .. vim.fn.fnameescape(H.plugin_root), '--cmd', 'filetype on' }
  chan = vim.fn.jobstart(args, { rpc = true, env = env })
  if chan <= 0 then
    H.fail('could not start child nvim: ' .. tostring(chan))
  end
  H.lua('vim.o.shortmess = vim.o.shortmess .. "F"; vim.o.cmdheight = 10')
  return chan
end

--- Run Lua in the child; `...` become its `...`.
function H.lua(code, ...)
  local ok, result = pcall(vim.rpcrequest, chan, 'nvim_exec_lua', code, { ... })
  if not ok then
    H.fail('child Lua failed: ' .. tostring(result) .. '\n  code: ' .. code)
  end
  return result
end

--- Type keys in the child (key notation, e.g. 'ihello<Esc>').
function H.input(keys)
  vim.rpcrequest(chan, 'nvim_input', keys)
end

--- Wait until `fn()` returns a truthy value, and return it; fail after the timeout.
function H.wait_for(what, fn, timeout)
  local value, last
  local done = vim.wait(timeout or H.timeout, function()
    value = fn()
    if value then
      return true
    end
    last = value
    return false
  end, 20)
  if not done then
    H.fail(('timed out waiting for %s (last value: %s)'):format(what, vim.inspect(last)))
  end
  return value
end

function H.eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    H.fail(('%s: expected %s, got %s'):format(what, vim.inspect(expected), vim.inspect(actual)))
  end
end

function H.truthy(value, what)
  if not value then
    H.fail(what)
  end
  return value
end

--- Wait until `fn()` equals `expected`.
function H.wait_eq(what, expected, fn, timeout)
  local last
  local done = vim.wait(timeout or H.timeout, function()
    last = fn()
    return vim.deep_equal(last, expected)
  end, 20)
  if not done then
    H.fail(('timed out waiting for %s: expected %s, last saw %s'):format(what, vim.inspect(expected), vim.inspect(last)))
  end
end

-- Child-side queries -------------------------------------------------------------------------

function H.line(row)
  return H.lua('return vim.api.nvim_buf_get_lines(0, ..., ... + 1, false)[1]', row or 0)
end

function H.lines()
  return H.lua('return vim.api.nvim_buf_get_lines(0, 0, -1, false)')
end

function H.cursor()
  return H.lua('return vim.api.nvim_win_get_cursor(0)')
end

function H.mode()
  return vim.rpcrequest(chan, 'nvim_get_mode').mode
end

--- The ghost-text extmarks as {row, col, text} (text: inline part, then virtual lines).
function H.ghost()
  return H.lua([[
    local ns = require('codestral.ghost').ns
    local marks = vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
    local out = {}
    for _, m in ipairs(marks) do
      local parts = {}
      for _, chunk in ipairs(m[4].virt_text or {}) do table.insert(parts, chunk[1]) end
      local text = table.concat(parts)
      for _, line in ipairs(m[4].virt_lines or {}) do
        local l = {}
        for _, chunk in ipairs(line) do table.insert(l, chunk[1]) end
        text = text .. '\n' .. table.concat(l)
      end
      table.insert(out, { row = m[2], col = m[3], text = text })
    end
    return out
  ]])
end

--- Wait for a codestral_ls client in the current buffer whose status is `state`.
function H.wait_status(state, timeout)
  H.wait_eq('codestral/status ' .. state, state, function()
    local st = H.lua('local s = require("codestral.status").get(0); return s and s.state or vim.NIL')
    return st
  end, timeout)
end

--- Lua errors that surfaced in the child (callbacks, handlers, mappings).
function H.assert_no_errors()
  local messages = child_messages()
  for _, pattern in ipairs({ 'E5108', 'E5560', 'Error executing', 'stack traceback', 'attempt to ' }) do
    if messages:find(pattern, 1, true) then
      H.fail('the child raised an error (' .. pattern .. '):\n' .. messages)
    end
  end
end

function H.done(name)
  H.assert_no_errors()
  pcall(vim.rpcrequest, chan, 'nvim_exec_lua', 'vim.lsp.stop_client(vim.lsp.get_clients(), true)', {})
  pcall(vim.fn.jobstop, chan)
  H.log('PASS ' .. name)
  os.exit(0)
end

--- Read a JSON-lines log written by a fake server.
function H.read_jsonl(path)
  local out = {}
  local f = io.open(path, 'r')
  if not f then
    return out
  end
  for line in f:lines() do
    local ok, value = pcall(vim.json.decode, line)
    if ok then
      table.insert(out, value)
    end
  end
  f:close()
  return out
end

function H.messages_with(path, method)
  local out = {}
  for _, m in ipairs(H.read_jsonl(path)) do
    if m.method == method then
      table.insert(out, m)
    end
  end
  return out
end

return H
