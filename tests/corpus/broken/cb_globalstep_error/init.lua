core.register_globalstep(function(dtime)
	error("boom in globalstep")
end)
