local path = core.get_modpath("lib_missing_dofile")
dofile(path .. "/helpers.lua")
