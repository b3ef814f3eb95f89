"""Decontamination: eval items must not share long token n-grams with generated train items.

Texts are tokenised (Lua tokens for code, words for prose; comments and whitespace dropped) and
compared as 13-grams. An n-gram is *boilerplate*, and never counts as overlap, when it carries
nothing that identifies a task:

* code: every token is a Lua keyword, punctuation, a number, a name from ``API_VOCAB`` (the engine
  namespace, registration calls, standard definition fields, callback parameter names) or a common
  string literal (``COMMON_STRINGS``: API enum values such as "light" or "shapeless", and names of
  the base game's items and groups, ``"default:*"``, ``"group:*"``, ``"bucket:*"``);
* prose: it has no item name (``mod:item``) and no number.

So an n-gram that holds a task's own item name, message text or helper identifier is task-specific.

The report lists every eval item with a task-specific 13-gram in common with the train sample
(instruction vs instruction and reference vs reference, both ways), with the shared text.

The same tokenisation finds *template clones* among the eval items themselves (``template_clones``):
two items that differ only in names, numbers and texts. Each item is reduced to a shape — code with
every task-chosen identifier, string and number replaced by a placeholder, prose with quoted or
back-ticked spans and numbers replaced — and pairs whose shapes share most 4-gram shingles are
reported.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from .lualex import LUA_KEYWORDS, lua_tokens
from .tasks import Task

N = 13
#: Names that appear in any Luanti mod: the namespace, API calls, definition fields, callback params.
API_VOCAB = frozenset(
    """
minetest core vector ItemStack VoxelArea PseudoRandom PcgRandom Settings register_node register_craftitem
register_tool register_craft register_alias register_abm register_lbm register_entity
register_chatcommand register_privilege register_on_joinplayer register_on_leaveplayer
register_on_newplayer register_on_dieplayer register_on_respawnplayer register_on_chat_message
register_on_player_receive_fields register_globalstep register_on_punchnode register_on_placenode
register_on_dignode register_on_craft register_on_mods_loaded register_on_shutdown get_node set_node
swap_node remove_node add_node get_meta get_node_timer get_inventory get_player_by_name chat_send_player
chat_send_all get_player_name get_pos set_pos get_hp set_hp add_item remove_item get_stack set_stack
set_size get_size get_list set_list contains_item room_for_item is_empty get_int set_int get_string
set_string get_float set_float start stop is_started get_translator get_mod_storage settings get get_bool
item_eat after add_entity get_objects_inside_radius check_player_privs show_formspec formspec_escape
get_wielded_item set_wielded_item get_name get_count set_count take_item add_wear get_wear to_string
get_current_modname get_modpath log pos_to_string description tiles groups drawtype paramtype paramtype2
light_source sunlight_propagates walkable pointable diggable buildable_to drop sounds node_box
selection_box collision_box inventory_image wield_image stack_max tool_capabilities full_punch_interval
max_drop_level groupcaps damage_groups times uses maxlevel on_use on_place on_secondary_use on_drop
on_construct on_destruct after_place_node after_dig_node on_punch on_rightclick on_dig on_timer
on_receive_fields on_blast allow_metadata_inventory_put allow_metadata_inventory_take
allow_metadata_inventory_move on_metadata_inventory_put on_metadata_inventory_take on_activate on_step
on_death get_staticdata initial_properties hp_max physical collide_with_objects visual visual_size
textures collisionbox nodenames neighbors interval chance action label run_at_every_load name output
recipe type cooktime burntime replacements params privs func give_to_singleplayer give_to_admin pos node
player puncher clicker placer digger itemstack pointed_thing param elapsed dtime self fields formname
meta inv timer def staticdata hitter damage dir time_from_last_punch cracky crumbly choppy snappy
oddly_breakable_by_hand fleshy not_in_creative_inventory x y z i k v n ipairs pairs table insert string
format math floor random min max tostring tonumber
""".split()
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[^\sA-Za-z0-9_]")


def code_tokens(src: str) -> list[str]:
    """Lua tokens without comments and whitespace; strings and numbers keep their text."""
    return [t.text for t in lua_tokens(src) if t.kind not in ("space", "comment")]


def prose_tokens(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


#: String literals every mod uses: API enum values and the base game's items and groups.
COMMON_STRINGS = frozenset(
    """
