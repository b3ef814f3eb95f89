local a, b = 1, 2
if a != b then
	print("differ")
end
