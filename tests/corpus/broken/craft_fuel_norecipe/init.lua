core.register_craft({type = "fuel", burntime = 5})
