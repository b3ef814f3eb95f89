core.override_item("override_missing:nothing", {description = "x"})
