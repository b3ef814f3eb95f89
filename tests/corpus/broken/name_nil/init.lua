local name
core.register_node(name, {description = "Block"})
