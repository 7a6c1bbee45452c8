"""How the papers are searched for: strategy, random objective, CP-SAT runs, time limits.

Two strategies, so that the O(papers² × items) product of all sibling pairs is never built
unless needed:

- one by one (first, for several papers): each paper in a single-paper model of its own,
  with a fresh random objective, over a random pool of the items it may still use (`pool`
  items per section slot; when that model finds no paper, a pool four times as large, then
  every item: only the last can prove a paper impossible); the papers solved before it are
  fixed papers, against which overlap is linear, exactly like a recent paper (no auxiliary
  variable at all), and items they used up are left out. A CP-SAT solve costs about its
  model's size, whatever the search: ten papers of 100 items from 11,000 cost ten solves of
  800 variables, not ten of 11,000. (Before pools, the seed chose other papers: the same
  seed gives the same papers only within one version.) Being greedy over the papers, it can
  fail where a joint solution exists; then
- jointly: every paper in one model. Below `track_all_below` y booleans all sibling pairs are
  modelled at once; otherwise pairs whose solution breaks a cap are added and the model
  solved again (on a second round, all pairs). A model with fewer pairs is a relaxation of
  the full one, so its "infeasible" is final, and a solution that meets every cap is a
  solution of the full model.

Randomness and determinism: the objective maximises per-(paper, item) weights drawn from
random.Random(seed), CP-SAT gets the seed as its `random_seed`. The same seed, candidates,
blueprint, caps and settings give the same papers: CP-SAT runs one worker without presolve
(several workers race and are not reproducible; presolve costs more than the search here)
and every stop is deterministic — the gap, or a budget of deterministic time (`lp_budget`
for the LP-guided search, then, if that found nothing, `ls_budget` of local search, which
handles tight overlap caps far better). The wall-clock `time_limit` never picks the returned
solution: a search it cuts short ends as "timeout". `workers` is therefore recorded in the
stats but not used.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qbank.assembly import cpsat
from qbank.assembly.inputs import Setup
from qbank.assembly.model import Model

Outcome = Literal["ok", "infeasible", "timeout", "gave_up", "fallback"]
Mode = Literal["lp", "ls", "assume"]
Chosen = list[set[int]]
Solved = Callable[[int, int], None]
"""Told the papers solved so far and the papers in all."""


@dataclass(frozen=True)
class SolverSettings:
    """How hard and how the solver searches; the same settings and seed give the same papers.

    time_limit: wall-clock seconds for the whole run (a run it cuts short is a timeout);
    workers: recorded only (CP-SAT runs one worker, see the module notes); gap: stop once the
    solution is within this share of the bound; lp_budget / ls_budget: deterministic seconds
    of the LP-guided search and of local search; track_all_below: model every sibling pair
    from the start below this many y booleans; cores: most independent conflicts reported;
    one_by_one: several papers first each alone against the earlier ones; weight_range:
    random objective weights are drawn from [1, weight_range]; pool: one by one, a paper is
    first searched among this many items per section slot, drawn at random (then four times
    as many, then all; 0: all at once).
    """

    time_limit: float = 10.0
    workers: int = 2
    gap: float = 0.02
    lp_budget: float = 0.5
    ls_budget: float = 3.0
    track_all_below: int = 20_000
    cores: int = 3
    one_by_one: bool = True
    weight_range: int = 1_000_000
    pool: int = 8


@dataclass(frozen=True)
class SolveStats:
    """What a run did. strategy: "one_by_one" | "joint" (None: nothing to solve); search: "lp" |
    "ls" (of the last solve); iterations: CP-SAT solves; first_solution: seconds from the call
    to the first solution of the last solve (when the returned papers first existed);
    deterministic_time summed over solves; objective: random weights of the returned papers;
    status: CP-SAT's, of the returned solution; tracked_pairs, variables and constraints: of
    the last model; usable: candidates not worn out; unknown_difficulty: usable candidates
    without a difficulty (counted as 0.5)."""

    papers: int
    candidates: int
    usable: int
    unknown_difficulty: int
    workers: int
    workers_requested: int
    iterations: int = 0
    strategy: str | None = None
    search: str | None = None
    first_solution: float | None = None
    wall_time: float = 0.0
    model_time: float | None = None
    deterministic_time: float = 0.0
    objective: float | None = None
    status: str | None = None
    tracked_pairs: int = 0
    variables: int = 0
    constraints: int = 0


class Progress:
    """The stats as the search goes, frozen into SolveStats at the end."""

    def __init__(self, settings: SolverSettings) -> None:
        self.started = time.perf_counter()
        self.time_limit = settings.time_limit
        self.values: dict[str, Any] = {"workers": 1, "workers_requested": settings.workers}

    def describe(self, setup: Setup) -> None:
        """The run's size: papers, candidates, usable ones and those without a difficulty."""
        self.values.update(
            papers=len(setup.codes),
            candidates=len(setup.items),
            usable=len(setup.usable),
            unknown_difficulty=sum(1 for i in setup.usable if setup.items[i].difficulty is None),
        )

    def left(self) -> float:
        """Wall-clock seconds left of the time limit."""
        return self.time_limit - (time.perf_counter() - self.started)

    def record(
        self, model: Model, response: cpsat.Response, mode: Mode, first: float | None
    ) -> None:
        v = self.values
        v["iterations"] = v.get("iterations", 0) + 1
        if first is not None:  # the last one: when the returned papers first existed
            v["first_solution"] = round(first, 4)
        v["deterministic_time"] = round(
            v.get("deterministic_time", 0) + response.deterministic_time, 3
        )
        v["tracked_pairs"] = len(model.tracked)
        v["variables"] = len(model.m.proto.variables)
        v["constraints"] = len(model.m.proto.constraints)
        v["search"] = mode

    def freeze(self) -> SolveStats:
        wall_time = round(time.perf_counter() - self.started, 4)
        return SolveStats(**self.values, wall_time=wall_time)


