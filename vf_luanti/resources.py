"""Where the project's declarative files live: ``data/`` (tasks) and ``rubrics/``.

In a source checkout (and an editable install) they are the top-level folders beside the package;
a wheel carries copies under ``vf_luanti/_data/`` (pyproject's force-include). ``VF_LUANTI_DATA``
points the task loader at another data folder.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The ``data`` or ``rubrics`` folder: the checkout's if present, else the wheel's copy."""
    checkout = _PKG.parent / name
    return checkout if checkout.is_dir() else _PKG / "_data" / name
