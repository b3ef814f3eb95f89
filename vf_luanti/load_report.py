"""The load report: what ``vf-luanti check`` prints, as a Python object.

The JSON shape (``LoadReport.to_json``) is documented in docs/cli.md and compared field by field
with the real engine's registry dump in the fidelity tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Diagnostic:
    """An error or warning with the mod, file and line of the mod code that caused it."""

    message: str
    mod: str | None = None
    file: str | None = None
    line: int | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Diagnostic:
        return cls(message=d["message"], mod=d.get("mod"), file=d.get("file"), line=d.get("line"))

    def to_dict(self) -> dict[str, Any]:
        return {"mod": self.mod, "file": self.file, "line": self.line, "message": self.message}

    def __str__(self) -> str:
        mod = f"[{self.mod}] " if self.mod else ""
        if not self.file:  # a diagnostic of no file (unsatisfied dependencies, a limit): no location
            return f"{mod}{self.message}"
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{mod}{where}: {self.message}"


#: The registry's sections as the human report counts them (``LoadReport.summary``).
SUMMARY_KINDS = (
    "items",
    "nodes",
    "craftitems",
    "tools",
    "aliases",
    "crafts",
    "abms",
    "lbms",
    "entities",
    "chatcommands",
    "privileges",
)


@dataclass
class LoadReport:
    """Outcome of loading a mod set: ok, diagnostics, the registry, and what the mods printed.

    ``registered`` is the whole registry (``--json``, the API), or its empty shape when the load
    was asked for the summary alone (the human report: a big mod set's registry is megabytes that
    it never shows). ``counts`` and ``own_items`` are what the human report prints, made by the
    emulation either way: entries per registry section, and the items of the mods the check was
    given (name -> type).
    """

    ok: bool
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    registered: dict[str, Any] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    own_items: dict[str, Any] = field(default_factory=dict)

    def rename_file(self, vfs_path: str, real: str) -> None:
        """Name the user's file where the diagnostics name its place in the virtual file system (a
        single ``.lua`` file checked as a mod loads as that mod's init.lua)."""

        def renamed(d: Diagnostic) -> Diagnostic:
            file = real if d.file == vfs_path else d.file
            return replace(d, message=d.message.replace(vfs_path, real), file=file)

        self.errors = [renamed(d) for d in self.errors]
        self.warnings = [renamed(d) for d in self.warnings]

    @classmethod
    def failed(cls, message: str) -> LoadReport:
        """A load that stopped before it could report (a sandbox limit): one error, an empty registry
        of the usual shape, so ``--json`` always prints the same object."""
        empty: dict[str, Any] = {"items": {}, "aliases": {}}
        empty.update((k, []) for k in ("crafts", "abms", "lbms", "entities", "chatcommands", "privileges"))
        return cls(ok=False, errors=[Diagnostic(message=message)], registered=empty)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LoadReport:
        """From the emulation's report (report.lua) or ``to_json()`` with ``summary`` added."""
        summary = d.get("summary", {})
        return cls(
            ok=bool(d["ok"]),
            errors=[Diagnostic.from_dict(e) for e in d.get("errors", [])],
            warnings=[Diagnostic.from_dict(w) for w in d.get("warnings", [])],
            registered=d.get("registered", {}),
            output=list(d.get("output", [])),
            counts=summary.get("counts", {}),
            own_items=summary.get("items", {}),
        )

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object: ok, errors, warnings, registered."""
        return {
            "ok": self.ok,
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
            "registered": self.registered,
        }

    def summary(self) -> dict[str, int]:
        """Counts per registry section, e.g. {"nodes": 3, "crafts": 2, ...} (SUMMARY_KINDS)."""
        return {k: self.counts.get(k, 0) for k in SUMMARY_KINDS}

    def format_human(self) -> str:
        """The human report: verdict, errors, warnings, and what was registered (by the given mods)."""
        lines = ["OK: loads cleanly" if self.ok else f"FAILED: {len(self.errors)} error(s)"]
        for e in self.errors:
            lines.append(f"  error: {e}")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        lines.append("registered: " + ", ".join(f"{v} {k}" for k, v in self.summary().items() if v))
        if self.own_items:
            lines.append("items from these mods:")
            lines.extend(f"  {n} ({kind})" for n, kind in sorted(self.own_items.items()))
        return "\n".join(lines)
