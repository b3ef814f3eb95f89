core.register_alias("node", "air")
