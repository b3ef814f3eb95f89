core.register_block("api_register_block:block", {description = "Block"})
