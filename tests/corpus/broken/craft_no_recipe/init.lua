core.register_craft({output = "air"})
