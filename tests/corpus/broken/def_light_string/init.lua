core.register_node("def_light_string:lamp", {
	description = "Lamp",
	light_source = "14",
})
