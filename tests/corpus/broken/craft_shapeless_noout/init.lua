core.register_craft({type = "shapeless", recipe = {"air"}})
