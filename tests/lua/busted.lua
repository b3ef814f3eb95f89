-- A small busted/luassert-compatible runner for the engine's own specs (builtin/common/tests).
-- It runs inside the emulation as a mod: each spec file is compiled with loadstring and run in an
-- environment over the mods' globals where the spec's own fakes (`_G.core = {}`,
-- `_G.vector = {metatable = {}}`) and its `dofile("builtin/...")` are ignored, so the specs test
-- the emulation's implementations. Results go to print(): "PASS <name>" / "FAIL <name>: <error>".
local specs = ...

local function deep_equal(a, b, seen)
	if a == b then
		return true
	end
	if type(a) ~= "table" or type(b) ~= "table" then
		return a ~= a and b ~= b -- NaN
	end
	seen = seen or {}
	if seen[a] == b then
		return true
	end
	seen[a] = b
	for k, v in pairs(a) do
		if not deep_equal(v, rawget(b, k), seen) then
			return false
		end
	end
	for k in pairs(b) do
		if rawget(a, k) == nil then
			return false
		end
	end
	return true
end

local function fail(msg)
	error(msg, 3)
end

local checks = {
	equal = function(e, a) if e ~= a then fail("expected " .. tostring(e) .. ", got " .. tostring(a)) end end,
	same = function(e, a) if not deep_equal(e, a) then fail("tables differ: " .. dump(e) .. " vs " .. dump(a)) end end,
	["true"] = function(v) if v ~= true then fail("expected true, got " .. tostring(v)) end end,
	["false"] = function(v) if v ~= false then fail("expected false, got " .. tostring(v)) end end,
	["nil"] = function(v) if v ~= nil then fail("expected nil, got " .. tostring(v)) end end,
	truthy = function(v) if not v then fail("expected a truthy value") end end,
	falsy = function(v) if v then fail("expected a falsy value") end end,
	error = function(f, ...) if pcall(f, ...) then fail("expected an error") end end,
}
checks.equals, checks.errors, checks.error_matches = checks.equal, checks.error, checks.error

-- assert.X, assert.is_X, assert.not_X, assert.are.X, assert.has.errors ... (case-insensitive).
local function lookup(name, negate)
	name = name:lower()
	local bare = name:gsub("^is_", ""):gsub("^are_", ""):gsub("^has_", "")
	if bare:sub(1, 4) == "not_" then
		bare, negate = bare:sub(5), not negate
	end
	local f = checks[bare]
	if not f then
		error("unsupported assertion: " .. name, 2)
	end
	if not negate then
		return f
	end
	return function(...)
		if pcall(f, ...) then
			fail("expected assertion '" .. bare .. "' to fail")
		end
	end
end

local function namespace(negate)
	return setmetatable({}, {
		__index = function(_, k)
			local lk = k:lower()
			if lk == "is" or lk == "are" or lk == "has" then
				return namespace(negate)
			elseif lk == "is_not" or lk == "are_not" or lk == "has_no" or lk == "no" or lk == "not" then
				return namespace(not negate)
			end
			return lookup(k, negate)
		end,
		__call = function(_, v, msg, ...)
			if not v then
				error(msg or "assertion failed!", 2)
			end
			return v, msg, ...
		end,
	})
end

local passed, failed = 0, 0
local function run_spec(name, text)
	local path = {}
	local env = setmetatable({}, {
		__index = _G,
		__newindex = function(t, k, v)
			if k ~= "core" and k ~= "vector" then
				rawset(t, k, v)
			end
		end,
	})
	env._G = env
	env.assert = namespace(false)
	env.dofile = function() end
	env.require = function() return { setfenv = setfenv } end
	env.describe = function(desc, fn)
		path[#path + 1] = desc
		fn()
		path[#path] = nil
	end
	env.it = function(desc, fn)
		local full = table.concat(path, " ") .. " " .. desc
		local ok, err = pcall(fn)
		if ok then
			passed = passed + 1
			print("PASS " .. full)
		else
			failed = failed + 1
			print("FAIL " .. full .. ": " .. tostring(err))
		end
	end
	local chunk = assert(loadstring(text, "@" .. name))
	setfenv(chunk, env)
	chunk()
end

for _, spec in ipairs(specs) do
	run_spec(spec.name, spec.text)
end
print(("RESULT %d passed, %d failed"):format(passed, failed))
