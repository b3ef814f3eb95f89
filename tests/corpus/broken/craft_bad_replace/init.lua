core.register_craft({
	output = "air",
	recipe = {{"air"}},
	replacements = "air",
})
