"""The benchmark's own code in the real engine: every gold solution loads cleanly there, and every
repair/refactor input gets the same load verdict (and, when it fails, the same error) as in the
emulation. A disagreement here means the emulation would judge an item differently from Luanti."""

from __future__ import annotations

from pathlib import Path

import pytest

from vf_luanti import oracle
from vf_luanti.loading import run_mods
from vf_luanti.mods import mod_from_source
from vf_luanti.splits import load_tasks


def _engine_report(tmp_path: Path, name: str, code: str):
    mod = tmp_path / name
    if mod.exists():
        for f in mod.iterdir():
            f.unlink()
    else:
        mod.mkdir()
    (mod / "mod.conf").write_text(f"name = {name}\n")
    (mod / "init.lua").write_text(code)
    return oracle.engine_check([mod])


@pytest.mark.engine
@pytest.mark.slow
def test_every_item_loads_in_the_engine_as_in_the_emulation(tmp_path: Path) -> None:
    if not oracle.engine_available():
        pytest.skip("the Luanti engine is not installed")
    problems = []
    for task in load_tasks("eval") + load_tasks("scenarios"):
        codes = [("reference", task.reference)]
        if task.family in ("repair", "refactor"):
            codes.append(("input", task.input))
        for role, code in codes:
            engine = _engine_report(tmp_path, task.mod_name, code)
            emulated, _ = run_mods([mod_from_source(code, name=task.mod_name)])
            where = f"{task.id} {role}"
            if role == "reference" and not (engine.ok and not engine.warnings):
                problems.append(f"{where}: engine {[str(d) for d in engine.errors + engine.warnings][:2]}")
            if engine.ok != emulated.ok:
                problems.append(f"{where}: engine ok={engine.ok}, emulation ok={emulated.ok}")
            elif not engine.ok and engine.errors[0].message != emulated.errors[0].message:
                problems.append(
                    f"{where}: engine {engine.errors[0].message!r}, emulation {emulated.errors[0].message!r}"
                )
    assert not problems, "\n".join(problems[:20])
