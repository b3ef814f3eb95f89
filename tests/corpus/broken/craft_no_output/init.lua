core.register_craft({
	recipe = {{"air"}},
})
