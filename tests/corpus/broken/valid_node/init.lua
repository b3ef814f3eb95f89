local S = core.get_translator("valid_node")
core.register_node("valid_node:block", {
	description = S("Block"),
	tiles = {"valid_node_block.png"},
	groups = {cracky = 3, oddly_breakable_by_hand = 1},
	light_source = 20,
})
core.register_craftitem("valid_node:dust", {description = "Dust", inventory_image = "valid_node_dust.png"})
core.register_craft({output = "valid_node:block", recipe = {{"valid_node:dust", "valid_node:dust"}}})
core.register_craft({type = "cooking", output = "valid_node:dust", recipe = "valid_node:block", cooktime = 2.5})
core.register_abm({label = "glow", nodenames = {"valid_node:block"}, interval = 5, chance = 2,
	action = function(pos) end})
core.after(0, function() core.log("action", "valid_node started") end)
