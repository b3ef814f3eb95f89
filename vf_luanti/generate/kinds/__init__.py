"""Every feature kind, one class each, grouped by API area; importing this package registers them
all in vf_luanti.generate.base.KINDS."""

from . import (  # noqa: F401
    blocks,
    chat,
    entities,
    extras,
    forms,
    inventory,
    items,
    lifecycle,
    more,
    nodecb,
    players,
    storage,
    timers,
    world,
)
