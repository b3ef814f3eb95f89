core.register_craft({
	output = "air",
	recipe = {{"air", "air"}, {"air"}},
})
