core.register_on_mods_loaded(function()
	local t
	t.x = 1
end)
