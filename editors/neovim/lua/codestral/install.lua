--- :CodestralInstall — installs codestral-ls from the checkout this plugin lives in, into a
--- private venv under stdpath('data'), with a Python 3.11+ it finds. pip fetches the server's
--- dependencies (pygls, httpx, ...) from PyPI unless pip is told otherwise (PIP_INDEX_URL,
--- PIP_FIND_LINKS, pip.conf). Re-run it after updating the plugin to update the server.
local M = {}

M.MIN_PYTHON = { 3, 11 }
--- Tried in order on PATH when :CodestralInstall is given no Python.
M.PYTHONS = { 'python3.13', 'python3.12', 'python3.11', 'python3', 'python' }
--- Written last into a venv whose install finished; a venv without it is never used.
M.READY_MARKER = '.codestral-ready'

--- @type 'idle'|'running'|'done'|'failed'
M.state = 'idle'
--- The last install's outcome, for the user and for tests.
M.message = ''

local is_windows = vim.fn.has('win32') == 1

local PROBE = table.concat({
  'import sys',
  'print(sys.executable)',
  'print("%d.%d.%d" % sys.version_info[:3])',
  'try:',
  '    import venv, ensurepip',
  '    print("venv-ok")',
  'except ImportError as e:',
  '    print("venv-missing: %s" % e)',
}, '\n')

--- The codestral-ls checkout this plugin is part of (editors/neovim/lua/codestral/install.lua).
--- @return string|nil root, string|nil problem
function M.checkout_root()
  local this = debug.getinfo(1, 'S').source:sub(2)
  local root = vim.fn.fnamemodify(this, ':p:h:h:h:h:h')
  local pyproject = vim.fs.joinpath(root, 'pyproject.toml')
  local f = io.open(pyproject, 'r')
  if not f then
    return nil, ('the plugin is not inside a codestral-ls checkout (no %s)'):format(pyproject)
  end
  local text = f:read('*a')
  f:close()
  if not text:find('name%s*=%s*"codestral%-ls"') then
    return nil, ('%s is not codestral-ls\'s'):format(pyproject)
  end
  return root, nil
end

function M.venv_dir()
  return vim.fs.joinpath(vim.fn.stdpath('data'), 'codestral-ls', 'venv')
end

local function venv_bin(venv, name)
  if is_windows then
    return vim.fs.joinpath(venv, 'Scripts', name .. '.exe')
  end
  return vim.fs.joinpath(venv, 'bin', name)
end

--- The installed server's command, or nil when :CodestralInstall has not completed.
--- @return string[]|nil
function M.server_cmd()
  local venv = M.venv_dir()
  local exe = venv_bin(venv, 'codestral-ls')
  if vim.uv.fs_stat(vim.fs.joinpath(venv, M.READY_MARKER)) and vim.fn.executable(exe) == 1 then
    return { exe }
  end
  return nil
end

--- Reads the probe's output: the reason a Python is unfit, or nil with its executable and version.
--- @param result vim.SystemCompleted
--- @return string|nil unfit, string executable, string version
function M.judge_probe(result)
  local lines = vim.split(vim.trim(result.stdout or ''), '\n', { plain = true })
  local executable, version, venv_line = lines[1] or '', lines[2] or '', lines[3] or ''
  local major, minor = version:match('^(%d+)%.(%d+)%.%d+')
  if result.code ~= 0 or not major then
    local said = vim.trim((result.stderr or ''):match('([^\n]*)\n?$') or '')
    return ('did not run (exit %s%s)'):format(tostring(result.code), said ~= '' and (': ' .. said) or ''), executable, ''
  end
  major, minor = tonumber(major), tonumber(minor)
  if major < M.MIN_PYTHON[1] or (major == M.MIN_PYTHON[1] and minor < M.MIN_PYTHON[2]) then
    return ('is Python %s; %d.%d or newer is needed'):format(version, M.MIN_PYTHON[1], M.MIN_PYTHON[2]), executable, version
  end
  if venv_line ~= 'venv-ok' then
    return ('is Python %s but cannot create a venv (on Debian/Ubuntu: apt install python3-venv)'):format(version),
      executable, version
  end
  return nil, executable, version
end

--- The first fit Python among `candidates`, or nil and what was wrong with each.
--- @return {executable: string, version: string}|nil, string[]
function M.find_python(candidates)
  local tried = {}
  for _, candidate in ipairs(candidates) do
    if vim.fn.executable(candidate) ~= 1 then
      table.insert(tried, candidate .. ' not found')
    else
      local ok, result = pcall(function()
        return vim.system({ candidate, '-c', PROBE }, { text = true }):wait(15000)
      end)
      local unfit, executable, version
      if ok then
        unfit, executable, version = M.judge_probe(result)
      else
        unfit = 'could not be run: ' .. tostring(result)
      end
      if not unfit then
        return { executable = executable, version = version }, tried
      end
      table.insert(tried, candidate .. ' ' .. unfit)
    end
  end
  return nil, tried
