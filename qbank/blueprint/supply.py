"""A blueprint checked against the bank's supply: shortages told in the user's terms."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from qbank.assembly.candidates import Candidate
from qbank.blueprint.model import (
    Blueprint,
    DifficultyBand,
    WeightRule,
    band_contains,
    band_text,
    effective_difficulty,
    parent_range,
    per_point_cap,
    type_name,
)
from qbank.i18n import tr
from qbank.text.numbers import format_number, format_percent

_EPS = 1e-9


def _types_text(types: Sequence[str]) -> str:
    names = [type_name(t) for t in types]
    if len(names) == 1:
        return names[0]
    return tr("blueprint.list_sep").join(names[:-1]) + tr("blueprint.or") + names[-1]


@dataclass
class _Tally:
    """Usable items of one part of the bank: how many, the uses of those on a 鉴定点 by
    point (when a per-point cap applies), and the uses of the others."""

    items: int = 0
    loose: int = 0
    by_point: dict[str, int] = field(default_factory=dict)
    _capped: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

    def add(self, other: _Tally) -> None:
        self.items += other.items
        self.loose += other.loose
        for point, uses in other.by_point.items():
            self.by_point[point] = self.by_point.get(point, 0) + uses
        self._capped.clear()

    def capped(self, limit: int) -> int:
        """Σ over the points of min(limit, uses): the uses the per-point cap lets count."""
        found = self._capped.get(limit)
        if found is None:
            found = self._capped[limit] = sum(min(limit, n) for n in self.by_point.values())
        return found


def _merged(tallies: Iterable[_Tally]) -> _Tally:
    out = _Tally()
    for tally in tallies:
        out.add(tally)
    return out


@dataclass
class _Group:
    """Usable items alike in all a requirement's filter reads (type, ranges, importance,
    difficulty), so one `sample` answers for all of them; their tally."""

    sample: Candidate
    tally: _Tally = field(default_factory=_Tally)


@dataclass
class _Class:
    """The groups of items on the same ranges with the same importance (of every type and
    difficulty), and their tallies merged per set of types (`of`, computed once each)."""

    groups: list[_Group] = field(default_factory=list)
    _of: dict[frozenset[str], _Tally] = field(default_factory=dict)

    def of(self, types: frozenset[str]) -> _Tally:
        found = self._of.get(types)
        if found is None:
            kept = (g.tally for g in self.groups if g.sample.type in types)
            found = self._of[types] = _merged(kept)
        return found


@dataclass
class _Supply:
    """Upper bounds on the item slots `papers` papers can fill from a part of the bank.

    Every bound is one no assembly can beat, so a requirement above it is certainly
    unsatisfiable; a requirement below it may still fail in the solver for combined reasons.

    The items are counted once, into groups alike in all a filter (`keep`) may read, and the
    groups into classes (same ranges and importance: in a real bank, the items of one 鉴定点
    and its neighbours). A filter is asked once per group, and a class it keeps whole counts
    as one tally; when no 鉴定点 lies in two classes, the capped uses of the classes add up
    without merging their points.
    """

    bp: Blueprint
    papers: int
    sibling_share: float | None
    usable: list[Candidate]
    excluded: int

    @property
    def cap(self) -> int | None:
        return per_point_cap(self.bp)

    def uses(self, c: Candidate) -> int:
        """How many of the papers may use `c` before it reaches the exposure limit."""
        if self.bp.max_exposure is None:
            return self.papers
        return min(self.papers, self.bp.max_exposure - c.exposure)

    def slots(self, keep: Callable[[Candidate], bool], types: Sequence[str]) -> int:
        """Most items of `types` passing `keep` that all papers together can hold.

        `keep` may read a candidate's type, ranges, importance and difficulty only.
        """
        if len(types) == 1:
            return self._bound(self._parts(keep, types), types)
        each = sum(self._bound(self._parts(keep, (t,)), (t,)) for t in types)
        return min(self._bound(self._parts(keep, types), types), each)

    def _parts(self, keep: Callable[[Candidate], bool], types: Sequence[str]) -> list[_Tally]:
        """The tallies of the usable items of `types` passing `keep`, one per class."""
        wanted = frozenset(types)
        parts = []
        for cls in self._classes:
            asked = [(g, keep(g.sample)) for g in cls.groups if g.sample.type in wanted]
            kept = [g.tally for g, ok in asked if ok]
            if len(kept) == len(asked):
                if kept:
                    parts.append(cls.of(wanted))
            elif kept:
                parts.append(_merged(kept))
        return parts

    @functools.cached_property
    def _classes(self) -> list[_Class]:
        """The usable items counted once: by class, then by group, in the bank's order."""
        classes: dict[tuple[tuple[str, ...], str | None], _Class] = {}
        groups: dict[tuple[str, tuple[str, ...], str | None, float | None], _Group] = {}
        cap = self.cap
        for c, uses in zip(self.usable, self._uses, strict=True):
            key = (c.type, c.ranges, c.importance, c.difficulty)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(c)
                classes.setdefault((c.ranges, c.importance), _Class()).groups.append(group)
            tally = group.tally
            tally.items += 1
            if cap is not None and c.knowledge_code:
                points = tally.by_point
                points[c.knowledge_code] = points.get(c.knowledge_code, 0) + uses
            else:
                tally.loose += uses
        return list(classes.values())

    @functools.cached_property
    def _disjoint(self) -> bool:
        """Does every 鉴定点 lie in one class only (so classes' capped uses add up)?"""
        seen: set[str] = set()
        for cls in self._classes:
            points = {p for g in cls.groups for p in g.tally.by_point}
            if not seen.isdisjoint(points):
                return False
            seen |= points
        return True

    def _bound(self, parts: list[_Tally], types: Sequence[str]) -> int:
        """The least of the bounds on the slots the tallies `parts` fill (see `slots`)."""
        p = self.papers
        bounds = [p * sum(s.count for s in self.bp.sections if s.type in types)]
        limit = p * (self.cap or 0)
        if not self._disjoint and len(parts) > 1:
            parts = [_merged(parts)]
        bounds.append(sum(t.loose + t.capped(limit) for t in parts))
        if self.sibling_share is not None:
            # an item in m papers fills m <= 1 + C(m, 2) slots, and the pairs share few items
            shared = math.floor(self.sibling_share * self.bp.item_count + _EPS)
            items = sum(t.items for t in parts)
            bounds.append(items + math.comb(p, 2) * shared)
        return min(bounds)

    @functools.cached_property
    def _uses(self) -> list[int]:
        return [self.uses(c) for c in self.usable]

    def notes(self, reasons: Sequence[str]) -> str:
        parts = list(reasons)
        if self.cap is not None:
            parts.append(tr("blueprint.note.per_point", cap=self.cap))
        if self.excluded:
            parts.append(
                tr("blueprint.note.exposure", count=self.excluded, max=self.bp.max_exposure)
            )
        if self.papers > 1:
            if self.sibling_share is None:
                parts.append(tr("blueprint.note.papers_free", papers=self.papers))
            else:
                parts.append(
                    tr(
                        "blueprint.note.papers",
                        papers=self.papers,
                        share=format_percent(self.sibling_share),
                    )
                )
        return tr("blueprint.notes", notes=tr("blueprint.notes_sep").join(parts)) if parts else ""

    def need_items(
        self,
        keep: Callable[[Candidate], bool],
        types: Sequence[str],
        per_paper: int,
        scope: str,
        reasons: Sequence[str] = (),
    ) -> str | None:
        need = per_paper * self.papers
        have = self.slots(keep, types) if need > 0 else 0
        if need <= 0 or have >= need:
            return None
        return tr(
            "blueprint.supply.items",
            scope=scope,
            need=need,
            types=_types_text(types),
            have=have,
            notes=self.notes(reasons),
        )

    def need_score(
        self,
        keep: Callable[[Candidate], bool],
        points: float,
        scope: str,
        reasons: Sequence[str] = (),
    ) -> str | None:
        need = points * self.papers
        sections = self.bp.sections
        have = sum(s.score * self.slots(keep, (s.type,)) for s in sections) if need > 0 else 0
        if need <= _EPS or have + 1e-6 >= need:
            return None
        return tr(
            "blueprint.supply.score",
            scope=scope,
            need=format_number(need),
            types=_types_text([s.type for s in sections]),
            have=format_number(have),
            notes=self.notes(reasons),
        )


