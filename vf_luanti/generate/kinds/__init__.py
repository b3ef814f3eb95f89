"""Every feature kind, one class each, grouped by API area; importing this package registers them
all in vf_luanti.generate.base.KINDS."""

from . import blocks, chat, entities, extras, forms, inventory, items, nodecb, players, storage, timers, world  # noqa: F401
