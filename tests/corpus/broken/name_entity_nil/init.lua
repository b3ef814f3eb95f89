core.register_entity(nil, {initial_properties = {}})