def check_against_bank(
    bp: Blueprint,
    candidates: Sequence[Candidate],
    *,
    papers: int = 1,
    sibling_share: float | None = None,
) -> list[str]:
    """Requirements of `bp` the candidate items certainly cannot meet, as user messages.

    Checks the supply per section, per weight rule (both its lower and its upper bound), for the
    X share, per difficulty band and for the difficulty mean, honouring max_per_point /
    same-point enemies and the exposure limit (items already used `max_exposure` times do not
    count). With `papers` > 1 the items must fill every paper, where any two papers share at
    most `sibling_share` of their items (None: no limit). An empty list is not a promise that
    the solver succeeds; a message is a proof that it cannot.
    """
    types = [s.type for s in bp.sections]
    usable = [c for c in candidates if c.type in types]
    if bp.max_exposure is not None:
        fresh = [c for c in usable if c.exposure < bp.max_exposure]
        excluded, usable = len(usable) - len(fresh), fresh
    else:
        excluded = 0
    supply = _Supply(bp, max(papers, 1), sibling_share, usable, excluded)
    paper = tr("blueprint.scope.paper")
    found = [supply.need_items(_anything, (s.type,), s.count, paper) for s in bp.sections]
    if not any(found) and len(types) > 1:
        found.append(supply.need_items(_anything, types, bp.item_count, paper))
    found += _weight_supply(bp, supply, types)
    if bp.min_x_share > 0:
        need = math.ceil(bp.min_x_share * bp.item_count - 1e-6)
        reason = tr("blueprint.reason.x", share=format_percent(bp.min_x_share))
        scope = tr("blueprint.scope.x")
        found.append(supply.need_items(_x_point, types, need, scope, [reason]))
    for band in bp.difficulty_bands:
        found += _band_supply(bp, supply, types, band)
    found.append(_mean_supply(bp, usable))
    return [m for m in found if m]