def find(
    setup: Setup,
    rng: random.Random,
    seed: int,
    progress: Progress,
    settings: SolverSettings,
    solved: Solved | None = None,
) -> tuple[Outcome, Chosen | None, list[tuple[int, int]]]:
    """Search for the chosen items of every paper: one by one, then jointly.

    Returns the outcome ("ok" with the chosen items per paper, "infeasible", "timeout" or
    "gave_up") and the sibling pairs the last model tracked (for the diagnosis). `solved` is
    told 0 papers first, then the papers found: after each when one by one, all at once when
    jointly (and 0 again when one by one gave way to the joint search).
    """
    total = len(setup.codes)
    if solved is not None:
        solved(0, total)  # the search starts: a progress display times the stage from here
    if total > 1 and settings.one_by_one:
        progress.values["strategy"] = "one_by_one"
        outcome, chosen = _one_by_one(setup, rng, seed, progress, settings, solved)
        if outcome != "fallback":
            return outcome, chosen, []
        if solved is not None:
            solved(0, total)  # starting again, all papers at once
    progress.values["strategy"] = "joint"
    progress.values.pop("objective", None)
    model = Model(setup, diagnose=False)
    if setup.y_count(len(setup.pairs)) <= settings.track_all_below:
        model.track_all()
    maximize(model, rng, settings)
    outcome, chosen = _search(setup, model, seed, progress, settings)
    if outcome == "ok" and solved is not None:
        solved(total, total)
    return outcome, chosen, model.tracked


def _one_by_one(
    setup: Setup,
    rng: random.Random,
    seed: int,
    progress: Progress,
    settings: SolverSettings,
    solved: Solved | None = None,
) -> tuple[Outcome, Chosen | None]:
    """Each paper alone, against the earlier ones as fixed papers, like recent papers.

    Each paper is solved in a model of its own over a pool of the items it may still use
    (`_pools`: a random sample, `pool` items a section slot, then a larger one, then all of
    them), with a fresh random objective; the earlier papers are fixed siblings (linear: no y
    at all) and items they used up are left out. Only the model of all the items can say a
    paper is impossible. Greedy over the papers, so it can fail where a joint solution exists:
    then ("fallback", None) and the caller solves the papers jointly. When the first paper
    alone is infeasible, so is the run: ("infeasible", None).
    """
    left = {i: setup.allowance[i] for i in setup.usable}  # uses this run may still make
    eligible: dict[str, list[int]] = {}  # item ids of each type that may still be used
    for i in setup.usable:
        eligible.setdefault(setup.items[i].type, []).append(setup.items[i].item_id)
    chosen: Chosen = []
    for _ in setup.codes:
        for pool in _pools(setup, eligible, rng, settings):
            step = setup.for_first_paper(pool)
            model = Model(step, diagnose=False)
            for earlier in chosen:
                ids = frozenset(setup.items[i].item_id for i in earlier)
                model.against(model.siblings_group(), ids, step.sibling_share)
            maximize(model, rng, settings)
            outcome, found = _search(step, model, seed, progress, settings)
            if outcome in ("ok", "timeout"):
                break
        if outcome == "timeout" or (outcome == "infeasible" and not chosen):
            return outcome, None  # not even one paper: the joint model cannot do better
        if outcome != "ok" or found is None:
            return "fallback", None
        paper = {setup.index[step.items[i].item_id] for i in found[0]}
        chosen.append(paper)
        if solved is not None:
            solved(len(chosen), len(setup.codes))
        for i in paper:
            left[i] -= 1
        spent = {setup.items[i].item_id for i in paper if left[i] < 1}
        if spent:
            eligible = {
                t: [i for i in found_ids if i not in spent] for t, found_ids in eligible.items()
            }
    if any(setup.over_cap(chosen, *pair) for pair in setup.pairs):
        return "fallback", None
    return "ok", chosen


