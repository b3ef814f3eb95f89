core.register_node("syntax_missing_comma:block", {
	description = "Block"
	tiles = {"block.png"},
})