Keep = Callable[[Candidate], bool]


def _anything(_c: Candidate) -> bool:
    return True


def _x_point(c: Candidate) -> bool:
    return c.importance == "X"


def _outside(keep: Keep) -> Keep:
    return lambda c: not keep(c)


def _band_supply(
    bp: Blueprint, supply: _Supply, types: Sequence[str], band: DifficultyBand
) -> list[str | None]:
    """Enough items inside the band for its minimum, and outside it for its maximum."""
    text = band_text(band)

    def inside(c: Candidate) -> bool:
        return band_contains(band, effective_difficulty(c))

    return [
        supply.need_items(inside, types, band.min_count, tr("blueprint.scope.band", band=text)),
        supply.need_items(
            _outside(inside),
            types,
            bp.item_count - band.max_count,
            tr("blueprint.scope.outside_band", band=text),
            [tr("blueprint.reason.band_max", max=band.max_count)],
        ),
    ]


def _weight_supply(bp: Blueprint, supply: _Supply, types: Sequence[str]) -> list[str | None]:
    """Lower and upper bound of every weight rule, and siblings that cannot fill their parent."""
    scores = {s.score for s in bp.sections}
    uniform = scores.pop() if len(scores) == 1 else None
    out = [m for rule in bp.weights for m in _rule_supply(bp, supply, types, rule, uniform)]
    return out + _siblings_supply(bp, supply)


