dofile(core.get_modpath("dofile_error") .. "/lib.lua")
