core.register_craftitem(":tool", {description = "Tool"})
