core.register_item("def_invalid_type:thing", {type = "bogus"})
