local M = {}

function M.area(width, height)
  if width < 0 or height < 0 then
    error('negative size')
  end
  return width * height
end

function M.total(shapes)
  local sum = 0
  for _, shape in ipairs(shapes) do
    sum = sum + M.area(shape.width, shape.height)
  end
  return sum
end

return M