def _rule_supply(
    bp: Blueprint, supply: _Supply, types: Sequence[str], rule: WeightRule, uniform: float | None
) -> list[str | None]:
    """Enough score inside the rule's range for its lower bound, and outside for its upper."""
    total = bp.total_score

    def inside(c: Candidate) -> bool:
        return rule.range in c.ranges

    low = max(rule.share - rule.tolerance, 0) * total
    high = min(rule.share + rule.tolerance, 1) * total
    min_reason = tr(
        "blueprint.reason.weight_min",
        share=format_percent(rule.share),
        tolerance=format_percent(rule.tolerance),
        points=format_number(low),
    )
    max_reason = tr(
        "blueprint.reason.weight_max",
        range=rule.range,
        limit=format_percent(min(rule.share + rule.tolerance, 1)),
    )
    scope_in = tr("blueprint.scope.range", range=rule.range)
    scope_out = tr("blueprint.scope.outside", range=rule.range)
    if uniform:
        need_in = math.ceil(low / uniform - 1e-6)
        need_out = math.ceil((total - high) / uniform - 1e-6)
        return [
            supply.need_items(inside, types, need_in, scope_in, [min_reason]),
            supply.need_items(_outside(inside), types, need_out, scope_out, [max_reason]),
        ]
    return [
        supply.need_score(inside, low, scope_in, [min_reason]),
        supply.need_score(_outside(inside), total - high, scope_out, [max_reason]),
    ]


def _siblings_supply(bp: Blueprint, supply: _Supply) -> list[str | None]:
    """Sibling ranges that cover all their parent's items but cannot add up to its share."""
    out: list[str | None] = []
    rules = {r.range: r for r in bp.weights}
    parents = {parent_range(code) for code in rules}
    for parent in sorted(parents, key=lambda p: p or ""):
        depth = 0 if parent is None else len(parent.split("-"))
        if parent is not None and parent not in rules:
            continue
        under = [c for c in supply.usable if parent is None or parent in c.ranges]
        children = {c.ranges[depth] if len(c.ranges) > depth else None for c in under}
        if not under or None in children or not children <= rules.keys():
            continue
        group = sorted(r for r in rules if parent_range(r) == parent)
        most = sum(min(rules[r].share + rules[r].tolerance, 1) for r in group)
        need = 1.0 if parent is None else rules[parent].share - rules[parent].tolerance
        if most < need - _EPS:
            key = "blueprint.supply.weights_under_" + ("paper" if parent is None else "range")
            out.append(
                tr(
                    key,
                    parent=parent,
                    ranges="、".join(group),
                    sum=format_percent(most),
                    limit=format_percent(need),
                )
            )
    return out


def _mean_supply(bp: Blueprint, usable: Sequence[Candidate]) -> str | None:
    """The easiest and the hardest paper the bank allows, against the difficulty target."""
    if bp.difficulty_mean is None or bp.item_count <= 0:
        return None
    lowest = highest = 0.0
    for section in bp.sections:
        values = sorted(effective_difficulty(c) for c in usable if c.type == section.type)
        if len(values) < section.count or section.count <= 0:
            return None
        lowest += sum(values[: section.count])
        highest += sum(values[-section.count :])
    mean, tol = bp.difficulty_mean, bp.difficulty_tolerance
    params = {"mean": format_number(mean), "tolerance": format_number(tol)}
    if lowest / bp.item_count > mean + tol + 1e-6:
        return tr(
            "blueprint.supply.too_hard",
            best=format_number(lowest / bp.item_count),
            limit=format_number(mean + tol),
            **params,
        )
    if highest / bp.item_count < mean - tol - 1e-6:
        return tr(
            "blueprint.supply.too_easy",
            best=format_number(highest / bp.item_count),
            limit=format_number(mean - tol),
            **params,
        )
    return None
