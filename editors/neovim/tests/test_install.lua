-- :CodestralInstall installs the real server from this checkout into a venv under
-- stdpath('data'), and the plugin then uses it, also for a buffer opened before the install.
-- The pytest side gives: XDG_DATA_HOME (a temporary stdpath('data')), a PATH with a Python 3.11+
-- but no codestral-ls, PIP_NO_INDEX + PIP_FIND_LINKS (a local wheelhouse: offline), and a fake
-- Codestral (CODESTRAL_TEST_ENDPOINT) that answers 'greeting = "' with 'héllo wörld ☕"'.
local H = dofile(vim.fn.fnamemodify(arg[0], ':p:h') .. '/helpers.lua')
local endpoint = assert(os.getenv('CODESTRAL_TEST_ENDPOINT'), 'CODESTRAL_TEST_ENDPOINT')
local data_home = assert(os.getenv('XDG_DATA_HOME'), 'XDG_DATA_HOME')

H.start()
H.lua([[require('codestral').setup({ settings = { endpoint = ... } })]], endpoint)
H.eq(0, H.lua('return vim.fn.executable("codestral-ls")'), 'codestral-ls on PATH (the test needs none)')
H.eq({ 'codestral-ls' }, H.lua('return require("codestral").options.cmd'), 'cmd before the install')
local health = H.lua([[vim.cmd('checkhealth codestral'); local l = vim.api.nvim_buf_get_lines(0, 0, -1, false); vim.cmd.bdelete(); return l]])
H.truthy(table.concat(health, '\n'):find(':CodestralInstall', 1, true), 'checkhealth should suggest :CodestralInstall:\n'
  .. table.concat(health, '\n'))

-- The probe's verdicts, as a table.
local verdicts = H.lua([[
  local judge = require('codestral.install').judge_probe
  local out = {}
  for _, case in ipairs(...) do
    out[#out + 1] = judge(case) or vim.NIL
  end
  return out
]], {
  { code = 0, stdout = '/usr/bin/python3.12\n3.12.1\nvenv-ok\n', stderr = '' },
  { code = 0, stdout = '/usr/bin/python3\n3.10.12\nvenv-ok\n', stderr = '' },
  { code = 0, stdout = '/usr/bin/python3\n3.11.2\nvenv-missing: No module named ensurepip\n', stderr = '' },
  { code = 127, stdout = '', stderr = 'pyenv: python3.13: command not found\n' },
})
H.eq({ vim.NIL, 'is Python 3.10.12; 3.11 or newer is needed',
  'is Python 3.11.2 but cannot create a venv (on Debian/Ubuntu: apt install python3-venv)',
  'did not run (exit 127: pyenv: python3.13: command not found)' }, verdicts, 'judge_probe verdicts')

-- A Python that is not there: a clear error that says what to do, and nothing installed.
H.lua('vim.cmd("CodestralInstall /nowhere/python3")')
local failed = H.lua('local i = require("codestral.install"); return { state = i.state, message = i.message }')
H.eq('failed', failed.state, 'install with a missing Python')
for _, expected in ipairs({ 'needs Python 3.11+', '/nowhere/python3 not found', ':CodestralInstall /path/to/python3' }) do
  H.truthy(failed.message:find(expected, 1, true), ('the failure should say %q: %s'):format(expected, failed.message))
end
H.eq(0, H.lua('return vim.fn.isdirectory(require("codestral.install").venv_dir())'), 'no venv after the failure')

-- A Python file open before the install: no server can start for it yet.
H.lua([[vim.cmd.edit(vim.fn.tempname() .. '.py')]])

H.lua('vim.cmd("CodestralInstall")')
H.eq('running', H.lua('return require("codestral.install").state'), 'install state while pip runs')
H.wait_for('the install to end', function()
  local state = H.lua('return require("codestral.install").state')
  return state ~= 'running' and state
end, 240000)
local install = H.lua('local i = require("codestral.install"); return { state = i.state, message = i.message }')
H.eq('done', install.state, 'install outcome (' .. install.message .. ')')

local venv_exe = data_home .. '/nvim/codestral-ls/venv/bin/codestral-ls'
H.eq({ venv_exe }, H.lua('return require("codestral").options.cmd'), 'cmd after the install')
H.wait_status('ready', 30000)
H.eq({ venv_exe }, H.lua('return vim.lsp.get_clients({ name = "codestral_ls" })[1].config.cmd'), 'the running server')

H.input('igreeting = "')
H.wait_eq('ghost text from the installed server', { { row = 0, col = #'greeting = "', text = 'héllo wörld ☕"' } }, H.ghost)
H.input('<Tab>')
H.wait_eq('line after accept', 'greeting = "héllo wörld ☕"', function() return H.line(0) end)

-- Again (as after updating the plugin): the running server is replaced by the fresh install.
local first_client = H.lua('return vim.lsp.get_clients({ name = "codestral_ls" })[1].id')
H.input('<Esc>')
H.lua('vim.cmd("CodestralInstall")')
H.wait_for('the reinstall to end', function()
  local state = H.lua('return require("codestral.install").state')
  return state ~= 'running' and state
end, 240000)
H.eq('done', H.lua('return require("codestral.install").state'), 'reinstall outcome')
H.wait_for('a new client for the open buffer', function()
  local ids = H.lua('return vim.tbl_map(function(c) return c.id end, vim.lsp.get_clients({ bufnr = 0, name = "codestral_ls" }))')
  return #ids == 1 and ids[1] ~= first_client
end, 15000)
H.wait_status('ready', 30000)
H.input('o<CR>greeting = "')
H.wait_eq('ghost text from the reinstalled server', { { row = 2, col = #'greeting = "', text = 'héllo wörld ☕"' } }, H.ghost)

-- The lsp/ config on its own (no setup) also finds it.
H.eq({ venv_exe }, H.lua('return dofile(vim.api.nvim_get_runtime_file("lsp/codestral_ls.lua", false)[1]).cmd'),
  'lsp/codestral_ls.lua cmd after the install')
H.done('install')
