"""The CP-SAT model of one run: one boolean x[p, i] per paper p and usable candidate i.

Every requirement is linear over the x of one paper, scaled to exact integers (see
`qbank.assembly.inputs`), except exposure (a sum over papers) and sibling overlap. Each
requirement is a group of constraints named by a `Requirement` (qbank.assembly.conflicts);
when diagnosing, a group hangs on one literal so that requirements can be switched on and off.

Sibling overlap of papers p, q counts the shared items plus, for every near-duplicate pair
(a, b), a in p with b in q and b in p with a in q (pair counting: never less than the
validator's per-item count, in either direction), against floor(cap × items) and cap × score,
with booleans y: x[p, i] + x[q, i] - y <= 1 (only that direction is needed: the sums of y are
bounded from above; linear rather than a clause so that the LP relaxation sees it), one per
item that can be in both papers (an item the exposure limit allows only once gets none) and
one per near-duplicate pair and direction. Pairs are modelled on demand (`track`), by the
search. A fixed paper (a recent one, or one solved earlier) is constant: overlap with it is
linear (`against`). Items without a difficulty count as 0.5 (the middle of the scale), as in
the blueprint checks and the validator.

Variables are proto indexes (`qbank.assembly.cpsat`: CP-SAT without `cp_model`'s pandas).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from qbank.assembly import cpsat
from qbank.assembly.candidates import Candidate
from qbank.assembly.conflicts import Fact, Requirement
from qbank.assembly.inputs import Setup, dec, lcm
from qbank.blueprint import (
    DifficultyBand,
    band_contains,
    band_text,
    effective_difficulty,
    per_point_cap,
)

Facts = Callable[[], list[Fact]]
Keep = Callable[[Candidate], bool]
Terms = list[tuple[int, int]]


@dataclass
class Group:
    """One requirement; when diagnosing, all its constraints hang on one assumption literal."""

    key: str
    requirement: Requirement
    facts: Facts | None = None


class Model:
    """The CP-SAT model of one run; `diagnose` puts each requirement behind a literal."""

    def __init__(self, setup: Setup, *, diagnose: bool) -> None:
        self.s = setup
        self.m = cpsat.CpModel()
        self.diagnose = diagnose
        self.groups: dict[str, Group] = {}
        self.literals: dict[str, int] = {}  # variable indexes
        self.tracked: list[tuple[int, int]] = []
        # worn-out items (exposure reached) exist only when diagnosing, held at 0 by "exposure"
        self.items = setup.usable + (setup.worn if diagnose else [])
        self.x: list[dict[int, int]] = [  # variable indexes
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

    def group(self, key: str, requirement: Requirement, facts: Facts | None = None) -> str:
        if key not in self.groups:
            self.groups[key] = Group(key, requirement, facts)
            if self.diagnose:
                self.literals[key] = self.m.new_bool_var(f"g_{key}")
        return key

    def linear(self, key: str, terms: Terms, lo: int | None, hi: int | None) -> None:
        """lo <= Σ coef·var <= hi (None: unbounded), under group `key`."""
        terms = [(v, c) for v, c in terms if c]
        low = -cpsat.INT_MAX if lo is None else lo
        high = cpsat.INT_MAX if hi is None else hi
        enforced_by = self.literals[key] if self.diagnose else None
        if not terms:
            if not low <= 0 <= high:
                self.m.add_bool_or([], enforced_by)  # a requirement no selection meets
            return
        self.m.add_linear([v for v, _ in terms], [c for _, c in terms], low, high, enforced_by)

    def facts_of(self, keep: Keep, scope: str, subject: str = "") -> Facts:
        """The supply for a requirement (usable items passing `keep`, over how many 鉴定点
        when a per-point cap applies, how many are used up), computed only when needed."""
        s = self.s

        def facts() -> list[Fact]:
            usable = [s.items[i] for i in s.usable if keep(s.items[i])]
            figures = {"usable": len(usable)}
            cap = per_point_cap(s.bp)
            if cap is not None:
                points: dict[str, int] = {}
                loose = 0
                for c in usable:
                    if c.knowledge_code:
                        points[c.knowledge_code] = points.get(c.knowledge_code, 0) + 1
                    else:
                        loose += 1
                figures["points"] = len(points)
                figures["most"] = loose + sum(min(cap, k) for k in points.values())
            worn = sum(1 for i in s.worn if keep(s.items[i]))
            if worn:
                figures["worn"] = worn
            return [Fact("supply", scope, subject, figures)]

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
            key = self.group(
                f"section:{t}",
                Requirement("section", t, {"count": count}),
                self.facts_of(_of_type(t), "type", t),
            )
            self.per_paper(key, [i for i in self.items if s.items[i].type == t], None, count, count)

    def _weights(self) -> None:
        s = self.s
        for rule in s.bp.weights:
            low = max(dec(rule.share) - dec(rule.tolerance), Fraction(0))
            high = min(dec(rule.share) + dec(rule.tolerance), Fraction(1))
            figures = {"share": rule.share, "tolerance": rule.tolerance}
            key = self.group(
                f"weight:{rule.range}",
                Requirement("weight", rule.range, figures),
                self.facts_of(_in_range(rule.range), "range", rule.range),
            )
            members = [i for i in self.items if rule.range in s.items[i].ranges]
            total = s.fixed_total
            if total is not None:
                scale = lcm([*(s.score[i] for i in members), low * total, high * total])
                coef = _scaled([s.score[i] for i in members], scale)
                lo, hi = math.ceil(low * total * scale), math.floor(high * total * scale)
                self.per_paper(key, members, coef, lo, hi)
                continue
            # a share of a paper score that varies: Σ s·(in − low)·x >= 0, Σ s·(high − in)·x >= 0
            inside = set(members)
            for bound, sign in ((low, 1), (high, -1)):
                values = [sign * s.score[i] * ((i in inside) - bound) for i in self.items]
                scale = lcm(values)
                self.per_paper(key, self.items, [int(v * scale) for v in values], 0, None)

    def _difficulty(self) -> None:
        s, bp = self.s, self.s.bp
        values = [dec(effective_difficulty(s.items[i])) for i in self.items]  # a few distinct
        if bp.difficulty_mean is not None:
            mean, tol = dec(bp.difficulty_mean), dec(bp.difficulty_tolerance)

            def facts() -> list[Fact]:
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
                return [Fact("difficulty", figures={"low": low / s.n, "high": high / s.n})]

            key = self.group(
                "difficulty_mean",
                Requirement(
                    "difficulty_mean",
                    figures={"mean": bp.difficulty_mean, "tolerance": bp.difficulty_tolerance},
                ),
                facts,
            )
            scale = lcm([*values, mean, tol])
            lo = math.ceil((mean - tol) * s.n * scale)
            hi = math.floor((mean + tol) * s.n * scale)
            self.per_paper(key, self.items, _scaled(values, scale), lo, hi)
        for band in bp.difficulty_bands:
            text = band_text(band)
            inside = _in_band(band)
            key = self.group(
                f"band:{text}",
                Requirement("band", text, {"min": band.min_count, "max": band.max_count}),
                self.facts_of(inside, "band", text),
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
        key = self.group("per_point", Requirement("per_point", figures={"cap": cap}))
        for members in points.values():
            if len(members) > cap:
                self.per_paper(key, members, None, None, cap)

    def _x_share(self) -> None:
        s = self.s
        if s.bp.min_x_share <= 0:
            return
        share = dec(s.bp.min_x_share)
        key = self.group(
            "x_share",
            Requirement(
                "x_share", figures={"share": s.bp.min_x_share, "count": math.ceil(share * s.n)}
            ),
            self.facts_of(_on_x_point, "x"),
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
            Requirement("enemies"),
            lambda: [Fact("enemies", figures={"pairs": len(pairs)})],
        )
        enforced_by = self.literals[key] if self.diagnose else None
        for xs in self.x:
            for a, b in pairs:
                self.m.add_bool_or([cpsat.negated(xs[a]), cpsat.negated(xs[b])], enforced_by)

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
            Requirement(
                "exposure", figures={"max": s.max_exposure, "days": s.bp.exposure_window_days}
            ),
            self.worn_facts,
        )
        for i in limited:
            self.linear(key, [(xs[i], 1) for xs in self.x], None, s.allowance[i])
        for i in worn:
            for xs in self.x:
                self.linear(key, [(xs[i], 1)], None, 0)

    def worn_facts(self) -> list[Fact]:
        """Per section type with items at the exposure limit: what is left, what is used up."""
        s = self.s
        worn_types = sorted({s.items[i].type for i in s.worn}, key=list(s.count).index)
        return [f for t in worn_types for f in self.facts_of(_of_type(t), "type", t)()]

    def _history(self) -> None:
        s = self.s
        if not s.history:
            return
        key = self.group(
            "history",
            Requirement("history", figures={"share": s.caps.recent_share}),
            lambda: [Fact("history", figures={"papers": len(s.history)})],
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
        terms: list[tuple[int, Fraction]],
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
            scale = lcm([*(c for _, c in terms), bound])
            self.linear(
                key, [(v, int(c * scale)) for v, c in terms], None, math.floor(bound * scale)
            )
        for p in papers:
            merged = terms + [(v, -share * s.score[i]) for i, v in self.x[p].items()]
            scale = lcm(c for _, c in merged)
            self.linear(key, [(v, int(c * scale)) for v, c in merged], None, 0)

    # siblings

    def siblings_group(self) -> str:
        s = self.s
        return self.group(
            "siblings",
            Requirement(
                "siblings",
                "/".join(s.codes),
                {"share": s.caps.sibling_share, "count": s.shared_limit(s.sibling_share, s.n)},
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
        terms: list[tuple[int, Fraction]] = []

        def both(a: int, b: int, points: Fraction) -> None:
            y = self.m.new_bool_var("")
            # a + b - y <= 1: linear, not a clause, so that the LP relaxation sees it
            self.m.add_linear([a, b, y], [1, 1, -1], cpsat.INT_MIN, 1)
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

    # changes between solves

    def exclude(self, i: int) -> None:
        """Item i may no longer be chosen (in any paper)."""
        for xs in self.x:
            domain = self.m.proto.variables[xs[i]].domain
            domain[0], domain[1] = 0, 0

    def enable(self, keys: Sequence[str] | None) -> None:
        """Fix the literals of `keys` true and all others false; None frees them all."""
        for key, lit in self.literals.items():
            domain = self.m.proto.variables[lit].domain
            low, high = (0, 1) if keys is None else ((1, 1) if key in keys else (0, 0))
            domain[0], domain[1] = low, high

    def chosen(self, response: cpsat.Response) -> list[set[int]]:
        """The items each paper chose in the solver's solution (read from it once)."""
        values = response.solution
        return [{i for i, v in xs.items() if values[v]} for xs in self.x]


def _scaled(values: Sequence[Fraction], scale: int) -> list[int]:
    """int(v × scale) of each value, computed once per distinct value (exact arithmetic on
    Fractions is slow, and so is hashing one: a run has ten thousand items but a handful of
    scores, told apart by numerator and denominator)."""
    done: dict[tuple[int, int], int] = {}
    out = []
    for v in values:
        key = (v.numerator, v.denominator)
        n = done.get(key)
        if n is None:
            n = done[key] = int(v * scale)
        out.append(n)
    return out


def _of_type(item_type: str) -> Keep:
    return lambda c: c.type == item_type


def _in_range(code: str) -> Keep:
    return lambda c: code in c.ranges


def _in_band(band: DifficultyBand) -> Keep:
    return lambda c: band_contains(band, effective_difficulty(c))


def _on_x_point(c: Candidate) -> bool:
    return c.importance == "X"
