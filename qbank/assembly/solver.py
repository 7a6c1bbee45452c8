"""Paper assembly as a CP-SAT model: the entry point that joins the solver's parts.

`solve` normalises the inputs (`inputs`), searches (`search`, over the model of `model`),
explains a failure (`diagnosis`, as `conflicts.Conflict`s) and lays out the papers found.
The same arguments and settings always give the same result, unless the wall-clock time
limit runs out first.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from qbank.assembly.candidates import Candidate, Caps
from qbank.assembly.conflicts import Conflict
from qbank.assembly.diagnosis import diagnose
from qbank.assembly.inputs import Setup
from qbank.assembly.search import Progress, SolverSettings, SolveStats, find
from qbank.blueprint import Blueprint

CHOICE_TYPES = ("single", "multiple")

__all__ = ["Paper", "SolveResult", "SolveStats", "SolverSettings", "solve"]


@dataclass(frozen=True)
class Paper:
    """An assembled paper: items in paper order and, per choice item, its shown option order."""

    code: str
    item_ids: tuple[int, ...]
    option_orders: dict[int, tuple[str, ...]] = field(hash=False)


@dataclass(frozen=True)
class SolveResult:
    """status "ok" (papers filled), "infeasible" (conflicts say why) or "timeout" (a conflict
    of kind "timeout" or "gave_up": the search stopped, which proves nothing)."""

    status: str
    papers: list[Paper]
    seed: int
    conflicts: list[Conflict]
    stats: SolveStats


def solve(
    bp: Blueprint,
    candidates: Sequence[Candidate],
    *,
    papers: Sequence[str],
    seed: int,
    enemies: Sequence[tuple[int, int]] = (),
    history: Sequence[frozenset[int]] = (),
    caps: Caps,
    scores: Mapping[int, float] | None = None,
    settings: SolverSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SolveResult:
    """Assemble `papers` (codes, e.g. A, B) from `candidates` under `bp` and `caps`.

    Never returns a partial paper: either every paper is full and meets every requirement, or
    no paper at all. `settings` default to `SolverSettings()`. `progress(done, total)` is
    told the papers solved: 0 at the start, then after each paper when they are searched one
    by one, once at the end when jointly.
    """
    settings = settings or SolverSettings()
    stats = Progress(settings)
    setup = Setup(bp, candidates, list(papers), enemies, history, caps, scores)
    stats.describe(setup)

    def done(status: str, found: list[Paper], conflicts: list[Conflict]) -> SolveResult:
        return SolveResult(status, found, seed, conflicts, stats.freeze())

    if not setup.codes:
        return done("ok", [], [])
    rng = random.Random(seed)
    outcome, chosen, tracked = find(setup, rng, seed, stats, settings, progress)
    if outcome == "infeasible":
        return done("infeasible", [], diagnose(setup, tracked, stats, seed, settings))
    if outcome != "ok" or chosen is None:
        if outcome == "timeout":
            stop = Conflict("timeout", figures={"seconds": settings.time_limit})
        else:
            stop = Conflict("gave_up")
        return done("timeout", [], [stop])
    return done("ok", _papers(setup, chosen, rng), [])


def _papers(setup: Setup, chosen: list[set[int]], rng: random.Random) -> list[Paper]:
    """Paper order: sections in blueprint order, shuffled within; choice options shuffled."""
    out = []
    for code, items in zip(setup.codes, chosen, strict=True):
        by_type: dict[str, list[int]] = {}
        for i in sorted(items):
            by_type.setdefault(setup.items[i].type, []).append(i)
        for ids in by_type.values():
            rng.shuffle(ids)
        order: list[int] = []
        for section in setup.bp.sections:
            pool = by_type.get(section.type, [])
            order += pool[: section.count]
            by_type[section.type] = pool[section.count :]
        options = {}
        for i in order:
            c = setup.items[i]
            if c.type in CHOICE_TYPES and c.option_letters:
                letters = list(c.option_letters)
                rng.shuffle(letters)
                options[c.item_id] = tuple(letters)
        out.append(Paper(code, tuple(setup.items[i].item_id for i in order), options))
    return out
