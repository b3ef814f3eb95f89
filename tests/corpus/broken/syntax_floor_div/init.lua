local half = 7 // 2
print(half)
