local M = {}

local broken = nil
broken.call()

return M
