core.register_node("def_nil:block", nil)
