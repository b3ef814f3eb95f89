local helpers = {}
helpers.setup()
