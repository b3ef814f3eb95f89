core.register_craft({
	type = "smelting",
	output = "air",
	recipe = "air",
})
