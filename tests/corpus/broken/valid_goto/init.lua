local s = 0
for i = 1, 5 do
	if i % 2 == 0 then
		goto continue
	end
	s = s + i
	::continue::
end
print(s)
