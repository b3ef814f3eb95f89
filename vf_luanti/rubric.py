"""Per-family score weights, read from rubrics/<family>.toml and validated on load.

A rubric file has ``family``, ``why`` (the reasoning behind the weights, for readers of the score),
``partial_credit`` (how much of the non-syntax weight an answer that does not pass can earn) and
``[criteria.<component>]`` tables with ``weight`` and ``description`` for exactly the four score
components. Weights are non-negative and sum to 1, so the reward stays in 0..1.

``Rubric.reward`` is the one reward formula of the project (docs/rubrics.md): every path that
turns components into a reward (the sandboxed scorer, the real-engine scorer, reports) calls it.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .resources import resource_dir

COMPONENTS = ("syntax", "api_usage", "task_completion", "code_quality")
FAMILIES = ("scaffold", "repair", "refactor", "doc")
RUBRIC_DIR = resource_dir("rubrics")


class RubricError(ValueError):
    """A rubric file that is missing, malformed or whose weights do not make a 0..1 reward."""


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: float
    description: str


@dataclass(frozen=True)
class Rubric:
    family: str
    why: str
    criteria: tuple[Criterion, ...]
    partial_credit: float = 0.4

    @property
    def weights(self) -> dict[str, float]:
        return {c.name: c.weight for c in self.criteria}

    def reward(self, components: dict[str, float], passed: bool) -> float:
        """The reward in 0..1 from the components (each 0..1) and whether every check passed.

        ``progress`` is 1 for an answer that passes, else ``partial_credit * task_completion``;
        API use and quality count in proportion to it, so an answer that does not do the task
        earns little beyond the syntax weight however clean it is, and one that passes always
        outscores one that does not."""
        w = self.weights
        progress = 1.0 if passed else self.partial_credit * float(components.get("task_completion", 0.0))
        r = w["syntax"] * float(components.get("syntax", 0.0)) + progress * (
            w["api_usage"] * float(components.get("api_usage", 0.0))
            + w["task_completion"]
            + w["code_quality"] * float(components.get("code_quality", 0.0))
        )
        return round(min(1.0, max(0.0, r)), 6)


def parse_rubric(data: dict, where: str) -> Rubric:
    """Validate a parsed rubric table; every problem names the file and the key."""
    family = data.get("family")
    if family not in FAMILIES:
        raise RubricError(f"{where}: 'family' must be one of {', '.join(FAMILIES)}, got {family!r}")
    why = data.get("why")
    if not isinstance(why, str) or not why.strip():
        raise RubricError(f"{where}: 'why' must be a non-empty string explaining the weights")
    crit = data.get("criteria")
    if not isinstance(crit, dict):
        raise RubricError(f"{where}: missing [criteria.<name>] tables")
    if set(crit) != set(COMPONENTS):
        missing, extra = set(COMPONENTS) - set(crit), set(crit) - set(COMPONENTS)
        raise RubricError(
            f"{where}: criteria must be exactly {', '.join(COMPONENTS)}"
            + (f"; missing {sorted(missing)}" if missing else "")
            + (f"; unknown {sorted(extra)}" if extra else "")
        )
    out = []
    for name in COMPONENTS:
        c = crit[name]
        w = c.get("weight") if isinstance(c, dict) else None
        if isinstance(w, bool) or not isinstance(w, int | float) or not (0 <= w <= 1):
            raise RubricError(f"{where}: criteria.{name}.weight must be a number in 0..1, got {w!r}")
        desc = c.get("description")
        if not isinstance(desc, str) or not desc.strip():
            raise RubricError(f"{where}: criteria.{name}.description must be a non-empty string")
        out.append(Criterion(name, float(w), desc.strip()))
    total = sum(c.weight for c in out)
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise RubricError(f"{where}: weights must sum to 1, they sum to {total:g}")
    partial = data.get("partial_credit")
    if isinstance(partial, bool) or not isinstance(partial, int | float) or not (0 <= partial < 1):
        raise RubricError(f"{where}: 'partial_credit' must be a number in 0..1 (below 1), got {partial!r}")
    return Rubric(family=family, why=why.strip(), criteria=tuple(out), partial_credit=float(partial))


@cache
def load_rubric(family: str, directory: Path | None = None) -> Rubric:
    """The rubric for ``family`` from ``directory`` (default: the project's rubrics/)."""
    path = (directory or RUBRIC_DIR) / f"{family}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RubricError(f"no rubric for family {family!r}: {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{path}: not valid TOML: {exc}") from exc
    rubric = parse_rubric(data, str(path))
    if rubric.family != family:
        raise RubricError(f"{path}: declares family {rubric.family!r}, expected {family!r}")
    return rubric
