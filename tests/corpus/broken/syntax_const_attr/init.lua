local limit <const> = 5
print(limit)
