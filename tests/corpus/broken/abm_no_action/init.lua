core.register_abm({
	nodenames = {"air"},
	interval = 1,
	chance = 1,
})
