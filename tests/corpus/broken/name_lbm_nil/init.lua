core.register_lbm({nodenames = {"air"}, action = function() end})
