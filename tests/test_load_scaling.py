"""Loading scales linearly with registrations (issue 13): twice the registrations, about twice the work.

Work is counted in Lua VM instructions (a count hook in place of the CPU guard), which unlike
wall time does not depend on the machine's load. Each registration API that big mods call in
bulk is exercised, with the recipe queries and clears that mods such as mtg_craftguide and
moreblocks run for every item once all are registered.
"""

from __future__ import annotations

from vf_luanti.loading import run_mods
from vf_luanti.mods import mod_from_source
from vf_luanti.runtime import LuanRuntime, MiB, RuntimeLimits

MOD = """
local n = %d
for i = 1, n do
	core.register_node("scale:n" .. i, {description = "N" .. i, tiles = {"a.png", "b.png"},
		groups = {cracky = 3, stone = 1}, sounds = {footstep = {name = "s", gain = 0.5}},
		node_box = {type = "fixed", fixed = {{-0.5, -0.5, -0.5, 0.5, 0, 0.5}}}})
	core.register_craftitem("scale:c" .. i, {description = "C" .. i, groups = {dust = 1}})
	core.register_craft({output = "scale:n" .. i .. " 2", recipe = {{"scale:c" .. i, "group:stone"}}})
	core.register_craft({type = "shapeless", output = "scale:c" .. i, recipe = {"scale:n" .. i}})
	core.register_craft({type = "cooking", output = "scale:c" .. i, recipe = "scale:n" .. i})
	core.register_alias("scale:old" .. i, "scale:n" .. i)
	core.override_item("scale:n" .. i, {light_source = 3})
end
core.register_on_mods_loaded(function()
	for i = 1, n do
		assert(#core.get_all_craft_recipes("scale:n" .. i) == 1)
		core.get_craft_recipe("scale:c" .. i)
	end
	for i = 1, n, 10 do
		assert(core.clear_craft({output = "scale:c" .. i}))
	end
end)
"""

COUNT_HOOK = "VF_COUNT = 0; debug.sethook(function() VF_COUNT = VF_COUNT + 1 end, '', 1000)"


def instructions(n: int) -> int:
    """Thousands of VM instructions to load the mod with ``n`` of each registration, and report."""
    limits = RuntimeLimits(cpu_seconds=60, max_memory=1024 * MiB)
    rt = LuanRuntime(limits)
    rt.lua.execute(COUNT_HOOK)
    report, rt = run_mods([mod_from_source(MOD % n, name="scale")], limits, runtime=rt)
    assert report.ok, [str(e) for e in report.errors]
    return int(rt.lua.globals().VF_COUNT)


def test_twice_the_registrations_cost_about_twice_the_work() -> None:
    small, large = instructions(600), instructions(1200)
    # quadratic work (a scan of all recipes per query or clear) would make this about 4
    assert large / small < 2.2, (small, large)