end

--- A copy of what pip needs to build the server, so the build writes nothing into the checkout
--- (setuptools' build/ there would keep modules deleted since, and show as clutter).
--- @return string|nil dir, string|nil problem
local function copy_sources(root)
  local dest = vim.fn.tempname()
  local files = { 'pyproject.toml', 'README.md' }
  for name, kind in vim.fs.dir(vim.fs.joinpath(root, 'codestral_ls'), {
    depth = 50,
    skip = function(dir) return dir ~= '__pycache__' end,
  }) do
    if kind == 'file' and not name:match('%.pyc$') then
      table.insert(files, 'codestral_ls/' .. name)
    end
  end
  for _, file in ipairs(files) do
    local target = vim.fs.joinpath(dest, file)
    vim.fn.mkdir(vim.fs.dirname(target), 'p')
    local ok, err = vim.uv.fs_copyfile(vim.fs.joinpath(root, file), target)
    if not ok then
      return nil, ('could not copy %s: %s'):format(file, tostring(err))
    end
  end
  return dest, nil
end

local function last_lines(text, count)
  local lines = vim.split(vim.trim(text or ''), '\n', { plain = true })
  return table.concat(vim.list_slice(lines, math.max(1, #lines - count + 1)), '\n')
end

local function finish(state, message, level, on_done)
  M.state, M.message = state, message
  vim.schedule(function()
    vim.notify('codestral: ' .. message, level)
    if on_done then
      on_done(state == 'done')
    end
  end)
end

--- Install (or reinstall) the server; runs in the background and calls `on_done(ok)` at the end.
--- @param python string|nil  a Python 3.11+; nil: the first fit one of M.PYTHONS on PATH
--- @param on_done fun(ok: boolean)|nil
function M.install(python, on_done)
  if M.state == 'running' then
    vim.notify('codestral: an install is already running', vim.log.levels.WARN)
    return
  end
  local root, problem = M.checkout_root()
  if not root then
    return finish('failed', 'cannot install: ' .. problem, vim.log.levels.ERROR, on_done)
  end
  local candidates = (python and python ~= '') and { python } or M.PYTHONS
  local found, tried = M.find_python(candidates)
  if not found then
    return finish('failed', ('codestral-ls needs Python %d.%d+ to install, and found none (%s). Install one, or name it: '
      .. ':CodestralInstall /path/to/python3.12'):format(M.MIN_PYTHON[1], M.MIN_PYTHON[2], table.concat(tried, '; ')),
      vim.log.levels.ERROR, on_done)
  end

  local sources, copy_problem = copy_sources(root)
  if not sources then
    return finish('failed', 'cannot install: ' .. copy_problem, vim.log.levels.ERROR, on_done)
  end
  local venv = M.venv_dir()
  M.state, M.message = 'running', ''
  vim.notify(('codestral: installing codestral-ls from %s into %s with Python %s (pip; dependencies from PyPI)…')
    :format(root, venv, found.version), vim.log.levels.INFO)
  vim.fn.mkdir(vim.fs.dirname(venv), 'p')
  -- --clear: a reinstall starts from an empty venv, so nothing of an older server stays.
  vim.system({ found.executable, '-m', 'venv', '--clear', venv }, { text = true }, function(made)
    if made.code ~= 0 then
      vim.schedule(function() vim.fn.delete(sources, 'rf') end)
      return finish('failed', ('`%s -m venv` failed (exit %d):\n%s'):format(found.executable, made.code,
        last_lines(made.stderr ~= '' and made.stderr or made.stdout, 6)), vim.log.levels.ERROR, on_done)
    end
    local pip = { venv_bin(venv, 'python'), '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', sources }
    vim.system(pip, { text = true }, function(installed)
      vim.schedule(function() vim.fn.delete(sources, 'rf') end)
      if installed.code ~= 0 then
        return finish('failed', ('pip could not install codestral-ls (exit %d); it downloads the dependencies from PyPI: '
          .. 'check the network or proxy, or point pip at a mirror (PIP_INDEX_URL).\n%s'):format(installed.code,
          last_lines(installed.stderr ~= '' and installed.stderr or installed.stdout, 6)), vim.log.levels.ERROR, on_done)
      end
      local marker = io.open(vim.fs.joinpath(venv, M.READY_MARKER), 'w')
      if marker then
        marker:write(root .. '\n')
        marker:close()
      end
      finish('done', ('codestral-ls installed in %s'):format(venv), vim.log.levels.INFO, on_done)
    end)
  end)
end

return M
