"""Paper assembly as a CP-SAT model: the blueprint, enemies, sibling/recent overlap, exposure.

One boolean x[p, i] per paper p and usable candidate i. Every requirement is linear over the
x of one paper, except sibling overlap, which needs the shared items of two papers.

Sibling overlap is modelled per pair (p, q) by booleans y[p, q, i] >= x[p, i] + x[q, i] - 1
(only that direction: the sum of y is bounded from above), plus one boolean per near-duplicate
pair and direction. Items whose remaining exposure allows a single use cannot be shared and get
no y. That is O(pairs × items), so pairs are added lazily: the model starts without them
(unless the pool is small), and a pair whose solution breaks the cap is modelled exactly and the
model solved again. The lazily built model is a relaxation of the full one, so its answer
"infeasible" is final, and a solution that meets every cap is a solution of the full model.

Randomness: the objective maximises per-(paper, item) weights drawn from random.Random(seed),
and CP-SAT gets the seed as its `random_seed`. Determinism (same seed, candidates, blueprint
⇒ same papers): CP-SAT runs one worker (several workers race and are not reproducible), the
search stops at the first solution that reaches a relative gap or after a fixed amount of
deterministic time — never at a wall-clock moment; the wall-clock `time_limit` only turns a run
into "timeout", it never picks which solution is returned. `workers` is accepted for the
contract and recorded in the stats, but not used for that reason.

Infeasibility: each requirement is a group of constraints enforced by one assumption literal;
CP-SAT's sufficient assumptions, shrunk to a minimal set by deletion, name the requirements that
conflict, and every independent conflict found within the time budget is reported.
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
_DETERMINISTIC_LIMIT = 4.0  # CP-SAT deterministic seconds per solve, a reproducible stop
_TRACK_ALL_BELOW = 20_000  # model every sibling pair from the start below this many y
_CORES = 3  # most independent conflicts reported


@dataclass(frozen=True)
class Paper:
    """An assembled paper: items in paper order and, per choice item, its shown option order."""

    code: str
    item_ids: tuple[int, ...]
    option_orders: dict[int, tuple[str, ...]] = field(hash=False)


@dataclass
class SolveResult:
    """status "ok" (papers filled), "infeasible" (conflicts say why) or "timeout"."""

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
    weights = [[rng.randint(1, _WEIGHT_RANGE) for _ in setup.usable] for _ in setup.codes]
    model = _Model(setup, diagnose=False)
    if setup.y_count(len(setup.pairs)) <= _TRACK_ALL_BELOW:
        for pair in setup.pairs:
            model.track(*pair)
    model.maximize(weights)
    stats["model_time"] = round(time.perf_counter() - started, 4)
    timeout = [tr("solver.timeout", seconds=_num(time_limit))]
    while True:
        left = time_limit - (time.perf_counter() - started)
        if left <= 0:
            return done("timeout", [], timeout)
        stats["iterations"] += 1
        status, solver, first = model.solve(seed, left, started=started)
        if first is not None and "first_solution" not in stats:
            stats["first_solution"] = round(first, 4)
        stats["tracked_pairs"] = len(model.tracked)
        stats["variables"] = len(model.m.proto.variables)
        stats["constraints"] = len(model.m.proto.constraints)
        if status == cp_model.INFEASIBLE:
            return done(
                "infeasible", [], _diagnose(setup, model.tracked, started, time_limit, seed)
            )
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or not _reproducible(status, solver):
            return done("timeout", [], timeout)
        chosen = model.chosen(solver)
        over = [pair for pair in setup.pairs if setup.over_cap(chosen, *pair)]
        if not over:
            stats["status"] = solver.status_name(status)
            stats["objective"] = solver.objective_value
            stats["bound"] = solver.best_objective_bound
            stats["deterministic_time"] = round(solver.deterministic_time, 3)
            return done("ok", _papers(setup, chosen, rng), [])
        for pair in over:
            model.track(*pair)


def _reproducible(status: Any, solver: cp_model.CpSolver) -> bool:
    """Did the search stop for a deterministic reason (not the wall clock)?"""
    if status == cp_model.OPTIMAL:
        return True
    gap = abs(solver.objective_value - solver.best_objective_bound)
    reached = gap <= _GAP * max(abs(solver.objective_value), 1)
    return reached or solver.deterministic_time >= _DETERMINISTIC_LIMIT


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
        by_id: dict[int, Candidate] = {}
        for c in candidates:
            if c.item_id in by_id:
                raise ValueError(f"candidate {c.item_id} given twice")
            by_id[c.item_id] = c
        self.items = [by_id[k] for k in sorted(by_id)]
        self.index = {c.item_id: n for n, c in enumerate(self.items)}
        self.count = {}
        for section in bp.sections:
            self.count[section.type] = self.count.get(section.type, 0) + section.count
        self.n = bp.item_count
        section_score = {}
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
        self.enemies: dict[int, set[int]] = {}
        for a, b in enemies:
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
        for n in self.usable:
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
        """How many usable (and worn-out) candidates pass `keep`, computed only when needed."""
        s = self.s

        def facts() -> list[str]:
            usable = sum(1 for i in s.usable if keep(s.items[i]))
            worn = sum(1 for i in s.worn if keep(s.items[i]))
            if worn:
                return [tr("solver.fact.supply_worn", scope=scope, count=usable, worn=worn)]
            return [tr("solver.fact.supply", scope=scope, count=usable)]

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
            inside = [i for i in self.items if rule.range in s.items[i].ranges]
            total = s.fixed_total
            if total is not None:
                scale = _lcm([*(s.score[i] for i in inside), low * total, high * total])
                coef = [int(s.score[i] * scale) for i in inside]
                lo, hi = math.ceil(low * total * scale), math.floor(high * total * scale)
                self.per_paper(key, inside, coef, lo, hi)
                continue
            # a share of a variable total: Σ s·(in − low)·x >= 0 and Σ s·(high − in)·x >= 0
            members = set(inside)
            for bound, sign in ((low, 1), (high, -1)):
                values = [sign * s.score[i] * ((i in members) - bound) for i in self.items]
                scale = _lcm(values)
                self.per_paper(key, self.items, [int(v * scale) for v in values], 0, None)

    def _difficulty(self) -> None:
        s, bp = self.s, self.s.bp
        values = [_dec(effective_difficulty(s.items[i])) for i in self.items]
        if bp.difficulty_mean is not None:
            mean, tol = _dec(bp.difficulty_mean), _dec(bp.difficulty_tolerance)

            def facts() -> list[str]:
                usable = [effective_difficulty(s.items[i]) for i in s.usable]
                if not usable:
                    return []
                return [tr("solver.fact.difficulty", low=_num(min(usable)), high=_num(max(usable)))]

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
        key = self.group(
            "per_point",
            tr("solver.req.per_point", cap=cap),
            lambda: [tr("solver.fact.points", points=len(points))],
        )
        for members in points.values():
            if len(members) > cap:
                self.per_paper(key, members, None, None, cap)

    def _x_share(self) -> None:
        s = self.s
        if s.bp.min_x_share <= 0:
            return
        need = math.ceil(_dec(s.bp.min_x_share) * s.n)
        key = self.group(
            "x_share",
            tr("solver.req.x_share", share=_pct(s.bp.min_x_share), count=need),
            self.facts_of(lambda c: c.importance == "X", tr("solver.scope.x")),
        )
        members = [i for i in self.items if s.items[i].importance == "X"]
        self.per_paper(key, members, None, need, None)

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
            lambda: [tr("solver.fact.worn", count=len(s.worn))] if s.worn else [],
        )
        for i in limited:
            self.linear(key, [(xs[i], 1) for xs in self.x], None, s.allowance[i])
        for i in worn:
            for xs in self.x:
                self.linear(key, [(xs[i], 1)], None, 0)

    def _history(self) -> None:
        """Against each recent paper H: items in H or near-duplicates of H, by count and score.

        Pair counting (an item with two near-duplicates in H counts twice) bounds from above
        what either paper holds of the other, so the cap holds in both directions.
        """
        s = self.s
        if not s.history:
            return
        key = self.group(
            "history",
            tr("solver.req.history", share=_pct(s.recent_share)),
            lambda: [tr("solver.fact.history", papers=len(s.history))],
        )
        for h in s.history:
            inside = {s.index[j] for j in h if j in s.index}
            near = {i for j in inside for i in s.enemies.get(j, ())}
            counts: dict[int, int] = {}
            points: dict[int, Fraction] = {}
            for i in sorted((inside | near) & set(self.items)):
                k = 1 if i in inside else 0
                pts = s.score[i] if k else Fraction(0)
                for j in s.enemies.get(i, ()):
                    if j in inside:
                        k += 1
                        pts += max(s.score[i], s.score[j])
                counts[i], points[i] = k, pts
            if not counts:
                continue
            h_total = sum((s.score_of(j) for j in h), Fraction(0))
            selected = list(counts)
            limit = s.shared_limit(s.recent_share, len(h))
            self.per_paper(key, selected, [counts[i] for i in selected], None, limit)
            for p, xs in enumerate(self.x):
                terms = [(xs[i], points[i]) for i in selected]
                self.score_cap(key, terms, s.recent_share, [p], h_total)

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

    def track(self, p: int, q: int) -> None:
        """Model the overlap of papers p and q exactly (count and score caps)."""
        s = self.s
        self.tracked.append((p, q))
        limit = s.shared_limit(s.sibling_share, s.n)
        key = self.group(
            "siblings",
            tr(
                "solver.req.siblings",
                papers="/".join(s.codes),
                share=_pct(s.sibling_share),
                count=limit,
            ),
        )
        xp, xq = self.x[p], self.x[q]
        terms: list[tuple[cp_model.IntVar, Fraction]] = []

        def both(a: cp_model.IntVar, b: cp_model.IntVar, points: Fraction) -> None:
            y = self.m.new_bool_var("")
            self.m.add_bool_or([a.Not(), b.Not(), y])
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

    def maximize(self, weights: list[list[int]]) -> None:
        variables = [self.x[p][i] for p in range(len(weights)) for i in self.s.usable]
        coefs = [w for row in weights for w in row]
        self.m.maximize(cp_model.LinearExpr.weighted_sum(variables, coefs))

    def solve(
        self,
        seed: int,
        time_limit: float,
        assumptions: Sequence[str] | None = None,
        started: float | None = None,
    ) -> tuple[int, cp_model.CpSolver, float | None]:
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = 1
        params.random_seed = seed % (2**31 - 1)
        params.max_time_in_seconds = max(time_limit, 0.01)
        # presolve costs more than the search on these models (1.5 s against 0.2 s for one
        # paper from 5,000 items); the LP relaxation alone finds the solutions
        params.cp_model_presolve = False
        self.m.clear_assumptions()
        if assumptions is None:
            params.relative_gap_limit = _GAP
            params.max_deterministic_time = _DETERMINISTIC_LIMIT
        else:
            self.m.add_assumptions([self.literals[k] for k in assumptions])
        callback = _FirstSolution(started if started is not None else time.perf_counter())
        status = solver.solve(self.m, callback)
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

    After each conflict its requirements are set aside and the rest solved again, so
    independent conflicts are all reported (up to _CORES, within the time limit).
    """
    model = _Model(setup, diagnose=True)
    for pair in tracked:
        model.track(*pair)
    names = {lit.index: key for key, lit in model.literals.items()}

    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    def core_of(keys: list[str]) -> list[str] | None:
        """A subset of `keys` that is infeasible, or None (feasible or out of time)."""
        status, solver, _ = model.solve(seed, left(), keys)
        if status != cp_model.INFEASIBLE:
            return None
        found = {names[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in names}
        return [k for k in keys if k in found] or keys

    active = list(model.groups)
    conflicts: list[str] = []
    while active and len(conflicts) < _CORES and left() > 0:
        core = core_of(active)
        if core is None:
            break
        for key in list(core):  # deletion: keep only what the conflict needs
            if len(core) <= 1 or left() <= 0:
                break
            if key in core:
                smaller = core_of([k for k in core if k != key])
                if smaller is not None:
                    core = smaller
        conflicts.append(_conflict_text([model.groups[k] for k in core]))
        active = [k for k in active if k not in core]
    return conflicts or [tr("solver.unexplained")]


def _conflict_text(groups: Sequence[_Group]) -> str:
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
