"""Paper assembly as a CP-SAT model: the blueprint, enemies, sibling/recent overlap, exposure.

One boolean x[p, i] per paper p and usable candidate i (items that reached the exposure limit
are left out). Every requirement is linear over the x of one paper, scaled to exact integers
(scores, shares and difficulties are read as the decimals the user wrote), except exposure
(a sum over papers) and sibling overlap.

Sibling overlap of papers p, q counts the shared items plus, for every near-duplicate pair
(a, b), a in p with b in q and b in p with a in q (pair counting: never less than the
validator's per-item count, in either direction), against floor(cap × items) and cap × score.
Two strategies, so that the O(papers² × items) product of all pairs is never built unless
needed:

- one by one (first, for several papers): one single-paper model, solved once per paper with
  a fresh random objective; each solved paper then joins the model as a fixed paper, against
  which overlap is linear, exactly like a recent paper (no auxiliary variable at all), and the
  items it used up are fixed out. Ten papers of 100 items from 5,000 cost ten small solves.
  Being greedy over the papers, it can fail where a joint solution exists; then
- jointly: booleans y with the linear constraint x[p, i] + x[q, i] - y <= 1 (only that
  direction is needed: the sums of y are bounded from above; linear rather than a clause so
  that the LP relaxation sees it), one per item that can be in both papers (an item the
  exposure limit allows only once gets none) and one per near-duplicate pair and direction.
  Below _TRACK_ALL_BELOW such booleans all pairs get them at once; otherwise pairs whose
  solution breaks a cap are added and the model solved again (on a second round, all pairs).
  A model with fewer pairs is a relaxation of the full one, so its "infeasible" is final, and
  a solution that meets every cap is a solution of the full model.

Overlap with recent papers is linear (the recent papers are constants); exposure is a sum of
the papers' x per item against what the item has left.

Randomness and determinism: the objective maximises per-(paper, item) weights drawn from
random.Random(seed), CP-SAT gets the seed as its `random_seed`, and the paper order and option
orders come from the same generator. The same seed, candidates, blueprint and caps give the
same papers: CP-SAT runs one worker without presolve (several workers race and are not
reproducible; presolve costs more than the search here) and every stop is deterministic —
the 2% gap, or a budget of deterministic time (_LP_BUDGET for the LP-guided search, then, if
that found nothing, _LS_BUDGET of local search, which handles tight overlap caps far better).
The wall-clock `time_limit` never picks the returned solution: a search it cuts short ends
as "timeout". `workers` is therefore recorded in the stats but not used.

Infeasibility: every requirement (a section count, a weight rule, the difficulty mean, a band,
the per-point cap, the X share, near-duplicates, exposure, recent papers, siblings) is a group
of constraints behind one literal. CP-SAT's sufficient assumptions give a first conflicting
set, shrunk to a minimal one by deletion, and independent conflicts are looked for after it
(see _diagnose); each becomes a message naming the requirements in the user's terms, with the
bank's supply for them. This runs on the joint model (one by one has no conflicts to tell:
its failure only hands over to the joint model, or, when not even the first paper can be
made, straight to the diagnosis). Items without a difficulty count as 0.5 (the middle of the
scale), as in the blueprint checks and the validator; the stats say how many there were.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ortools.sat.python import cp_model

from qbank.assembly.candidates import Candidate, Caps
from qbank.blueprint import Blueprint, band_contains, effective_difficulty, per_point_cap
from qbank.i18n import tr

CHOICE_TYPES = ("single", "multiple")
_WEIGHT_RANGE = 1_000_000  # random objective weights are drawn from [1, _WEIGHT_RANGE]
_GAP = 0.02  # stop once the solution is within 2% of the bound (deterministic)
_LP_BUDGET = 0.5  # deterministic seconds for the LP-guided search (the usual case needs < 0.2)
_LS_BUDGET = 3.0  # deterministic seconds for local search, when the LP search found nothing
_TRACK_ALL_BELOW = 20_000  # model every sibling pair from the start below this many y
_CORES = 3  # most independent conflicts reported
_ONE_BY_ONE = True  # several papers: first each alone against the earlier ones (_one_by_one)


@dataclass(frozen=True)
class Paper:
    """An assembled paper: items in paper order and, per choice item, its shown option order."""

    code: str
    item_ids: tuple[int, ...]
    option_orders: dict[int, tuple[str, ...]] = field(hash=False)


@dataclass
class SolveResult:
    """status "ok" (papers filled), "infeasible" (conflicts say why) or "timeout".

    stats: strategy ("one_by_one" | "joint"), search ("lp" | "ls", of the last solve),
    iterations (CP-SAT solves), first_solution (seconds from the call to the first solution of
    the last solve, i.e. when the returned set of papers first existed), wall_time,
    model_time, deterministic_time (summed), objective (random weights of the returned papers),
    status (CP-SAT's), tracked_pairs, variables and constraints (of the last model), usable
    candidates, unknown_difficulty and its note, workers used and requested.
    """

    status: str
    papers: list[Paper]
    seed: int
    conflicts: list[str]
    stats: dict[str, Any]


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
    time_limit: float = 10.0,
    workers: int = 2,
) -> SolveResult:
    """Assemble `papers` (codes, e.g. A, B) from `candidates` under `bp` and `caps`.

    Never returns a partial paper: either every paper is full and meets every requirement, or
    no paper at all. The same arguments always give the same result (see the module notes),
    unless the wall-clock `time_limit` runs out first.
    """
    started = time.perf_counter()
    setup = _Setup(bp, candidates, list(papers), enemies, history, caps, scores)
    stats: dict[str, Any] = {
        "papers": len(setup.codes),
        "candidates": len(setup.items),
        "usable": len(setup.usable),
        "workers": 1,
        "workers_requested": workers,
        "iterations": 0,
        "unknown_difficulty": sum(1 for i in setup.usable if setup.items[i].difficulty is None),
    }
    if stats["unknown_difficulty"]:
        stats["note"] = tr("solver.unknown_difficulty", count=stats["unknown_difficulty"])

    def done(status: str, found: list[Paper], conflicts: list[str]) -> SolveResult:
        stats["wall_time"] = round(time.perf_counter() - started, 4)
        return SolveResult(status, found, seed, conflicts, stats)

    if not setup.codes:
        return done("ok", [], [])
    rng = random.Random(seed)
    timeout = [tr("solver.timeout", seconds=_num(time_limit))]
    clock = (started, time_limit)
    chosen = None
    if len(setup.codes) > 1 and _ONE_BY_ONE:
        stats["strategy"] = "one_by_one"
        outcome, chosen = _one_by_one(setup, rng, seed, clock, stats)
        if outcome == "timeout":
            return done("timeout", [], timeout)
        if outcome == "infeasible":
            return done("infeasible", [], _diagnose(setup, [], started, time_limit, seed))
    if chosen is None:
        stats["strategy"] = "joint"
        stats.pop("objective", None)
        model = _Model(setup, diagnose=False)
        if setup.y_count(len(setup.pairs)) <= _TRACK_ALL_BELOW:
            model.track_all()
        model.maximize(rng)
        outcome, chosen = _search(setup, model, seed, clock, stats)
        if outcome == "infeasible":
            conflicts = _diagnose(setup, model.tracked, started, time_limit, seed)
            return done("infeasible", [], conflicts)
        if outcome != "ok" or chosen is None:
            return done("timeout", [], timeout if outcome == "timeout" else [tr("solver.gave_up")])
    return done("ok", _papers(setup, chosen, rng), [])


def _one_by_one(
    setup: _Setup, rng: random.Random, seed: int, clock: tuple[float, float], stats: dict[str, Any]
) -> tuple[str, list[set[int]] | None]:
    """Each paper alone, against the earlier ones as fixed papers, like recent papers.

    One single-paper model, solved once per paper with a fresh random objective; after each
    paper its items join the model as a fixed sibling (linear: no y at all) and items it used
    up leave it. Greedy over the papers, so it can fail where a joint solution exists: then
    ("fallback", None) and the caller solves the papers jointly. When the first paper alone
    is infeasible, so is the run: ("infeasible", None).
    """
    step = _Setup(
        setup.bp,
        setup.items,
        setup.codes[:1],
        setup.enemy_ids,
        setup.history,
        setup.caps,
        setup.scores,
    )
    model = _Model(step, diagnose=False)
    left = {i: setup.allowance[i] for i in setup.usable}  # uses this run may still make
    chosen: list[set[int]] = []
    for _ in setup.codes:
        model.maximize(rng)
        outcome, found = _search(step, model, seed, clock, stats)
        if outcome == "timeout" or (outcome == "infeasible" and not chosen):
            return outcome, None  # not even one paper: the joint model cannot do better
        if outcome != "ok" or found is None:
            return "fallback", None
        chosen.append(found[0])
        model.against(
            model.siblings_group(),
            frozenset(setup.items[i].item_id for i in found[0]),
            step.sibling_share,
        )
        for i in found[0]:
            left[i] -= 1
            if left[i] < 1:
                model.exclude(i)
    if any(setup.over_cap(chosen, *pair) for pair in setup.pairs):
        return "fallback", None
    return "ok", chosen


def _search(
    setup: _Setup, model: _Model, seed: int, clock: tuple[float, float], stats: dict[str, Any]
) -> tuple[str, list[set[int]] | None]:
    """Solve `model` (of `setup`'s papers, objective set): "ok", "infeasible", "timeout" or
    "gave_up", with the chosen items per paper when "ok".

    Sibling pairs whose solution breaks a cap are added and the model solved again; if the
    LP-guided search finds nothing within its budget, local search takes over.
    """
    started, time_limit = clock
    stats.setdefault("model_time", round(time.perf_counter() - started, 4))
    mode = "lp"
    while True:
        left = time_limit - (time.perf_counter() - started)
        if left <= 0:
            return "timeout", None
        stats["iterations"] += 1
        status, solver, first = model.solve(seed, left, mode=mode, started=started)
        if first is not None:  # the last one: when the returned papers first existed
            stats["first_solution"] = round(first, 4)
        stats["deterministic_time"] = round(
            stats.get("deterministic_time", 0) + solver.deterministic_time, 3
        )
        stats.update(
            tracked_pairs=len(model.tracked),
            variables=len(model.m.proto.variables),
            constraints=len(model.m.proto.constraints),
            search=mode,
        )
        if status == cp_model.INFEASIBLE:
            return "infeasible", None
        if _stopped_by_clock(status, solver, left):
            return "timeout", None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if mode == "ls":
                return "gave_up", None
            # tight caps: local search finds what the LP search does not, on the full model
            mode = "ls"
            model.track_all()
            continue
        chosen = model.chosen(solver)
        over = [pair for pair in setup.pairs if setup.over_cap(chosen, *pair)]
        if not over:
            stats["status"] = solver.status_name(status)
            stats["objective"] = stats.get("objective", 0) + solver.objective_value
            return "ok", chosen
        if model.tracked:  # a second round of violations: the caps bind, model them all
            model.track_all()
        else:
            for pair in over:
                model.track(*pair)


def _stopped_by_clock(status: Any, solver: cp_model.CpSolver, limit: float) -> bool:
    """Did the wall clock end the search (so its answer would not be reproducible)?

    Every other stop — optimality, infeasibility, the gap, the deterministic budget — happens
    at the same point of the same search each time.
    """
    if status in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        return False
    return solver.wall_time >= limit * 0.99


# --- inputs ------------------------------------------------------------------------------------


def _dec(value: float) -> Fraction:
    """The decimal the user wrote (0.1 → 1/10, not the binary float); 6 decimals at most."""
    f = Fraction(repr(float(value)))
    if 10**6 % f.denominator:
        f = Fraction(round(float(value) * 10**6), 10**6)
    return f


def _lcm(values: Iterable[Fraction]) -> int:
    return math.lcm(1, *(v.denominator for v in values))


class _Setup:
    """The run's inputs, normalised: candidates in id order, exact scores and difficulties."""

    def __init__(
        self,
        bp: Blueprint,
        candidates: Sequence[Candidate],
        codes: list[str],
        enemies: Sequence[tuple[int, int]],
        history: Sequence[frozenset[int]],
        caps: Caps,
        scores: Mapping[int, float] | None,
    ) -> None:
        self.bp = bp
        self.codes = codes
        self.caps = caps
        self.scores = scores
        self.enemy_ids = list(enemies)
        by_id: dict[int, Candidate] = {}
        for c in candidates:
            if c.item_id in by_id:
                raise ValueError(f"candidate {c.item_id} given twice")
            by_id[c.item_id] = c
        self.items = [by_id[k] for k in sorted(by_id)]
        self.index = {c.item_id: n for n, c in enumerate(self.items)}
        self.count: dict[str, int] = {}
        for section in bp.sections:
            self.count[section.type] = self.count.get(section.type, 0) + section.count
        self.n = bp.item_count
        section_score: dict[str, float] = {}
        for section in bp.sections:
            section_score.setdefault(section.type, section.score)
        self.average = Fraction(0) if not self.n else _dec(bp.total_score) / self.n
        given = scores or {}

        def score_of(item_id: int) -> Fraction:
            if item_id in given:
                return _dec(given[item_id])
            c = by_id.get(item_id)
            if c is not None and c.type in section_score:
                return _dec(section_score[c.type])
            return self.average

        self.score_of = score_of
        self.score = [score_of(c.item_id) for c in self.items]
        limits = [m for m in (caps.max_exposure, bp.max_exposure) if m is not None]
        self.max_exposure = min(limits) if limits else None
        papers = len(codes)
        self.allowance = [
            papers if self.max_exposure is None else min(papers, self.max_exposure - c.exposure)
            for c in self.items
        ]
        typed = [n for n, c in enumerate(self.items) if c.type in self.count]
        self.usable = [n for n in typed if self.allowance[n] >= 1]
        self.worn = [n for n in typed if self.allowance[n] < 1]
        self.pairs = [(p, q) for p in range(papers) for q in range(p + 1, papers)]
        self.near: dict[int, set[int]] = {}  # near-duplicates by item id, candidates or not
        self.enemies: dict[int, set[int]] = {}  # … by candidate index
        for a, b in enemies:
            if a != b:
                self.near.setdefault(a, set()).add(b)
                self.near.setdefault(b, set()).add(a)
            if a != b and a in self.index and b in self.index:
                ia, ib = self.index[a], self.index[b]
                self.enemies.setdefault(ia, set()).add(ib)
                self.enemies.setdefault(ib, set()).add(ia)
        self.enemy_pairs = sorted(
            {(min(a, b), max(a, b)) for a, others in self.enemies.items() for b in others}
        )
        self.history = [h for h in (frozenset(h) for h in history) if h]
        self.sibling_share = _dec(caps.sibling_share)
        self.recent_share = _dec(caps.recent_share)
        # every paper has the same score when each usable item scores as its section
        per_type: dict[str, set[Fraction]] = {}
        for n in typed:
            per_type.setdefault(self.items[n].type, set()).add(self.score[n])
        self.fixed_total: Fraction | None = None
        if all(len(v) <= 1 for v in per_type.values()):
            self.fixed_total = sum(
                (next(iter(per_type.get(t, {Fraction(0)}))) * k for t, k in self.count.items()),
                Fraction(0),
            )

    def shared_limit(self, share: Fraction, other_count: int) -> int:
        return math.floor(share * min(self.n, other_count))

    def y_count(self, pairs: int) -> int:
        """How many y booleans modelling `pairs` sibling pairs exactly takes."""
        shareable = sum(1 for n in self.usable if self.allowance[n] >= 2)
        return pairs * (shareable + 2 * len(self.enemy_pairs))

    def over_cap(self, chosen: list[set[int]], p: int, q: int) -> bool:
        """Does the pair share more than the sibling cap allows (pair counting, as modelled)?"""
        a, b = chosen[p], chosen[q]
        count, points = 0, Fraction(0)
        for i in a & b:
            count += 1
            points += self.score[i]
        for i, j in self.enemy_pairs:
            for u, v in ((i, j), (j, i)):
                if u in a and v in b:
                    count += 1
                    points += max(self.score[u], self.score[v])
        total_a = sum((self.score[i] for i in a), Fraction(0))
        total_b = sum((self.score[i] for i in b), Fraction(0))
        limit = self.sibling_share * min(total_a, total_b)
        return count > self.shared_limit(self.sibling_share, self.n) or points > limit


# --- the model -----------------------------------------------------------------------------

Facts = Callable[[], list[str]]
Terms = list[tuple[cp_model.IntVar, int]]


@dataclass
class _Group:
    """One requirement; when diagnosing, all its constraints hang on one assumption literal."""

    key: str
    text: str
    facts: Facts | None = None


class _FirstSolution(cp_model.CpSolverSolutionCallback):
    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.started


class _Model:
    """The CP-SAT model of one run; `diagnose` puts each requirement behind a literal."""

    def __init__(self, setup: _Setup, *, diagnose: bool) -> None:
        self.s = setup
        self.m = cp_model.CpModel()
        self.diagnose = diagnose
        self.groups: dict[str, _Group] = {}
        self.literals: dict[str, cp_model.IntVar] = {}
        self.tracked: list[tuple[int, int]] = []
        # worn-out items (exposure reached) exist only when diagnosing, held at 0 by "exposure"
        self.items = setup.usable + (setup.worn if diagnose else [])
        self.x: list[dict[int, cp_model.IntVar]] = [
            {i: self.m.new_bool_var(f"x{p}_{i}") for i in self.items}
            for p in range(len(setup.codes))
        ]
        self._sections()
        self._weights()
        self._difficulty()
        self._per_point()
        self._x_share()
        self._enemies()
        self._exposure()
        self._history()

    # groups and constraints

    def group(self, key: str, text: str, facts: Facts | None = None) -> str:
        if key not in self.groups:
            self.groups[key] = _Group(key, text, facts)
            if self.diagnose:
                self.literals[key] = self.m.new_bool_var(f"g_{key}")
        return key

    def linear(self, key: str, terms: Terms, lo: int | None, hi: int | None) -> None:
        """lo <= Σ coef·var <= hi (None: unbounded), under group `key`."""
        terms = [(v, c) for v, c in terms if c]
        low = -cp_model.INT_MAX if lo is None else lo
        high = cp_model.INT_MAX if hi is None else hi
        if not terms:
            if not low <= 0 <= high:
                ct = self.m.add_bool_or([])  # a requirement no selection meets
                if self.diagnose:
                    ct.only_enforce_if(self.literals[key])
            return
        expr = cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [c for _, c in terms])
        ct = self.m.add_linear_constraint(expr, low, high)
        if self.diagnose:
            ct.only_enforce_if(self.literals[key])

    def facts_of(self, keep: Callable[[Candidate], bool], scope: str) -> Facts:
        """The supply for a requirement (usable items passing `keep`, over how many 鉴定点
        when a per-point cap applies, how many are used up), computed only when needed."""
        s = self.s

        def facts() -> list[str]:
            usable = [s.items[i] for i in s.usable if keep(s.items[i])]
            parts = [tr("solver.fact.supply", scope=scope, count=len(usable))]
            cap = per_point_cap(s.bp)
            if cap is not None:
                points: dict[str, int] = {}
                loose = 0
                for c in usable:
                    if c.knowledge_code:
                        points[c.knowledge_code] = points.get(c.knowledge_code, 0) + 1
                    else:
                        loose += 1
                most = loose + sum(min(cap, k) for k in points.values())
                parts.append(tr("solver.fact.points_in", points=len(points), most=most))
            worn = sum(1 for i in s.worn if keep(s.items[i]))
            if worn:
                parts.append(tr("solver.fact.worn_in", count=worn))
            return [tr("solver.fact_sep").join(parts)]

        return facts

    def per_paper(
        self,
        key: str,
        selected: Sequence[int],
        coef: Sequence[int] | None,
        lo: int | None,
        hi: int | None,
    ) -> None:
        """The same bound on Σ coef·x over `selected` items, in every paper."""
        for xs in self.x:
            weights = coef if coef is not None else [1] * len(selected)
            self.linear(key, [(xs[i], c) for i, c in zip(selected, weights, strict=True)], lo, hi)

    # blueprint rules

    def _sections(self) -> None:
        s = self.s
        for t, count in s.count.items():
            name = _type_name(t)
            key = self.group(
                f"section:{t}",
                tr("solver.req.section", count=count, type=name),
                self.facts_of(lambda c, t=t: c.type == t, name),
            )
            self.per_paper(key, [i for i in self.items if s.items[i].type == t], None, count, count)

    def _weights(self) -> None:
        s = self.s
        for rule in s.bp.weights:
            low = max(_dec(rule.share) - _dec(rule.tolerance), Fraction(0))
            high = min(_dec(rule.share) + _dec(rule.tolerance), Fraction(1))
            scope = tr("solver.scope.range", range=rule.range)
            key = self.group(
                f"weight:{rule.range}",
                tr(
                    "solver.req.weight",
                    range=rule.range,
                    share=_pct(rule.share),
                    tolerance=_pct(rule.tolerance),
                ),
                self.facts_of(lambda c, r=rule.range: r in c.ranges, scope),
            )
            members = [i for i in self.items if rule.range in s.items[i].ranges]
            total = s.fixed_total
            if total is not None:
                scale = _lcm([*(s.score[i] for i in members), low * total, high * total])
                coef = [int(s.score[i] * scale) for i in members]
                lo, hi = math.ceil(low * total * scale), math.floor(high * total * scale)
                self.per_paper(key, members, coef, lo, hi)
                continue
            # a share of a paper score that varies: Σ s·(in − low)·x >= 0, Σ s·(high − in)·x >= 0
            inside = set(members)
            for bound, sign in ((low, 1), (high, -1)):
                values = [sign * s.score[i] * ((i in inside) - bound) for i in self.items]
                scale = _lcm(values)
                self.per_paper(key, self.items, [int(v * scale) for v in values], 0, None)

    def _difficulty(self) -> None:
        s, bp = self.s, self.s.bp
        values = [_dec(effective_difficulty(s.items[i])) for i in self.items]
        if bp.difficulty_mean is not None:
            mean, tol = _dec(bp.difficulty_mean), _dec(bp.difficulty_tolerance)

            def facts() -> list[str]:
                """The easiest and the hardest paper the usable items make, sections alone."""
                low = high = 0.0
                for t, count in s.count.items():
                    found = sorted(
                        effective_difficulty(s.items[i]) for i in s.usable if s.items[i].type == t
                    )
                    if len(found) < count or not s.n:
                        return []
                    low += sum(found[:count])
                    high += sum(found[len(found) - count :])
                return [
                    tr("solver.fact.difficulty", low=f"{low / s.n:.2f}", high=f"{high / s.n:.2f}")
                ]

            key = self.group(
                "difficulty_mean",
                tr("solver.req.mean", mean=_num(bp.difficulty_mean), tolerance=_num(tol)),
                facts,
            )
            scale = _lcm([*values, mean, tol])
            lo = math.ceil((mean - tol) * s.n * scale)
            hi = math.floor((mean + tol) * s.n * scale)
            self.per_paper(key, self.items, [int(v * scale) for v in values], lo, hi)
        for band in bp.difficulty_bands:
            text = _band_text(band)

            def inside(c: Candidate, band: Any = band) -> bool:
                return band_contains(band, effective_difficulty(c))

            key = self.group(
                f"band:{text}",
                tr("solver.req.band", band=text, min=band.min_count, max=band.max_count),
                self.facts_of(inside, tr("solver.scope.band", band=text)),
            )
            members = [i for i in self.items if inside(s.items[i])]
            self.per_paper(key, members, None, band.min_count, band.max_count)

    def _per_point(self) -> None:
        s = self.s
        cap = per_point_cap(s.bp)
        if cap is None:
            return
        points: dict[str, list[int]] = {}
        for i in self.items:
            code = s.items[i].knowledge_code
            if code:
                points.setdefault(code, []).append(i)
        key = self.group("per_point", tr("solver.req.per_point", cap=cap))
        for members in points.values():
            if len(members) > cap:
                self.per_paper(key, members, None, None, cap)

    def _x_share(self) -> None:
        s = self.s
        if s.bp.min_x_share <= 0:
            return
        share = _dec(s.bp.min_x_share)
        key = self.group(
            "x_share",
            tr("solver.req.x_share", share=_pct(share), count=math.ceil(share * s.n)),
            self.facts_of(lambda c: c.importance == "X", tr("solver.scope.x")),
        )
        members = [i for i in self.items if s.items[i].importance == "X"]
        self.per_paper(key, members, None, math.ceil(share * s.n), None)

    # enemies, exposure, history

    def _enemies(self) -> None:
        s = self.s
        present = set(self.items)
        pairs = [(a, b) for a, b in s.enemy_pairs if a in present and b in present]
        if not pairs or not self.x:
            return
        key = self.group(
            "enemies",
            tr("solver.req.enemies"),
            lambda: [tr("solver.fact.enemies", pairs=len(pairs))],
        )
        for xs in self.x:
            for a, b in pairs:
                ct = self.m.add_bool_or([xs[a].Not(), xs[b].Not()])
                if self.diagnose:
                    ct.only_enforce_if(self.literals[key])

    def _exposure(self) -> None:
        s = self.s
        if s.max_exposure is None or not self.x:
            return
        papers = len(self.x)
        limited = [i for i in s.usable if s.allowance[i] < papers]
        worn = s.worn if self.diagnose else []
        if not limited and not worn:
            return
        key = self.group(
            "exposure",
            tr("solver.req.exposure", max=s.max_exposure, days=s.bp.exposure_window_days),
            self.worn_facts,
        )
        for i in limited:
            self.linear(key, [(xs[i], 1) for xs in self.x], None, s.allowance[i])
        for i in worn:
            for xs in self.x:
                self.linear(key, [(xs[i], 1)], None, 0)

    def worn_facts(self) -> list[str]:
        """Per section type with items at the exposure limit: what is left, what is used up."""
        s = self.s
        worn_types = sorted({s.items[i].type for i in s.worn}, key=list(s.count).index)
        return [
            f
            for t in worn_types
            for f in self.facts_of(lambda c, t=t: c.type == t, _type_name(t))()
        ]

    def _history(self) -> None:
        s = self.s
        if not s.history:
            return
        key = self.group(
            "history",
            tr("solver.req.history", share=_pct(s.recent_share)),
            lambda: [tr("solver.fact.history", papers=len(s.history))],
        )
        for h in s.history:
            self.against(key, h, s.recent_share)

    def against(self, key: str, h: frozenset[int], share: Fraction) -> None:
        """Each paper against the fixed paper H: items in H or near-duplicates of one there,
        by count and by score, within `share` of the smaller paper.

        Pair counting (an item with two near-duplicates in H counts twice) bounds from above
        what either paper holds of the other, so the cap holds in both directions.
        """
        s = self.s
        present = set(self.items)
        counts: dict[int, int] = {}
        points: dict[int, Fraction] = {}
        for item_id in h:  # the items of H among the candidates, and their near-duplicates
            for j in (item_id, *s.near.get(item_id, ())):
                i = s.index.get(j)
                if i is None or i not in present or i in counts:
                    continue
                mine = s.items[i].item_id
                counts[i] = 1 if mine in h else 0
                points[i] = s.score[i] if mine in h else Fraction(0)
                for other in s.near.get(mine, ()):
                    if other in h:
                        counts[i] += 1
                        points[i] += max(s.score[i], s.score_of(other))
        if not counts:
            return
        h_total = sum((s.score_of(j) for j in h), Fraction(0))
        selected = sorted(counts)
        limit = s.shared_limit(share, len(h))
        self.per_paper(key, selected, [counts[i] for i in selected], None, limit)
        for p, xs in enumerate(self.x):
            terms = [(xs[i], points[i]) for i in selected]
            self.score_cap(key, terms, share, [p], h_total)

    def score_cap(
        self,
        key: str,
        terms: list[tuple[cp_model.IntVar, Fraction]],
        share: Fraction,
        papers: Sequence[int],
        other: Fraction | None = None,
    ) -> None:
        """Σ points·var <= share × the score of each paper in `papers` (and of `other`)."""
        s = self.s
        constants = [other] if other is not None else []
        if s.fixed_total is not None:
            constants.append(s.fixed_total)
            papers = []
        for total in constants:
            bound = share * total
            scale = _lcm([*(c for _, c in terms), bound])
            self.linear(
                key, [(v, int(c * scale)) for v, c in terms], None, math.floor(bound * scale)
            )
        for p in papers:
            merged = terms + [(v, -share * s.score[i]) for i, v in self.x[p].items()]
            scale = _lcm(c for _, c in merged)
            self.linear(key, [(v, int(c * scale)) for v, c in merged], None, 0)

    # siblings

    def siblings_group(self) -> str:
        s = self.s
        return self.group(
            "siblings",
            tr(
                "solver.req.siblings",
                papers="/".join(s.codes),
                share=_pct(s.sibling_share),
                count=s.shared_limit(s.sibling_share, s.n),
            ),
        )

    def track_all(self) -> None:
        for pair in self.s.pairs:
            if pair not in self.tracked:
                self.track(*pair)

    def track(self, p: int, q: int) -> None:
        """Model the overlap of papers p and q exactly (count and score caps)."""
        s = self.s
        self.tracked.append((p, q))
        limit = s.shared_limit(s.sibling_share, s.n)
        key = self.siblings_group()
        xp, xq = self.x[p], self.x[q]
        terms: list[tuple[cp_model.IntVar, Fraction]] = []

        def both(a: cp_model.IntVar, b: cp_model.IntVar, points: Fraction) -> None:
            y = self.m.new_bool_var("")
            self.m.add(a + b - y <= 1)  # linear, not a clause: the LP relaxation sees it
            terms.append((y, points))

        for i in self.items:
            if s.allowance[i] >= 2:
                both(xp[i], xq[i], s.score[i])
        present = set(self.items)
        for a, b in s.enemy_pairs:
            if a in present and b in present:
                points = max(s.score[a], s.score[b])
                both(xp[a], xq[b], points)
                both(xp[b], xq[a], points)
        self.linear(key, [(v, 1) for v, _ in terms], None, limit)
        self.score_cap(key, terms, s.sibling_share, [p, q])

    # solving

    def maximize(self, rng: random.Random) -> None:
        """The random objective: one weight per (paper, item), drawn from `rng`."""
        variables = [v for xs in self.x for v in xs.values()]
        coefs = [rng.randint(1, _WEIGHT_RANGE) for _ in variables]
        self.m.maximize(cp_model.LinearExpr.weighted_sum(variables, coefs))

    def exclude(self, i: int) -> None:
        """Item i may no longer be chosen (in any paper)."""
        for xs in self.x:
            domain = self.m.proto.variables[xs[i].index].domain
            domain[0], domain[1] = 0, 0

    def enable(self, keys: Sequence[str] | None) -> None:
        """Fix the literals of `keys` true and all others false; None frees them all."""
        for key, lit in self.literals.items():
            domain = self.m.proto.variables[lit.index].domain
            low, high = (0, 1) if keys is None else ((1, 1) if key in keys else (0, 0))
            domain[0], domain[1] = low, high

    def solve(
        self,
        seed: int,
        time_limit: float,
        *,
        mode: str = "lp",
        assumptions: Sequence[str] = (),
        started: float | None = None,
    ) -> tuple[Any, cp_model.CpSolver, float | None]:
        """One deterministic CP-SAT run.

        mode "lp": the LP-guided search, stopped at the gap or after _LP_BUDGET; "ls": local
        search only, for _LS_BUDGET; "assume": satisfiability under `assumptions` (a model
        without objective), whose sufficient assumptions give a first conflict.
        """
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = 1
        params.random_seed = seed % (2**31 - 1)
        params.max_time_in_seconds = max(time_limit, 0.01)
        # presolve costs more than the search on these models (1.5 s against 0.2 s for one
        # paper from 5,000 items); the LP relaxation alone finds the solutions
        params.cp_model_presolve = False
        self.m.clear_assumptions()
        if mode == "assume":
            self.enable(None)
            self.m.add_assumptions([self.literals[k] for k in assumptions])
            params.max_deterministic_time = _LP_BUDGET
        elif mode == "lp":
            params.relative_gap_limit = _GAP
            params.max_deterministic_time = _LP_BUDGET
        else:
            params.use_ls_only = True
            params.max_deterministic_time = _LS_BUDGET
        callback = _FirstSolution(started if started is not None else time.perf_counter())
        status = solver.solve(self.m, callback)
        self.m.clear_assumptions()
        return status, solver, callback.first

    def chosen(self, solver: cp_model.CpSolver) -> list[set[int]]:
        return [{i for i, v in xs.items() if solver.boolean_value(v)} for xs in self.x]


def _papers(setup: _Setup, chosen: list[set[int]], rng: random.Random) -> list[Paper]:
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


# --- infeasibility -----------------------------------------------------------------------------


def _diagnose(
    setup: _Setup,
    tracked: Sequence[tuple[int, int]],
    started: float,
    time_limit: float,
    seed: int,
) -> list[str]:
    """Minimal sets of requirements that cannot hold together, as user messages.

    The sections are the paper's shape, not a requirement to trade: they stay on in every test
    and are named only when they cannot be met by themselves (too few items of a type).
    Among the other requirements, a first conflicting set comes from CP-SAT's sufficient
    assumptions (cheap when plain propagation shows the conflict); it is shrunk by deletion,
    each test a normal LP-guided solve with the kept groups fixed on — behind assumptions,
    constraints stay out of the LP relaxation, and conflicts such as a weight against the
    per-point cap go unproven. Then its requirements are set aside and the rest tested again,
    so independent conflicts are reported too (up to _CORES, within the time limit). A test
    that runs out of its deterministic budget keeps its group: the set stays a proven
    conflict, only perhaps not a minimal one.
    """
    model = _Model(setup, diagnose=True)
    for pair in tracked:
        model.track(*pair)
    sections = [k for k in model.groups if k.startswith("section:")]
    others = [k for k in model.groups if k not in sections]
    names = {lit.index: key for key, lit in model.literals.items()}

    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    status, solver, _ = model.solve(seed, left(), mode="assume", assumptions=list(model.groups))
    found = set(others)
    if status == cp_model.INFEASIBLE:
        found = {names[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in names}
    model.maximize(random.Random(seed))

    def infeasible(subset: Sequence[str]) -> bool:
        if left() <= 0:
            return False
        model.enable(subset)
        status, _, _ = model.solve(seed, left(), mode="lp")
        return status == cp_model.INFEASIBLE

    def shrink(core: list[str], background: Sequence[str]) -> list[str]:
        for key in list(core):
            if len(core) > 1 and infeasible([*background, *(k for k in core if k != key)]):
                core = [k for k in core if k != key]
        return core

    if not others or infeasible(sections):
        core = shrink([k for k in sections if k in found] or sections, [])
        return [_conflict_text([model.groups[k] for k in core])]
    conflicts: list[str] = []
    core = [k for k in others if k in found] or others
    rest = others
    while True:
        core = shrink(core, sections)
        conflicts.append(_conflict_text([model.groups[k] for k in core]))
        rest = [k for k in rest if k not in core]
        if len(conflicts) >= _CORES or not rest or not infeasible([*sections, *rest]):
            return conflicts
        core = rest


def _conflict_text(groups: Sequence[_Group]) -> str:
    if not groups:
        return tr("solver.unexplained")
    facts = [f for g in groups if g.facts for f in g.facts()]
    notes = ""
    if facts:
        notes = tr("solver.facts", facts=tr("solver.facts_sep").join(dict.fromkeys(facts)))
    if len(groups) == 1:
        return tr("solver.unmet", requirement=groups[0].text, notes=notes)
    quoted = [tr("solver.quote", text=g.text) for g in groups]
    listed = tr("solver.list_sep").join(quoted[:-1])
    return tr("solver.conflict", first=listed, last=quoted[-1], notes=notes)


# --- text helpers ------------------------------------------------------------------------------


def _type_name(item_type: str) -> str:
    return tr(f"blueprint.type.{item_type}")


def _pct(value: float | Fraction) -> str:
    return f"{round(float(value) * 100, 4):g}%"


def _num(value: float | Fraction) -> str:
    return f"{round(float(value), 4):g}"


def _band_text(band: Any) -> str:
    return f"[{_num(band.low)}, {_num(band.high)}{']' if band.high >= 1 else ')'}"
