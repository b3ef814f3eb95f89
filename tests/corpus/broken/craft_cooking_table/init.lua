core.register_craft({
	type = "cooking",
	output = "air",
	recipe = {"air"},
})
