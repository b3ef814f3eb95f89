local a, b = table.unpack({1, 2})
print(a, b)