def _pools(
    setup: Setup, eligible: dict[str, list[int]], rng: random.Random, settings: SolverSettings
) -> Iterator[list[int]]:
    """The pools one paper is searched in, smallest first, ending with every eligible item
    (`eligible`: item ids by type, in id order): for each section type, `settings.pool` items
    a slot of the type drawn at random, then four times as many. A pool that would hold
    every eligible item is the last."""
    factor = settings.pool
    counts = setup.count.items()
    while factor > 0 and any(len(eligible.get(t, ())) > factor * n for t, n in counts):
        pool: list[int] = []
        for t, n in counts:
            found = eligible.get(t, [])
            pool += found if len(found) <= factor * n else rng.sample(found, factor * n)
        yield pool
        factor *= 4
    yield [i for t, _ in counts for i in eligible.get(t, [])]


def _search(
    setup: Setup, model: Model, seed: int, progress: Progress, settings: SolverSettings
) -> tuple[Outcome, Chosen | None]:
    """Solve `model` (of `setup`'s papers, objective set): "ok", "infeasible", "timeout" or
    "gave_up", with the chosen items per paper when "ok".

    Sibling pairs whose solution breaks a cap are added and the model solved again; if the
    LP-guided search finds nothing within its budget, local search takes over.
    """
    values = progress.values
    values.setdefault("model_time", round(time.perf_counter() - progress.started, 4))
    mode: Mode = "lp"
    while True:
        left = progress.left()
        if left <= 0:
            return "timeout", None
        status, response, first = run(
            model, settings, seed, left, mode=mode, started=progress.started
        )
        progress.record(model, response, mode, first)
        if status == cpsat.INFEASIBLE:
            return "infeasible", None
        if _stopped_by_clock(status, response, left):
            return "timeout", None
        if status not in (cpsat.OPTIMAL, cpsat.FEASIBLE):
            if mode == "ls":
                return "gave_up", None
            # tight caps: local search finds what the LP search does not, on the full model
            mode = "ls"
            model.track_all()
            continue
        chosen = model.chosen(response)
        over = [pair for pair in setup.pairs if setup.over_cap(chosen, *pair)]
        if not over:
            values["status"] = status.name
            values["objective"] = values.get("objective", 0) + response.objective_value
            return "ok", chosen
        if model.tracked:  # a second round of violations: the caps bind, model them all
            model.track_all()
        else:
            for pair in over:
                model.track(*pair)


def _stopped_by_clock(status: cpsat.Status, response: cpsat.Response, limit: float) -> bool:
    """Did the wall clock end the search (so its answer would not be reproducible)?

    Every other stop — optimality, infeasibility, the gap, the deterministic budget — happens
    at the same point of the same search each time.
    """
    if status in (cpsat.OPTIMAL, cpsat.INFEASIBLE):
        return False
    return bool(response.wall_time >= limit * 0.99)


def maximize(model: Model, rng: random.Random, settings: SolverSettings) -> None:
    """The random objective: one weight per (paper, item), drawn from `rng`.

    Written into the model's proto directly, as `CpModel.maximize` of their weighted sum
    writes it (variables in order, coefficients negated, scaling factor -1), without the
    expression `maximize` would build and flatten in Python first.
    """
    variables = [v for xs in model.x for v in xs.values()]
    top = settings.weight_range
    coefs = [rng.randint(1, top) for _ in variables]
    proto = model.m.proto
    proto.clear_objective()
    proto.clear_floating_point_objective()
    objective = proto.objective
    objective.vars.extend(variables)
    objective.coeffs.extend([-c for c in coefs])
    objective.scaling_factor = -1.0
    objective.offset = 0.0


def run(
    model: Model,
    settings: SolverSettings,
    seed: int,
    time_limit: float,
    *,
    mode: Mode = "lp",
    assumptions: Sequence[str] = (),
    started: float | None = None,
) -> tuple[cpsat.Status, cpsat.Response, float | None]:
    """One deterministic CP-SAT run: (status, response, seconds to its first solution).

    mode "lp": the LP-guided search, stopped at the gap or after `lp_budget`; "ls": local
    search only, for `ls_budget`; "assume": satisfiability under `assumptions` (a model
    without objective), whose sufficient assumptions give a first conflict.
    """
    params = cpsat.new_parameters()
    params.num_workers = 1
    params.random_seed = seed % (2**31 - 1)
    params.max_time_in_seconds = max(time_limit, 0.01)
    # presolve costs more than the search on these models (1.5 s against 0.2 s for one
    # paper from 5,000 items); the LP relaxation alone finds the solutions
    params.cp_model_presolve = False
    model.m.clear_assumptions()
    if mode == "assume":
        model.enable(None)
        model.m.add_assumptions([model.literals[k] for k in assumptions])
        params.max_deterministic_time = settings.lp_budget
    elif mode == "lp":
        params.relative_gap_limit = settings.gap
        params.max_deterministic_time = settings.lp_budget
    else:
        params.use_ls_only = True
        params.max_deterministic_time = settings.ls_budget
    clock = started if started is not None else time.perf_counter()
    first: list[float] = []

    def found() -> None:
        if not first:
            first.append(time.perf_counter() - clock)

    response = cpsat.solve(model.m, params, found)
    model.m.clear_assumptions()
    return response.status, response, first[0] if first else None
