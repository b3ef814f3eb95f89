core.override_item("air", {name = "override_rename:air"})
