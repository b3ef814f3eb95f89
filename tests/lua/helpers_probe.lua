-- A differential probe of the common helpers: the same cases run in the real engine (as a world
-- mod) and in the emulation, and tests/test_lua_helpers.py compares the printed lines.
-- Each case is a chunk body (a bare expression gets "return " put in front); its results or its
-- error are printed as "PROBE <n> <text>" in a form that does not depend on table order.
-- Errors are tagged with where their position points: @case (the caller), @lib (a helper's own
-- file) or @none (no position, as C++ errors), so error levels are compared too.

local CASES = {
	-- vector
	"vector.new(1, 2, 3)", "vector.new()", "vector.new({x = 1, y = 2, z = 3, w = 4})", "vector.new(1)",
	"vector.new({x = 3})", "vector.new('a')", "vector.new(1, 2)", "vector.new(nil, 2, 3)",
	"vector.from_string('(1,2,3)')", "vector.from_string('( 1 , 2 , 3 ) tail')", "vector.from_string('1,2,3')",
	"vector.from_string('(1 2 3)')", "vector.from_string('x(1,2,3)', 2)", "vector.from_string('(1,2)')",
	"vector.from_string('(1,2,3,)')", "vector.from_string('(1e2, -0x10, .5)')",
	"vector.to_string({x = 1.5, y = -0, z = 1e20})", "tostring(vector.new(0.1, 1/3, -2))",
	"vector.round({x = -0.5, y = 0.5, z = 2.5})", "vector.floor({x = -0.5, y = 0.5, z = 2.5})",
	"vector.add(vector.new(1, 2, 3), 1)", "vector.add(vector.new(1, 2, 3), {x = 1, y = 1, z = 1})",
	"vector.new(1, 2, 3) * vector.new(1, 2, 3)", "vector.new(1, 2, 3) + 1", "vector.new(1, 2, 3) / vector.new(1, 2, 3)",
	"2 * vector.new(1, 2, 3)", "vector.new(1, 2, 3) * 2", "vector.new(1, 2, 3) - {x = 1, y = 1, z = 1}",
	"-vector.new(1, 2, 3)", "vector.new(1, 2, 3) == {x = 1, y = 2, z = 3}", "vector.new(1, 2, 3) + {x = 1}",
	"vector.multiply(vector.new(1, 2, 3), 'a')", "vector.length({x = 3, y = 4, z = 0})",
	"vector.normalize(vector.zero())", "vector.direction({x = 0, y = 0, z = 0}, {x = 0, y = 3, z = 4})",
	"vector.angle({x = 0, y = 0, z = 0}, {x = 1, y = 0, z = 0})", "vector.sort({x = 3, y = 1, z = 2}, {x = 1, y = 2, z = 1})",
	"vector.check({x = 1, y = 2, z = 3}), vector.check(vector.new())", "vector.new().metatable == vector.metatable",
	"local v = vector.new(1, 2, 3) return v[1], v[2], v[3], v[4], v.w, v.length ~= nil",
	"local v = vector.new(1, 2, 3) v[1] = 9 return v, rawget(v, 1)",
	"vector.rotate({x = 1, y = 0, z = 0}, {x = 0, y = math.pi / 2, z = 0})",
	"vector.rotate({x = 0, y = 1, z = 0}, {x = math.pi / 2, y = 0, z = math.pi / 2})",
	"vector.rotate_around_axis({x = 1, y = 0, z = 0}, {x = 0, y = 1, z = 0}, math.pi / 2)",
	"vector.dir_to_rotation({x = 1, y = 1, z = 0})", "vector.dir_to_rotation({x = 1, y = 0, z = 0}, {x = 0, y = 0, z = 1})",
	"vector.apply({x = 1.5, y = -2, z = 0}, math.abs)", "vector.combine({x = 1, y = 5, z = 3}, {x = 4, y = 2, z = 6}, math.max)",
	"vector.offset({x = 1, y = 2, z = 3}, 1, 1)", "vector.copy({x = 1, y = 2, z = 3})", "vector.copy({x = 1})",
	"vector.distance({x = 1, y = 2, z = 3})", "vector.equals(vector.new(), nil)", "vector.zero() == vector.new()",
	"vector.divide({x = 1, y = 2, z = 3}, 0)", "vector.cross({x = 1, y = 0, z = 0}, {x = 0, y = 1, z = 0})",
	"vector.new({x = 1, y = 2, z = '3'})", "vector.new(vector.new(1, 2, 3)) ~= nil",
	-- strings, tables, math
	"('a,b,,c'):split(',')", "('a,b,,c'):split(',', true)", "('a,b,c,d'):split(',', false, 2)",
	"('a,b,c,d'):split(',', true, 0)", "('a,b,'):split(',', true)", "(',a'):split(',', true)", "(''):split(',')",
	"(''):split(',', true)", "('a1b22c'):split('%d+', false, -1, true)", "('a..b'):split('.')",
	"('a,b,c'):split(',', false, 1)", "('abc'):split('', true, 2)",
	"('a b'):split('%s*', true, 3, true)", "('abc'):split('', true, 0)", "string.split('a b  c', ' ')", "('  x  y '):trim()", "('\\t\\n'):trim()",
	"table.copy({1, {2}, a = {b = 3}})", "table.copy(vector.new(1, 2, 3))", "table.copy(nil)",
	"table.indexof({'a', 'b'}, 'b'), table.indexof({'a'}, 'c'), table.indexof({1, nil, 3}, 3)",
	"table.insert_all({1, 2}, {3, 4})", "table.key_value_swap({a = 1, b = 2})",
	"local c = {} table.shuffle({1, 2, 3, 4}, nil, nil, function(a, b) c[#c + 1] = a .. ':' .. b return b end) return c",
	"local t = {1, 2, 3, 4, 5} local pr = PcgRandom(7) table.shuffle(t, nil, nil, function(a, b) return pr:next(a, b) end) return t",
	"local t = {1, 2, 3, 4, 5, 6} local n = 0 table.shuffle(t, 2, 5, function(a, b) n = n + 1 return b - n % (b - a + 1) end) return t",
	"math.hypot(3, 4), math.sign(-3), math.sign(0.1, 0.5), math.sign(-0.0)", "math.factorial(5), math.factorial(0)",
	"math.factorial(171)", "math.factorial(-1)", "math.factorial(1.5)",
	"math.round(-0.5), math.round(0.5), math.round(2.5), math.round(-2.5), math.round(0.49999999999999994)",
	"math.clamp", "table.pack", "table.unpack", "math.pow(2, 3)", "unpack({1, 2})",
	-- dump
	"dump(nil), dump(1.5), dump('a\\nb\\0'), dump(true), dump(print)", "dump({})", "dump({{}})",
	"dump({1, 'x', {y = {2}}})", "dump({1, 2}, '')", "dump({a = {b = 1}}, '  ')", "dump({['a b'] = 1})", "dump({[5] = 2, [true] = 1.5})",
	"local t = {} t[1] = t return dump(t)", "local t = {} return dump({t, t})", "dump({[{}] = 1})",
	"dump({['end'] = 1})", "dump(ItemStack('x')):match('^userdata metatable: {'), select(2, dump(ItemStack('x')):gsub('= <function>', ''))", "dump2(1)", "dump2({a = {1}}, 'n')",
	"local t = {} t.self = t return dump2(t)", "dump2('x', nil)", "dump(nil, nil)",
	-- positions
	"core.pos_to_string({x = 1, y = 2.5, z = -3})", "core.pos_to_string({x = 1, y = 2.5, z = -3}, 1)",
	"core.pos_to_string({x = 1/3, y = 0, z = 0}, 0)", "core.pos_to_string({x = 0.1, y = 1e20, z = -0})",
	"core.pos_to_string(nil)", "core.pos_to_string({x = 1})",
	"core.string_to_pos('(1,2,3)')", "core.string_to_pos('1 2 3')", "core.string_to_pos('(1, 2.5, -3)')",
	"core.string_to_pos('1,2')", "core.string_to_pos('a,b,c')", "core.string_to_pos(nil)",
	"core.string_to_pos('1.2.3,4,5')", "core.string_to_pos('(-1,-2,-3)')", "core.string_to_pos('  1, 2, 3  ')",
	"core.string_to_pos(5)",
	"core.string_to_area('(1,2,3) (4,5,6)')", "core.string_to_area('(1,2,3)(4,5,6)')",
	"core.string_to_area('(~1,~,3) (4,5,~-6)', {x = 10, y = 20, z = 30})", "core.string_to_area('(~1,2,3) (4,5,6)')",
	"core.string_to_area('(1,2) (4,5,6)')", "core.string_to_area('(nan,2,3) (4,5,6)')", "core.string_to_area('1,2,3 4,5,6')",
	"core.parse_relative_number('~5', 10), core.parse_relative_number('~', 10), core.parse_relative_number('x', 10)",
	"core.parse_relative_number('inf', 10)", "core.parse_coordinates('1', '2', 'x')", "core.is_nan(0/0)",
	-- escapes and colours
	"core.formspec_escape('a[b];c,d\\\\')", "core.formspec_escape(nil)", "core.formspec_escape(5)",
	"core.colorize('#ff0000', 'hi')", "core.colorize('red', 'a\\nb')", "core.colorize('red', 5)",
	"core.get_color_escape_sequence('#00f')", "core.get_background_escape_sequence('#00f')",
	"core.strip_colors(core.colorize('red', 'x') .. core.get_background_escape_sequence('blue') .. 'y')",
	"core.strip_foreground_colors(core.colorize('red', 'x') .. core.get_background_escape_sequence('blue'))",
	"core.strip_background_colors(core.colorize('red', 'x') .. core.get_background_escape_sequence('blue'))",
	"core.rgba(255, 0, 16), core.rgba(1, 2, 3, 4)", "core.rgba(1.5, 2, 3)",
	"core.explode_textlist_event('CHG:3'), core.explode_textlist_event('DCL: 2 '), core.explode_textlist_event('x')",
	"core.explode_textlist_event(nil), core.explode_textlist_event('INV:1')",
	"core.explode_table_event('CHG:3:2'), core.explode_table_event('DCL:1'), core.explode_table_event(nil)",
	"core.explode_scrollbar_event('CHG:40'), core.explode_scrollbar_event('VAL:x')",
	"core.wrap_text('the quick brown fox jumps', 10)", "core.wrap_text('short', 10, true)",
	"core.wrap_text('aaaa bbbb cccc', 9, true)", "core.wrap_text('abcdefghijkl mn', 5)",
	-- privileges
	"core.string_to_privs('interact, shout,,fly')", "core.string_to_privs('a b', ' ')", "core.string_to_privs(' , a')",
	"core.string_to_privs(nil)", "core.privs_to_string({interact = true, fly = false})", "core.privs_to_string({})",
	"core.privs_to_string(nil)", "core.privs_to_string({a = true}, ' ')",
	-- translation
	"core.translate('d', 'Hello @1', 'world')", "core.get_translator('d')('@1 and @2', 'a', 'b')",
	"core.get_translator('d')('a @@ b @= c @n d @x')", "core.get_translator('d')('x @1', 5)",
	"core.get_translator('d')('x @1')", "core.get_translator('d')('x', 1)", "core.get_translator('d')('@2 @1', 1, 2)",
	"core.get_translator()('plain')", "core.translate('', 'x')", "core.get_translator('d')('x @1', {})",
	"core.get_translator('d')('@1@2@3@4@5@6@7@8@9', 1, 2, 3, 4, 5, 6, 7, 8, 9)",
	"core.get_translator('d')('x @1', nil)", "core.get_translator('d')(5)",
	"core.get_translated_string('fr', core.translate('d', 'Hello @1', core.translate('e', 'x')))",
	"core.get_translated_string('en', 'plain')",
	-- hashes, encodings
	"core.hash_node_position({x = 1, y = 2, z = 3}), core.hash_node_position({x = -32768, y = -32768, z = -32768})",
	"core.hash_node_position({x = 1.6, y = 0, z = 0})",
	"core.get_position_from_hash(140752520904705)", "core.get_position_from_hash(0)",
	"core.sha1('abc')", "core.sha1('abc', true) == core.sha1('abc', false)", "#core.sha1('abc', true)",
	"core.encode_base64('hello!?')", "core.decode_base64('aGVsbG8hPw==')", "core.decode_base64('aGVsbG8')",
	"core.decode_base64('!!!!')",
	"core.decode_base64('aGVsbG8='), core.decode_base64('aGVsbG8=='), core.decode_base64('aGVsbG8===')",
	"core.decode_base64('a'), core.decode_base64('ab'), core.decode_base64('abc'), core.decode_base64('a=')",
	"core.decode_base64('ab='), core.decode_base64('ab=='), core.decode_base64('='), core.decode_base64('aGVs bG8')",
	"core.decode_base64('aGVs=bG8'), core.decode_base64('YQ'), core.decode_base64(5), core.encode_base64(5)", "core.encode_base64('')", "core.decode_base64('')",
	"core.is_yes('y'), core.is_yes('Yes'), core.is_yes('1'), core.is_yes('0'), core.is_yes('on'), core.is_yes(true)",
	"core.is_yes(' true'), core.is_yes('TRUE'), core.is_yes('yes '), core.is_yes(' 1'), core.is_yes('1 '), core.is_yes('-1')",
	"core.is_yes('0x1'), core.is_yes('1e1'), core.is_yes(''), core.is_yes('n'), core.is_yes('2a'), core.is_yes(' 0')",
	"core.is_yes('true '), core.is_yes(1), core.is_yes(0), core.is_yes(nil), core.is_yes('2'), core.is_yes('1.5')",
	"core.global_exists('vector'), core.global_exists('nope')", "core.global_exists(5)",
	-- serialize
	"core.serialize({1, 2, 'x', true})", "core.serialize(0.1), core.serialize(1), core.serialize(2^53 + 2)",
	"core.serialize(0/0), core.serialize(1/0), core.serialize(-1/0), core.serialize(-0)",
	"core.serialize({x = 1})", "core.serialize({[1.5] = 1, ['a b'] = 2})", "core.serialize({['end'] = 1})",
	"core.serialize('a\\n\\0b')", "core.serialize(nil)", "core.serialize({[1] = 1, [3] = 3})",
	"local t = {} t[1] = t return core.serialize(t)", "local s = {} return core.serialize({s, s})",
	"core.serialize({'abcdefghij', 'abcdefghij'})", "core.serialize({'abc', 'abc'})",
	"core.serialize(coroutine.create(print))", "core.serialize({f = ItemStack('x')})",
	"core.deserialize(core.serialize(vector.new(1, 2, 3)))",
	"core.deserialize('return {1, 2, a = 3}')", "core.deserialize('return os')", "core.deserialize(nil)",
	"core.deserialize(5)", "core.deserialize('return {')", "core.deserialize('error(\"x\")')",
	"core.deserialize('return inf, nan'), core.deserialize('return nan') ~= core.deserialize('return nan')",
	"core.deserialize('return math')", "core.deserialize('')", "core.deserialize('return 1, 2')",
	"core.deserialize(core.serialize(function() return 1 end))",
	"core.deserialize(core.serialize(function() return 1 end), true)",
	"core.deserialize('return loadstring(\"return 5\")')", "core.deserialize('return loadstring(\"return 5\")', true)",
	"core.deserialize('return loadstring(\"return print\")()')",
	"local t = core.deserialize(core.serialize((function() local a = {} a.b = {a = a} return a end)())) "
		.. "return t.b.a == t",
	-- json
	"core.write_json({a = 1, b = {1, 2.5, 'x'}, c = 0.1})", "core.write_json({})", "core.write_json({[1] = 1, [3] = 3})",
	"core.write_json({1, a = 2})", "core.write_json({f = print})", "core.write_json(5), core.write_json(-0.0)",
	"core.write_json(1e300), core.write_json(2^53), core.write_json(123456789012)", "core.write_json(0/0)",
	"core.write_json(1/0)", "core.write_json('a\\n\"\\\\/\\1\\127é')", "core.write_json(true), core.write_json(nil)",
	"core.write_json({a = {}, b = {{}}})", "core.write_json({a = 1, b = {1, 2}, c = {}}, true)",
	"core.write_json({1, {2, 3}}, true)",
	"core.write_json({a = {b = 1, c = {'x'}}}, true)", "core.write_json({{a = 1}, 'y', {}}, true)",
	"core.write_json({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}, true)",
	"core.write_json('\240\159\152\128 \226\130\172 \255 \195')", "core.write_json({}, true)", "core.write_json('x', true)",
	"core.write_json({[1.5] = 1})", "core.write_json({[0] = 1})", "core.write_json({[-1] = 1})",
	"core.write_json({['1'] = 1, ['2'] = 2})", "core.write_json({[true] = 1})", "core.write_json(print)",
	"core.write_json({x = vector.new(1, 2, 3)})", "core.write_json(ItemStack('x'))",
	"core.write_json({[1] = 1, [1000] = 2}) ~= nil",
	"core.parse_json('{\"a\": [1, 2, {\"b\": null}], \"t\": true}', 'NULL')", "core.parse_json('5'), core.parse_json('5.0')",
	"core.parse_json('\"\\\\u00e9\\\\ud83d\\\\ude00\"')", "core.parse_json('[]'), core.parse_json('{}')",
	"core.parse_json('null'), core.parse_json('null', 0)", "core.parse_json('[1, null, 3]')",
	"core.parse_json('1e400'), core.parse_json('-0'), core.parse_json('12345678901234567890')",
	"core.parse_json('  [1]  ')", "core.parse_json('[1,]')", "core.parse_json('{\"a\":1,}')", "core.parse_json(\"'x'\")",
	"core.parse_json('')", "core.parse_json('[1] x')", "core.parse_json('{\"a\":1, \"a\":2}')", "core.parse_json(5)",
	"core.parse_json('01')", "core.parse_json('.5')", "core.parse_json('[true, false]')", "core.parse_json('NaN')",
	"core.parse_json('{\"1\": 2}')", "core.parse_json('[1, [2, [3]]]')",
	"core.parse_json('[1 2]')", "core.parse_json('{\"a\" 1}')", "core.parse_json('{1: 2}')", "core.parse_json('[\"a')",
	"core.parse_json('\"\\\\q\"')", "core.parse_json('[1,\\n2,]x')", "core.parse_json('  \\n [tru]')", "core.parse_json('\"a\\\\tb\"')",
	-- settings
	"core.settings:get('enable_damage'), core.settings:get('creative_mode'), core.settings:get('default_stack_max')",
	"core.settings:get_bool('enable_damage'), core.settings:get_bool('nope'), core.settings:get_bool('nope', false)",
	"core.settings:get('mg_name'), core.settings:get('time_speed'), core.settings:get('max_users')",
	"core.settings:get('default_privs'), core.settings:get('enable_pvp'), core.settings:get('movement_gravity')",
	"core.settings:get('static_spawnpoint'), core.settings:get('give_initial_stuff'), core.settings:get('fixed_map_seed')",
	"core.settings:get('item_entity_ttl'), core.settings:get('enable_fire'), core.settings:get('port')",
	"core.settings:get('water_level'), core.settings:get('chunksize'), core.settings:get('mapgen_limit')",
	"core.settings:get('name'), core.settings:get('language'), core.settings:get('server_name')",
	"core.settings:get('default_game'), core.settings:get('active_block_range'), core.settings:get('enable_rollback_recording')",
	"core.settings:get_bool('max_users'), core.settings:get_bool('movement_gravity')",
	"core.settings:set('vfl_x', 5) return core.settings:get('vfl_x')",
	"core.settings:set('vfl_y', 1.5) return core.settings:get('vfl_y')",
	"core.settings:set('vfl_z', true) return core.settings:get('vfl_z')", "core.settings:set('vfl_z', nil)",
	"core.settings:set('a b', 'x') return core.settings:get('a b')", "core.settings:set('a=b', 'x')",
	"core.settings:set('', 'x')", "core.settings:set(5, 'x') return core.settings:get('5')",
	"core.settings:set_bool('vfl_b', 1) return core.settings:get('vfl_b')",
	"core.settings:set_bool('vfl_b', nil) return core.settings:get('vfl_b')",
	"core.settings:set('vfl_f', 'a, nob,c') return core.settings:get_flags('vfl_f')",
	"core.settings:get_flags('mg_flags')", "core.settings:get_flags('nope')",
	"core.settings:remove('vfl_x'), core.settings:remove('vfl_x'), core.settings:get('vfl_x')",
	"core.settings:get_np_group('mgv7_np_terrain_base')", "core.settings:get_np_group('nope')",
	"core.settings:set_np_group('vfl_np', {offset = 1, scale = 2, spread = {x = 3, y = 4, z = 5}, seed = 6, octaves = 7, "
		.. "persistence = 0.5, lacunarity = 2}) return core.settings:get('vfl_np'), core.settings:get_np_group('vfl_np')",
	"core.settings:get('vfl_settings_missing_key_with_default')", "core.settings:get(5)", "core.settings.get",
	"type(core.settings), tostring(core.settings):sub(1, 9)",
	"local s = Settings('/nonexistent_vfl') return s:get('a'), s:to_table()",
	"core.settings.x", "core.setting_get('enable_damage'), core.setting_getbool('enable_damage')",
	-- mod storage
	"local s = core.get_mod_storage() s:set_int('n', 5) s:set_string('e', '') return s:get_string('n'), s:contains('e'), s:get('n')",
	"local s = core.get_mod_storage() s:set_float('f', 0.1) s:set_int('i', 2.7) return s:get_string('f'), s:get_string('i'), s:get_int('f'), s:get_float('i')",
	"local s = core.get_mod_storage() return s:get('missing'), s:get_string('missing'), s:get_int('missing'), s:get_float('missing')",
	"local s = core.get_mod_storage() s:set_string('s', 5) return s:get_string('s'), s:get_int('s')",
	"local s = core.get_mod_storage() s:set_string('t', '12abc') return s:get_int('t'), s:get_float('t')",
	"local s = core.get_mod_storage() s:set_string('t', ' 3.5 ') return s:get_int('t'), s:get_float('t')",
	"local s = core.get_mod_storage() return s:to_table().fields.n, s:to_table().inventory",
	"local s = core.get_mod_storage() s:from_table({fields = {a = 1}}) return s:get_string('a'), s:get_string('n')",
	"local s = core.get_mod_storage() return s:from_table(nil), s:get_string('a')",
	"core.get_mod_storage() == core.get_mod_storage()", "core.get_mod_storage():set_string('x', nil)",
	"core.get_mod_storage():set_int('x', 'a')", "core.get_mod_storage():set_int('x', 2^40) return core.get_mod_storage():get_string('x')",
	"core.get_mod_storage():equals(core.get_mod_storage())", "core.get_mod_storage():set_float('x', 1/3) return core.get_mod_storage():get_string('x')",
	"core.get_mod_storage():set_float('x', 1e20) return core.get_mod_storage():get_string('x')",
	-- random
	"local p, t = PseudoRandom(42), {} for i = 1, 5 do t[i] = p:next() end return t",
	"local p, t = PseudoRandom(-7), {} for i = 1, 5 do t[i] = p:next(1, 6) end return t",
	"local p, t = PseudoRandom(2^40 + 3), {} for i = 1, 3 do t[i] = p:next() end return t",
	"local p, t = PseudoRandom(1.9), {} for i = 1, 3 do t[i] = p:next(-5, 5) end return t",
	"PseudoRandom(1):next(0, 40000)", "PseudoRandom(1):next(5, 1)", "PseudoRandom(1):next(0, 32767)",
	"PseudoRandom(1):next(-32768, -1)", "PseudoRandom(1):next(1)", "PseudoRandom()", "PseudoRandom('5'):next()",
	"PseudoRandom(1):next(1.5, 3.5)", "PseudoRandom(1):next(0, 6553), PseudoRandom(1):next(-6553, 0)",
	"PseudoRandom(1):next(0, 6554)", "PseudoRandom('x')",
	"local p, t = PcgRandom(42), {} for i = 1, 4 do t[i] = p:next() end return t",
	"local p, t = PcgRandom(42, 7), {} for i = 1, 4 do t[i] = p:next(1, 100) end return t",
	"local p, t = PcgRandom(-1), {} for i = 1, 4 do t[i] = p:next(-10, 10) end return t",
	"local p, t = PcgRandom(2^52 + 11), {} for i = 1, 3 do t[i] = p:next() end return t",
	"local p, t = PcgRandom(5), {} for i = 1, 4 do t[i] = p:rand_normal_dist(1, 100) end return t",
	"local p, t = PcgRandom(5), {} for i = 1, 3 do t[i] = p:rand_normal_dist(-1000, 1000, 2) end return t",
	"PcgRandom(1):next(5, 1)", "PcgRandom(1):next(-2147483648, 2147483647)", "PcgRandom()",
	"PcgRandom(1):next(1)", "PcgRandom(9):next(0, 0)", "PcgRandom(1):rand_normal_dist(1, 10, 0)",
	"#SecureRandom():next_bytes(8), #SecureRandom():next_bytes()", "#SecureRandom():next_bytes(3000)",
	"type(PerlinNoise(1, 2, 0.5, 100)), type(PerlinNoiseMap), type(core.get_perlin)",
}