light facedir wallmounted color colorfacedir none normal glasslike glasslike_framed allfaces plantlike
nodebox mesh airlike liquid flowingliquid signlike torchlike firelike fixed wallmounted shapeless cooking
fuel toolrepair shaped main fuel src dst node nothing object sprite upright_sprite cube wielditem air
""".split()
) | {""}
_COMMON_PREFIX = re.compile(r"^(default|group|bucket|farming|wool|dye|stairs):[a-z0-9_]*$")


def _common_literal(tok: str) -> bool:
    body = tok[1:-1] if tok[:1] in "\"'" else tok
    return body in COMMON_STRINGS or bool(_COMMON_PREFIX.match(body))


def _is_string(tok: str) -> bool:
    """A Lua string literal token ("...", '...' or a long bracket string)."""
    return tok[:1] in "\"'[" and len(tok) > 1


def _is_task_name(tok: str) -> bool:
    """An identifier the task chose: not a keyword and not API vocabulary."""
    return (tok[:1].isalpha() or tok[:1] == "_") and tok not in API_VOCAB and tok not in LUA_KEYWORDS


def is_boilerplate(gram: tuple[str, ...], prose: bool = False) -> bool:
    """True when no token of ``gram`` identifies a task (see the module docstring)."""
    if prose:
        text = " ".join(gram)
        return not re.search(r"\d", text) and not re.search(r"[a-z0-9_]+ : [a-z0-9_]+", text)
    return not any(not _common_literal(tok) if _is_string(tok) else _is_task_name(tok) for tok in gram)


def code_shape(src: str) -> list[str]:
    """Lua tokens with task-chosen names, strings and numbers replaced: what a template keeps."""
    out = []
    for tok in code_tokens(src):
        if _is_string(tok):
            out.append('"s"')
        elif tok[:1].isdigit():
            out.append("0")
        elif _is_task_name(tok):
            out.append("id")
        else:
            out.append(tok)
    return out


_QUOTED = re.compile(r"`[^`]*`|\"[^\"]*\"")


def prose_shape(text: str) -> list[str]:
    """Words of ``text`` with quoted/back-ticked spans and numbers replaced."""
    return ["0" if w[:1].isdigit() else w for w in prose_tokens(_QUOTED.sub(" q ", text))]


#: Shape similarity (Jaccard of 4-gram shingles) at or above which two items are clones: both the
#: code (input + reference) and the instruction must match. Hand-written items measured <= 0.74
#: (code) and <= 0.19 (both at once) when this was set; a renamed copy scores 1.0 and 0.6-1.0.
CLONE_CODE, CLONE_PROSE = 0.85, 0.6


@dataclass
class Clone:
    a: str
    b: str
    code: float
    prose: float


def template_clones(tasks: list[Task], among: set[str] | None = None) -> list[Clone]:
    """Pairs of ``tasks`` that differ only in names, numbers and texts (at least one in ``among``)."""

    def shingles(toks: list[str]) -> set[tuple[str, ...]]:
        return ngrams(toks, 4) or {tuple(toks)}

    def jaccard(x: set, y: set) -> float:
        return len(x & y) / len(x | y) if x | y else 1.0

    shapes = [
        (
            t,
            shingles(prose_shape(t.instruction)),
            shingles([*code_shape(t.input), "|", *code_shape(t.reference)]),
        )
        for t in tasks
    ]
    clones = []
    for i, (a, pa, ca) in enumerate(shapes):
        for b, pb, cb in shapes[i + 1 :]:
            if among is not None and a.id not in among and b.id not in among:
                continue
            code = jaccard(ca, cb)
            if code >= CLONE_CODE:
                prose = jaccard(pa, pb)
                if prose >= CLONE_PROSE:
                    clones.append(Clone(a.id, b.id, round(code, 2), round(prose, 2)))
    return clones


def ngrams(tokens: list[str], n: int = N) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@dataclass
class Overlap:
    task_id: str
    field: str  # "instruction" or "reference"
    train_ids: list[str] = dataclasses.field(default_factory=list)  # ``field`` is the attribute above
    example: str = ""


@dataclass
class DecontamReport:
    n: int
    eval_items: int
    train_items: int
    boilerplate_skipped: int
    overlaps: list[Overlap]

    @property
    def clean(self) -> bool:
        return not self.overlaps

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "eval_items": self.eval_items,
            "train_items": self.train_items,
            "boilerplate_ngrams_skipped": self.boilerplate_skipped,
            "clean": self.clean,
            "overlaps": [o.__dict__ for o in self.overlaps],
        }


def decontaminate(eval_tasks: list[Task], train_tasks: list[Task], n: int = N) -> DecontamReport:
    """Find task-specific ``n``-grams shared between eval and train items (instructions, references)."""
    index: dict[str, dict[tuple[str, ...], list[str]]] = {"instruction": {}, "reference": {}}
    skipped = 0
    for t in train_tasks:
        for fld, toks in (
            ("instruction", prose_tokens(t.instruction)),
            ("reference", code_tokens(t.reference)),
        ):
            for g in ngrams(toks, n):
                index[fld].setdefault(g, []).append(t.id)
    overlaps = []
    for t in eval_tasks:
        for fld, toks in (
            ("instruction", prose_tokens(t.instruction)),
            ("reference", code_tokens(t.reference)),
        ):
            hits: dict[str, str] = {}
            for g in ngrams(toks, n):
                if g not in index[fld]:
                    continue
                if is_boilerplate(g, prose=fld == "instruction"):
                    skipped += 1
                    continue
                for tid in index[fld][g]:
                    hits.setdefault(tid, " ".join(g))
            if hits:
                overlaps.append(Overlap(t.id, fld, sorted(hits)[:5], next(iter(hits.values()))))
    return DecontamReport(n, len(eval_tasks), len(train_tasks), skipped, overlaps)
