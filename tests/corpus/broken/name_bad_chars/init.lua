core.register_node("name_bad_chars:bad-name", {description = "Block"})