local mt_vec = vector.metatable

local function esc(s)
	return '"' .. s:gsub('[%c"\\\128-\255]', function(c) return ("\\%03d"):format(c:byte()) end) .. '"'
end

local function show(v, seen)
	local t = type(v)
	if t == "string" then
		return esc(v)
	elseif t == "number" then
		if v ~= v then
			return "nan"
		end
		return ("%.17g"):format(v)
	elseif t ~= "table" then
		return t == "boolean" and tostring(v) or (t == "nil" and "nil") or "<" .. t .. ">"
	end
	seen = seen or {}
	if seen[v] then
		return "<cycle>"
	end
	seen[v] = true
	local keys = {}
	for k in next, v do
		keys[#keys + 1] = k
	end
	table.sort(keys, function(a, b)
		return type(a) .. tostring(a) < type(b) .. tostring(b)
	end)
	local parts = {}
	for i, k in ipairs(keys) do
		parts[i] = show(k, seen) .. "=" .. show(rawget(v, k), seen)
	end
	seen[v] = nil
	local mt = getmetatable(v)
	return "{" .. table.concat(parts, ",") .. "}" .. (mt == nil and "" or mt == mt_vec and "@vec" or "@mt")
end

local function where(msg)
	if type(msg) ~= "string" then
		return "@none", show(msg)
	end
	local path, rest = msg:match("^(.-):%d+: (.*)$")
	if not path then
		return "@none", msg
	elseif path:sub(1, 8) == '[string ' or path == "(load)" then
		return "@case", rest
	end
	return "@lib(" .. path:match("[^/]*$") .. ")", rest
end

local function pack(...)
	return { n = select("#", ...), ... }
end

for n, case in ipairs(CASES) do
	local statement = case:find("^local ") or case:find("^core%.settings:set") or case:find("^core%.get_mod_storage%(%):set")
	local body = statement and case or "return " .. case
	local f = assert(loadstring(body))
	local res = pack(pcall(f))
	local text
	if res[1] then
		local parts = {}
		for i = 2, res.n do
			parts[#parts + 1] = show(res[i])
		end
		text = table.concat(parts, " | ")
	else
		local w, m = where(res[2])
		text = "ERR" .. w .. " " .. m
	end
	print("PROBE " .. n .. " " .. text:gsub("\n", "\\n"))
end
print("PROBE done")
