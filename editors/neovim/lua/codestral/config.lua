--- Options of codestral.nvim: defaults and validation. Server settings pass through untouched.
local M = {}

--- @class codestral.Keymaps
--- @field accept string|false       accept the whole suggestion (falls back to the key itself)
--- @field accept_word string|false
--- @field accept_line string|false
--- @field dismiss string|false
--- @field next string|false         next suggestion (asks the server for more if needed)
--- @field prev string|false
--- @field suggest string|false      ask for a suggestion now

--- @class codestral.Options
--- @field cmd string[]|nil          how to start the server (nil: the one :CodestralInstall made, else codestral-ls on PATH)
--- @field settings table            server settings, camelCase as in docs (endpoint, apiKey, model, ...)
--- @field filetypes string[]|nil    attach only to these filetypes (nil: every file buffer)
--- @field mode 'auto'|'native'|'ghost'|'menu'  how suggestions are shown
--- @field auto_trigger boolean      ask while typing (false: only on the `suggest` key)
--- @field keymaps codestral.Keymaps|false

M.defaults = {
  cmd = nil,
  settings = {},
  filetypes = nil,
  mode = 'auto',
  auto_trigger = true,
  keymaps = {
    accept = '<Tab>',
    accept_word = '<M-Right>',
    accept_line = '<M-Down>',
    dismiss = '<C-]>',
    next = '<M-]>',
    prev = '<M-[>',
    suggest = '<M-\\>',
  },
}

local MODES = { auto = true, native = true, ghost = true, menu = true }

local function is_list_of_strings(value, allow_empty)
  if type(value) ~= 'table' or (not allow_empty and #value == 0) then
    return false
  end
  for key, item in pairs(value) do
    if type(key) ~= 'number' or type(item) ~= 'string' then
      return false
    end
  end
  return true
end

--- Merge `opts` over the defaults; return the options or nil and a list of problems.
--- @param opts table|nil
--- @return codestral.Options|nil, string[]
function M.resolve(opts)
  opts = opts or {}
  local problems = {}
  if type(opts) ~= 'table' then
    return nil, { ('options must be a table, got %s'):format(type(opts)) }
  end
  for key in pairs(opts) do
    if M.defaults[key] == nil and key ~= 'filetypes' and key ~= 'cmd' then
      table.insert(problems, ('unknown option %q'):format(tostring(key)))
    end
  end
  local resolved = vim.deepcopy(M.defaults)
  for key, value in pairs(opts) do
    if key ~= 'keymaps' then
      resolved[key] = vim.deepcopy(value)
    end
  end

  if resolved.cmd ~= nil and not is_list_of_strings(resolved.cmd, false) then
    table.insert(problems, 'cmd: expected a non-empty list of strings')
  end
  if type(resolved.settings) ~= 'table' or vim.islist(resolved.settings) and #resolved.settings > 0 then
    table.insert(problems, 'settings: expected a table of server settings (camelCase keys)')
  else
    for key in pairs(resolved.settings) do
      if type(key) == 'string' and key:find('_') then
        table.insert(problems, ('settings.%s: server settings are camelCase (e.g. apiKey, debounceMs)'):format(key))
      end
    end
  end
  if resolved.filetypes ~= nil and not is_list_of_strings(resolved.filetypes, true) then
    table.insert(problems, 'filetypes: expected a list of filetype names or nil')
  end
  if not MODES[resolved.mode] then
    table.insert(problems, ('mode: expected one of auto, native, ghost, menu; got %s'):format(vim.inspect(resolved.mode)))
  end
  if type(resolved.auto_trigger) ~= 'boolean' then
    table.insert(problems, 'auto_trigger: expected true or false')
  end

  if opts.keymaps == false then
    resolved.keymaps = false
  elseif opts.keymaps ~= nil then
    if type(opts.keymaps) ~= 'table' then
      table.insert(problems, 'keymaps: expected a table or false')
    else
      for name, lhs in pairs(opts.keymaps) do
        if M.defaults.keymaps[name] == nil then
          table.insert(problems, ('keymaps.%s: unknown action (known: %s)'):format(
            tostring(name), table.concat(vim.tbl_keys(M.defaults.keymaps), ', ')))
        elseif lhs ~= false and (type(lhs) ~= 'string' or lhs == '') then
          table.insert(problems, ('keymaps.%s: expected a key string or false'):format(name))
        else
          resolved.keymaps[name] = lhs
        end
      end
    end
  end

  if #problems > 0 then
    table.sort(problems)
    return nil, problems
  end
  return resolved, problems
end

return M
