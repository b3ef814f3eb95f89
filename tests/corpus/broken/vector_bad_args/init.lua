local p = vector.new(1)
print(p)
