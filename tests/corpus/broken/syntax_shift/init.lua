local mask = 1 << 4
print(mask)
