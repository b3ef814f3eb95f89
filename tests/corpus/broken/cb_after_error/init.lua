core.after(0, function()
	local v
	print(v.x)
end)
