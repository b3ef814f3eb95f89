os.execute("echo hi")
