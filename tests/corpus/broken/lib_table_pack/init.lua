local t = table.pack(1, 2, 3)
print(t.n)
