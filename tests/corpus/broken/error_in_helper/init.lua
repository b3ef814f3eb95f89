local function check(v)
	error("custom failure in helper")
end
check(1)
