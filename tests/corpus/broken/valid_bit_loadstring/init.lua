local f = assert(loadstring("return 1 + 1"))
print(bit.band(5, 3), f(), unpack({1, 2}))
