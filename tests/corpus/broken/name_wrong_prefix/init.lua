core.register_node("othermod:block", {description = "Block"})
