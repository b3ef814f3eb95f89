core.after("soon", function() end)
