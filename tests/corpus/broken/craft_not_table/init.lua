core.register_craft("air")
