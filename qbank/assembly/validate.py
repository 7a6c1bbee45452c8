"""Independent re-check of assembled papers against the blueprint, the enemies and the caps.

Runs on every paper before it is stored and on stored papers (`qbank paper check`). It shares
no code with the solver: every rule is recomputed here from its definition, so a modelling bug
in the solver shows up as a violation instead of being confirmed by the same mistake.

Definitions (one paper = its item ids in paper order):

- score of an item: `scores[item]` when given, else the score of the blueprint section of the
  item's type; an item the run knows nothing about (not a candidate, no score given, e.g. an
  item of an old paper that is no longer filed) counts as the blueprint's average item score;
- section_count: items per type equal the blueprint's section counts (unknown items count as
  a type of their own, so they always break this rule);
- weight: score of the items whose `ranges` contain the rule's range over the paper's score
  is within share ± tolerance;
- difficulty_mean: mean difficulty within mean ± tolerance; an item without a difficulty (or
  unknown) counts as 0.5, the middle of the scale, in the mean and in the bands;
- difficulty_band: min_count <= items with low <= difficulty < high <= max_count (a band
  ending at 1 also holds 1);
- max_per_point: distinct items per 鉴定点 <= max_per_point, or <= 1 with same_point_enemies;
- x_share: items on X-importance points over all items >= min_x_share;
- enemy: no near-duplicate pair in one paper;
- sibling_overlap (every pair of papers of the run) and recent_overlap (each paper against
  each history paper): the items of the smaller paper that are in the other or are a
  near-duplicate of an item in the other, by count <= floor(cap × smaller count) and by score
  <= cap × smaller score (papers of equal size: the larger of both directions);
- exposure: candidate.exposure + papers of this run using the item <= max_exposure (the
  stricter of the caps' and the blueprint's);
- not_filed: an item not in `filed`; duplicate_item: an item more than once in one paper.

Floating-point comparisons allow 1e-6, because the solver works on scaled integers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qbank.assembly.candidates import Candidate, Caps
from qbank.blueprint.model import band_text, type_name
from qbank.i18n import tr
from qbank.text.numbers import format_number, format_percent

if TYPE_CHECKING:
    from qbank.blueprint import Blueprint, DifficultyBand

UNKNOWN_DIFFICULTY = 0.5
_EPS = 1e-6


@dataclass(frozen=True)
class Violation:
    """One broken rule: `paper` is a paper code, or "A/B" for a rule between two papers."""

    paper: str
    rule: str
    detail: str


def validate_papers(
    papers: Sequence[tuple[str, Sequence[int]]],
    bp: Blueprint,
    candidates: Mapping[int, Candidate],
    *,
    filed: set[int],
    enemies: Iterable[tuple[int, int]] = (),
    history: Sequence[frozenset[int]] = (),
    caps: Caps,
    scores: Mapping[int, float] | None = None,
) -> list[Violation]:
    """Every rule the papers of one run break, in a stable order; empty when all pass.

    `papers` are (code, item ids in paper order) of the run, checked together for siblings
    and exposure; `history` holds the item sets of recent papers. Never raises on bad data:
    unknown items, empty papers and items absent from `scores` are reported or defaulted.
    """
    check = _Checker(bp, candidates, enemies, scores)
    out: list[Violation] = []
    for code, items in papers:
        items = list(items)
        out += [Violation(code, rule, detail) for rule, detail in check.paper(items, filed)]
        for n, old in enumerate(history, start=1):
            found = check.overlap(items, sorted(old), caps.recent_share)
            if found:
                count, points, max_count, max_points = found
                detail = tr(
                    "validate.recent_overlap",
                    n=n,
                    count=count,
                    points=format_number(points),
                    max_count=max_count,
                    max_points=format_number(max_points),
                )
                out.append(Violation(code, "recent_overlap", detail))
    for k, (a, items_a) in enumerate(papers):
        for b, items_b in papers[k + 1 :]:
            found = check.overlap(list(items_a), list(items_b), caps.sibling_share)
            if found:
                count, points, max_count, max_points = found
                detail = tr(
                    "validate.sibling_overlap",
                    a=a,
                    b=b,
                    count=count,
                    points=format_number(points),
                    max_count=max_count,
                    max_points=format_number(max_points),
                )
                out.append(Violation(f"{a}/{b}", "sibling_overlap", detail))
    out += _exposure(papers, candidates, caps, bp)
    return out


class _Checker:
    def __init__(
        self,
        bp: Blueprint,
        candidates: Mapping[int, Candidate],
        enemies: Iterable[tuple[int, int]],
        scores: Mapping[int, float] | None,
    ) -> None:
        self.bp = bp
        self.candidates = candidates
        self.scores = scores or {}
        self.section_score: dict[str, float] = {}
        for section in bp.sections:
            self.section_score.setdefault(section.type, section.score)
        count = sum(s.count for s in bp.sections)
        self.average = bp.total_score / count if count else 0.0
        self.enemies: dict[int, set[int]] = {}
        for a, b in enemies:
            if a != b:
                self.enemies.setdefault(a, set()).add(b)
                self.enemies.setdefault(b, set()).add(a)

    def score(self, item: int) -> float:
        if item in self.scores:
            return float(self.scores[item])
        c = self.candidates.get(item)
        if c is not None and c.type in self.section_score:
            return self.section_score[c.type]
        return self.average

    def difficulty(self, item: int) -> float:
        c = self.candidates.get(item)
        return UNKNOWN_DIFFICULTY if c is None or c.difficulty is None else c.difficulty

    def paper(self, items: list[int], filed: set[int]) -> list[tuple[str, str]]:
        """(rule, detail) for every single-paper rule `items` break."""
        out: list[tuple[str, str]] = []
        known = [self.candidates.get(i) for i in items]
        for item in dict.fromkeys(items):
            if item not in filed:
                out.append(("not_filed", tr("validate.not_filed", item=item)))
        for item, times in Counter(items).items():
            if times > 1:
                out.append(
                    ("duplicate_item", tr("validate.duplicate_item", item=item, times=times))
                )
        out += self._sections(known)
        out += self._weights(items, known)
        out += self._difficulty(items)
        out += self._per_point(items)
        out += self._x_share(known)
        out += self._enemies(items)
        return out

    def _sections(self, known: list[Candidate | None]) -> list[tuple[str, str]]:
        expected: Counter[str | None] = Counter()
        for section in self.bp.sections:
            expected[section.type] += section.count
        actual: Counter[str | None] = Counter(c.type if c else None for c in known)
        out = []
        for item_type in dict.fromkeys([*expected, *actual]):
            if actual[item_type] != expected[item_type]:
                detail = tr(
                    "validate.section_count",
                    type=_type_name(item_type),
                    actual=actual[item_type],
                    expected=expected[item_type],
                )
                out.append(("section_count", detail))
        return out

    def _weights(self, items: list[int], known: list[Candidate | None]) -> list[tuple[str, str]]:
        total = sum(self.score(i) for i in items)
        if total <= 0:
            return []
        out = []
        for rule in self.bp.weights:
            inside = sum(
                self.score(i)
                for i, c in zip(items, known, strict=True)
                if c and rule.range in c.ranges
            )
            share = inside / total
            if (
                not rule.share - rule.tolerance - _EPS
                <= share
                <= rule.share + rule.tolerance + _EPS
            ):
                detail = tr(
                    "validate.weight",
                    range=rule.range,
                    actual=format_percent(share),
                    points=format_number(inside),
                    share=format_percent(rule.share),
                    tolerance=format_percent(rule.tolerance),
                )
                out.append(("weight", detail))
        return out

    def _difficulty(self, items: list[int]) -> list[tuple[str, str]]:
        out = []
        values = [self.difficulty(i) for i in items]
        mean, tolerance = self.bp.difficulty_mean, self.bp.difficulty_tolerance
        if mean is not None and values:
            actual = sum(values) / len(values)
            if abs(actual - mean) > tolerance + _EPS:
                detail = tr(
                    "validate.difficulty_mean",
                    actual=format_number(actual),
                    mean=format_number(mean),
                    tolerance=format_number(tolerance),
                )
                out.append(("difficulty_mean", detail))
        for band in self.bp.difficulty_bands:
            n = sum(1 for d in values if _in_band(band, d))
            if not band.min_count <= n <= band.max_count:
                detail = tr(
                    "validate.difficulty_band",
                    band=band_text(band),
                    actual=n,
                    min=band.min_count,
                    max=band.max_count,
                )
                out.append(("difficulty_band", detail))
        return out

    def _per_point(self, items: list[int]) -> list[tuple[str, str]]:
        limits = [self.bp.max_per_point, 1 if self.bp.same_point_enemies else None]
        cap = min((c for c in limits if c is not None), default=None)
        if cap is None:
            return []
        per_point: Counter[str] = Counter()
        for item in set(items):
            c = self.candidates.get(item)
            if c is not None and c.knowledge_code:
                per_point[c.knowledge_code] += 1
        return [
            ("max_per_point", tr("validate.max_per_point", code=code, actual=n, cap=cap))
            for code, n in sorted(per_point.items())
            if n > cap
        ]

    def _x_share(self, known: list[Candidate | None]) -> list[tuple[str, str]]:
        minimum = self.bp.min_x_share
        if minimum <= 0 or not known:
            return []
        count = sum(1 for c in known if c is not None and c.importance == "X")
        share = count / len(known)
        if share >= minimum - _EPS:
            return []
        detail = tr(
            "validate.x_share",
            actual=format_percent(share),
            count=count,
            items=len(known),
            minimum=format_percent(minimum),
        )
        return [("x_share", detail)]

    def _enemies(self, items: list[int]) -> list[tuple[str, str]]:
        present = set(items)
        pairs = {(a, b) for a in present for b in self.enemies.get(a, ()) if a < b and b in present}
        return [("enemy", tr("validate.enemy", a=a, b=b)) for a, b in sorted(pairs)]

    def overlap(
        self, a: list[int], b: list[int], cap: float
    ) -> tuple[int, float, int, float] | None:
        """(shared count, shared score, count limit, score limit) when over the cap, else None.

        Paper sizes and scores are taken as given (a duplicated item counts twice there, and is
        reported as duplicate_item), shared items once each.
        """
        if not a or not b:
            return None
        if len(a) < len(b):
            directions = [(a, b)]
        elif len(b) < len(a):
            directions = [(b, a)]
        else:
            directions = [(a, b), (b, a)]
        count, points = 0, 0.0
        for small, other in directions:
            present = set(other)
            shared = [
                i
                for i in dict.fromkeys(small)
                if i in present or not self.enemies.get(i, set()).isdisjoint(present)
            ]
            count = max(count, len(shared))
            points = max(points, sum(self.score(i) for i in shared))
        max_count = math.floor(cap * min(len(a), len(b)) + 1e-9)
        max_points = cap * min(sum(self.score(i) for i in a), sum(self.score(i) for i in b))
        if count > max_count or points > max_points + _EPS:
            return count, points, max_count, max_points
        return None


def _exposure(
    papers: Sequence[tuple[str, Sequence[int]]],
    candidates: Mapping[int, Candidate],
    caps: Caps,
    bp: Blueprint,
) -> list[Violation]:
    limits = [caps.max_exposure, bp.max_exposure]
    limit = min((m for m in limits if m is not None), default=None)
    if limit is None:
        return []
    users: dict[int, list[str]] = {}
    for code, items in papers:
        for item in dict.fromkeys(items):
            users.setdefault(item, []).append(code)
    out = []
    for item, codes in sorted(users.items()):
        c = candidates.get(item)
        used = c.exposure if c is not None else 0
        if used + len(codes) > limit:
            detail = tr("validate.exposure", item=item, used=used, now=len(codes), max=limit)
            out.append(Violation("/".join(codes), "exposure", detail))
    return out


def _in_band(band: DifficultyBand, difficulty: float) -> bool:
    return band.low <= difficulty < band.high or (band.high >= 1 and difficulty >= 1)


def _type_name(item_type: str | None) -> str:
    return tr("validate.unknown_type") if item_type is None else type_name(item_type)
