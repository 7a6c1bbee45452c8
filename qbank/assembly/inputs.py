"""A solver run's inputs, normalised: candidates in id order, exact scores and difficulties.

Scores, shares and difficulties are read as the decimals the user wrote (0.1 → 1/10, not the
binary float), so every requirement of the model scales to exact integers.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from fractions import Fraction

from qbank.assembly.candidates import Candidate, Caps
from qbank.blueprint import Blueprint


@functools.cache  # a run asks for the same few scores once per candidate
def dec(value: float) -> Fraction:
    """The decimal the user wrote (0.1 → 1/10, not the binary float); 6 decimals at most."""
    f = Fraction(repr(float(value)))
    if 10**6 % f.denominator:
        f = Fraction(round(float(value) * 10**6), 10**6)
    return f


def lcm(values: Iterable[Fraction]) -> int:
    """The least common multiple of the denominators: the scale that makes `values` integers."""
    return math.lcm(1, *{v.denominator for v in values})  # a few distinct denominators


class Setup:
    """The run's inputs: candidates by index (`items`), their exact scores, what each may still
    be used (`allowance`), the usable and the worn-out (exposure reached) indexes, the sibling
    pairs, near-duplicates by item id (`near`) and by index (`enemies`, `enemy_pairs`).

    `only` (item ids) restricts the items to choose from to a pool of the candidates; every
    candidate still gives its score (to a fixed paper's total, to a near-duplicate's points).
    """

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
        self.by_id = by_id
        self.count: dict[str, int] = {}
        self.section_score: dict[str, Fraction] = {}
        for section in bp.sections:
            self.count[section.type] = self.count.get(section.type, 0) + section.count
            self.section_score.setdefault(section.type, dec(section.score))
        self.n = bp.item_count
        self.average = Fraction(0) if not self.n else dec(bp.total_score) / self.n
        limits = [m for m in (caps.max_exposure, bp.max_exposure) if m is not None]
        self.max_exposure = min(limits) if limits else None
        self.near: dict[int, set[int]] = {}  # near-duplicates by item id, candidates or not
        for a, b in enemies:
            if a != b:
                self.near.setdefault(a, set()).add(b)
                self.near.setdefault(b, set()).add(a)
        self.history = [h for h in (frozenset(h) for h in history) if h]
        self.sibling_share = dec(caps.sibling_share)
        self.recent_share = dec(caps.recent_share)
        self._choose([by_id[k] for k in sorted(by_id)], [self.score_of(k) for k in sorted(by_id)])
        self.fixed_total = self._fixed_total()

    def _choose(self, items: list[Candidate], scores: list[Fraction]) -> None:
        """The items the papers choose from (in id order) with their scores: their indexes,
        what each may still be used, the usable and worn-out ones, near-duplicates among
        them (`enemies`, `enemy_pairs`) and the sibling pairs of papers."""
        self.items = items
        self.score = scores
        self.index = {c.item_id: n for n, c in enumerate(items)}
        papers = len(self.codes)
        top = self.max_exposure
        self.allowance = [papers if top is None else min(papers, top - c.exposure) for c in items]
        self.typed = [n for n, c in enumerate(items) if c.type in self.count]
        self.usable = [n for n in self.typed if self.allowance[n] >= 1]
        self.worn = [n for n in self.typed if self.allowance[n] < 1]
        self.pairs = [(p, q) for p in range(papers) for q in range(p + 1, papers)]
        self.enemies: dict[int, set[int]] = {}  # near-duplicates by candidate index
        index = self.index
        for a, others in self.near.items():
            ia = index.get(a)
            if ia is None:
                continue
            for b in others:
                ib = index.get(b)
                if ib is not None:
                    self.enemies.setdefault(ia, set()).add(ib)
        self.enemy_pairs = sorted(
            (a, b) for a, others in self.enemies.items() for b in others if a < b
        )

    def _fixed_total(self) -> Fraction | None:
        """Every paper's score, when each usable item scores as its section (else None)."""
        per_type: dict[str, set[Fraction]] = {}
        for n in self.typed:
            per_type.setdefault(self.items[n].type, set()).add(self.score[n])
        if not all(len(v) <= 1 for v in per_type.values()):
            return None
        return sum(
            (next(iter(per_type.get(t, {Fraction(0)}))) * k for t, k in self.count.items()),
            Fraction(0),
        )

    def score_of(self, item_id: int) -> Fraction:
        """The given score, else the section's of the item's type, else the average item's."""
        given = self.scores or {}
        if item_id in given:
            return dec(given[item_id])
        c = self.by_id.get(item_id)
        if c is not None and c.type in self.section_score:
            return self.section_score[c.type]
        return self.average

    def for_first_paper(self, only: Collection[int] | None = None) -> Setup:
        """The same inputs for the first paper alone (the one-by-one strategy's model),
        choosing from the candidates `only` names (item ids; None: all of them).

        Every candidate still gives its score (to a fixed paper's total, to a near-duplicate's
        points), and a paper's total is this setup's `fixed_total`: a pool's items are some of
        these, and when all of a type score alike, so do those of the pool.
        """
        step = copy.copy(self)
        step.codes = self.codes[:1]
        if only is None:
            step._choose(self.items, self.score)
        else:
            pool = set(only)
            chosen = [n for n, c in enumerate(self.items) if c.item_id in pool]
            step._choose([self.items[n] for n in chosen], [self.score[n] for n in chosen])
        return step

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
        for u in a:  # every near-duplicate pair (u, v) with u in p and v in q, each direction
            for v in self.enemies.get(u, ()):
                if v in b:
                    count += 1
                    points += max(self.score[u], self.score[v])
        total_a = sum((self.score[i] for i in a), Fraction(0))
        total_b = sum((self.score[i] for i in b), Fraction(0))
        limit = self.sibling_share * min(total_a, total_b)
        return count > self.shared_limit(self.sibling_share, self.n) or points > limit
