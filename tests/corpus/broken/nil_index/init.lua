local def = core.registered_nodes["api:missing"]
local desc = def.description
print(desc)
