local json = require("json")
print(json)
