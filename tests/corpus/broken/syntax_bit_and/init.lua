local flags = 5
local low = flags & 3
print(low)
