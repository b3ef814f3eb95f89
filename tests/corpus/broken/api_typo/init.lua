minetest.registr_node("api_typo:block", {
	description = "Block",
})
