local f = io.open("/etc/hostname", "r")
print(f)
