local code = string.dump(function() return 1 end)
local f = assert(loadstring(code))
print(f())
