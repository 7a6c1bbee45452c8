"""Why no papers exist: minimal sets of requirements that cannot hold together, as `Conflict`s.

Every requirement (a section count, a weight rule, the difficulty mean, a band, the per-point
cap, the X share, near-duplicates, exposure, recent papers, siblings) is a group of constraints
behind one literal. CP-SAT's sufficient assumptions give a first conflicting set, shrunk to a
minimal one by deletion, and independent conflicts are looked for after it; each conflict
names the requirements and the bank's supply for them. This runs on the joint model (one by
one has no conflicts to tell: its failure only hands over to the joint model, or, when not
even the first paper can be made, straight to the diagnosis).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from qbank.assembly import cpsat
from qbank.assembly.conflicts import Conflict, conflict_of
from qbank.assembly.inputs import Setup
from qbank.assembly.model import Model
from qbank.assembly.search import Progress, SolverSettings, maximize, run


def diagnose(
    setup: Setup,
    tracked: Sequence[tuple[int, int]],
    progress: Progress,
    seed: int,
    settings: SolverSettings,
) -> list[Conflict]:
    """Minimal sets of requirements that cannot hold together.

    The sections are the paper's shape, not a requirement to trade: they stay on in every test
    and are named only when they cannot be met by themselves (too few items of a type).
    Among the other requirements, a first conflicting set comes from CP-SAT's sufficient
    assumptions (cheap when plain propagation shows the conflict); it is shrunk by deletion,
    each test a normal LP-guided solve with the kept groups fixed on — behind assumptions,
    constraints stay out of the LP relaxation, and conflicts such as a weight against the
    per-point cap go unproven. Then its requirements are set aside and the rest tested again,
    so independent conflicts are reported too (up to `settings.cores`, within the time
    limit). A test that runs out of its deterministic budget keeps its group: the set stays a
    proven conflict, only perhaps not a minimal one.
    """
    model = Model(setup, diagnose=True)
    for pair in tracked:
        model.track(*pair)
    sections = [k for k in model.groups if k.startswith("section:")]
    others = [k for k in model.groups if k not in sections]
    found = _first_core(model, progress, seed, settings) or set(others)
    maximize(model, random.Random(seed), settings)
    tests = _Tests(model, progress, seed, settings)
    if not others or tests.infeasible(sections):
        core = tests.shrink([k for k in sections if k in found] or sections, [])
        return [_conflict(model, core)]
    conflicts: list[Conflict] = []
    core = [k for k in others if k in found] or others
    rest = others
    while True:
        core = tests.shrink(core, sections)
        conflicts.append(_conflict(model, core))
        rest = [k for k in rest if k not in core]
        if len(conflicts) >= settings.cores or not rest:
            return conflicts
        if not tests.infeasible([*sections, *rest]):
            return conflicts
        core = rest


def _first_core(
    model: Model, progress: Progress, seed: int, settings: SolverSettings
) -> set[str] | None:
    """The groups of CP-SAT's sufficient assumptions, when it proves infeasibility with all on."""
    names = {lit: key for key, lit in model.literals.items()}
    status, response, _ = run(
        model, settings, seed, progress.left(), mode="assume", assumptions=list(model.groups)
    )
    if status != cpsat.INFEASIBLE:
        return None
    return {names[i] for i in cpsat.sufficient_assumptions(response) if i in names}


class _Tests:
    """Infeasibility tests of subsets of the groups, within what is left of the time limit."""

    def __init__(
        self, model: Model, progress: Progress, seed: int, settings: SolverSettings
    ) -> None:
        self.model = model
        self.progress = progress
        self.seed = seed
        self.settings = settings

    def infeasible(self, subset: Sequence[str]) -> bool:
        left = self.progress.left()
        if left <= 0:
            return False
        self.model.enable(subset)
        status, _, _ = run(self.model, self.settings, self.seed, left, mode="lp")
        return bool(status == cpsat.INFEASIBLE)

    def shrink(self, core: list[str], background: Sequence[str]) -> list[str]:
        """Drop every group the rest stays infeasible without."""
        for key in list(core):
            if len(core) > 1 and self.infeasible([*background, *(k for k in core if k != key)]):
                core = [k for k in core if k != key]
        return core


def _conflict(model: Model, keys: Sequence[str]) -> Conflict:
    groups = [model.groups[k] for k in keys]
    facts = [f for g in groups if g.facts for f in g.facts()]
    return conflict_of([g.requirement for g in groups], facts)
