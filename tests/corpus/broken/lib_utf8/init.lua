local s = "h\195\169llo"
print(utf8.len(s))
