"""Overlap reports computed: the figures of each scope, as an `OverlapReport` (document.py).

A report states its scope, the policy (every value with its clause), the tokenizer identity,
the MinHash parameters, the method, a hash of the scope's snapshot (its sorted version ids),
every near-duplicate pair with its exact Jaccard (shared and union token counts), the
duplicate clusters, the rate's numerator and denominator, the cap and the verdict.

Scopes computed here, on in-memory units (so a file can be checked as well as a database):

- `theory`: items of one bank. Clusters are connected components of the near-duplicate
  graph; numerator = items in clusters beyond the first of each; denominator = all items.
- `practical`: the sets of one bank pairwise. For sets S, T: share = score of S's tasks that
  near-duplicate a task of T over S's total score, both directions; the scope's rate is the
  largest share.
- `practical-levels`: this bank's practical tasks against other levels' tasks of the same
  occupation; numerator = this bank's tasks with a near-duplicate elsewhere.
- `reference`: a bank against a reference (another bank or a file); numerator = items with a
  near-duplicate in the reference.
- `paper_overlap` (no report of its own): two papers by count and by score over the smaller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from json.encoder import encode_basestring as _string
from operator import attrgetter
from typing import Protocol

import numpy as np

from qbank.canonical import canonical_bytes, content_id
from qbank.overlap.clusters import clusters, repetition
from qbank.overlap.document import (
    AdjudicatedPair,
    ListedItem,
    ListedTask,
    Method,
    Number,
    OverlapReport,
    ReportKind,
    ReportPair,
    ReportPolicy,
    ReportTokenizer,
    Scope,
    SetPair,
    SetShare,
    Snapshot,
    Verdict,
)
from qbank.overlap.pairs import Pair, Stages, cross_duplicates, minhash_params, near_duplicates
from qbank.policy import Policy

RATE_DIGITS = 6


@dataclass(frozen=True)
class Unit:
    """One thing compared: an item version or a practical task, with its tokens.

    `id` is what the report shows (an item id of `qbank item list`, or `SET#task`), `version`
    the content hash it stands for, `score` its weight (task score, item score).
    """

    id: int | str
    version: str
    tokens: tuple[str, ...]
    text_key: str
    score: Number = 1.0
    group: str = ""  # practical: the set code; reference: "bank" / "reference"
    guid: str | None = None


@dataclass(frozen=True)
class Context:
    """What every report names besides its figures."""

    policy: Policy
    tokenizer: ReportTokenizer
    generated_by: str = ""

    def report(
        self,
        kind: ReportKind,
        scope: Scope,
        method: Method,
        units: Sequence[Named],
        pairs: list[ReportPair],
        figures: tuple[Number, Number, float],
        cap: float,
    ) -> OverlapReport:
        """The parts every kind has; the caller adds its own sections with `replace`."""
        numerator, denominator, rate = figures
        return OverlapReport(
            kind=kind,
            scope=scope,
            policy=ReportPolicy(self.policy, self.policy.id),
            tokenizer=self.tokenizer,
            minhash=minhash_params(self.policy),
            method=method,
            threshold=float(self.policy.similarity_threshold.value),
            snapshot=snapshot(units),
            pairs=tuple(pairs),
            numerator=numerator,
            denominator=denominator,
            rate=rate,
            cap=cap,
            verdict=_verdict(rate, cap),
        )


class Named(Protocol):
    """What a report names of a compared unit: a `Unit`, or a `ListedItem`."""

    @property
    def id(self) -> int | str: ...

    @property
    def version(self) -> str: ...


def snapshot(units: Sequence[Named]) -> Snapshot:
    """Count and SHA-256 of the sorted version ids: names exactly what was compared."""
    versions = sorted(u.version for u in units)
    return Snapshot(len(versions), content_id(versions))


def _rate(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, RATE_DIGITS) if denominator else 0.0


def _pair(a: Named, b: Named, pair: Pair) -> ReportPair:
    return ReportPair(a.id, b.id, round(pair.similarity, RATE_DIGITS), pair.shared, pair.union)


def _verdict(rate: float, cap: float) -> Verdict:
    return "pass" if rate <= cap + 1e-12 else "fail"


def _listed(units: Sequence[Unit]) -> tuple[ListedItem, ...]:
    return tuple(ListedItem(u.id, u.guid, u.version) for u in units)


@dataclass(frozen=True)
class Mark:
    """A reviewer's signed judgement that two versions are distinct, as a report shows it."""

    reviewer: str
    reason: str


@dataclass
class Adjudications:
    """Pairs of versions a reviewer judged distinct: {(version_a, version_b): mark}."""

    marks: dict[tuple[str, str], Mark] = field(default_factory=dict)

    def get(self, a: str, b: str) -> Mark | None:
        return self.marks.get((a, b)) or self.marks.get((b, a))


def theory_report(
    units: Sequence[Unit],
    ctx: Context,
    scope: Scope,
    adjudications: Adjudications | None = None,
    *,
    sigs: np.ndarray | None = None,
    progress: Stages = None,
) -> OverlapReport:
    """Within one bank: near-duplicate clusters of items and the repetition rate.

    `sigs` may pass the units' stored MinHash signatures (the policy's parameters), one row
    per unit; `progress` follows the LSH stages (`pairs.near_duplicates`)."""
    found, method = near_duplicates(
        [u.tokens for u in units],
        ctx.policy,
        text_keys=[u.text_key for u in units],
        sigs=sigs,
        progress=progress,
    )
    return theory_document(_listed(units), found, method, ctx, scope, adjudications)


def theory_document(
    listed: tuple[ListedItem, ...],
    found: Sequence[Pair],
    method: Method,
    ctx: Context,
    scope: Scope,
    adjudications: Adjudications | None = None,
) -> OverlapReport:
    """The theory report of a scope's items (`listed`, in order) and its near-duplicate
    pairs (`found`, indices into `listed`, sorted), however they were found."""
    adjudications = adjudications or Adjudications()
    counted: list[Pair] = []
    adjudicated = []
    for pair in found:
        a, b = listed[pair.i], listed[pair.j]
        mark = adjudications.get(a.version, b.version)
        if mark is None:
            counted.append(pair)
        else:
            adjudicated.append(AdjudicatedPair(_pair(a, b, pair), mark.reviewer, mark.reason))
    i = np.array([p.i for p in counted], dtype=np.int64)
    j = np.array([p.j for p in counted], dtype=np.int64)
    n = len(listed)
    groups = clusters(n, i, j)
    numerator, denominator = repetition(n, groups)
    rate = _rate(numerator, denominator)
    pairs = [_pair(listed[p.i], listed[p.j], p) for p in counted]
    cap = float(ctx.policy.max_repetition.value)
    report = ctx.report("theory", scope, method, listed, pairs, (numerator, denominator, rate), cap)
    return replace(
        report,
        items=listed,
        adjudicated=tuple(adjudicated),
        adjudicated_counted=False,
        clusters=tuple(tuple(listed[k].id for k in g) for g in groups),
    )


def practical_report(units: Sequence[Unit], ctx: Context, scope: Scope) -> OverlapReport:
    """Between the practical sets of one bank: score share of each set repeated in another."""
    found, method = near_duplicates(
        [u.tokens for u in units], ctx.policy, text_keys=[u.text_key for u in units]
    )
    found = [p for p in found if units[p.i].group != units[p.j].group]
    sets = sorted({u.group for u in units})
    totals = {s: sum(u.score for u in units if u.group == s) for s in sets}
    repeated: dict[tuple[str, str], set[int]] = {}
    for pair in found:
        a, b = units[pair.i], units[pair.j]
        repeated.setdefault((a.group, b.group), set()).add(pair.i)
        repeated.setdefault((b.group, a.group), set()).add(pair.j)
    set_pairs = []
    worst: tuple[float, Number, Number] | None = None
    for x in range(len(sets)):
        for y in range(x + 1, len(sets)):
            sides = []
            for s, t in ((sets[x], sets[y]), (sets[y], sets[x])):
                shared = sum(units[k].score for k in repeated.get((s, t), ()))
                share = _rate(shared, totals[s])
                sides.append(SetShare(shared, totals[s], share))
                if worst is None or share > worst[0]:
                    worst = (share, shared, totals[s])
            set_pairs.append(SetPair(sets[x], sets[y], sides[0], sides[1]))
    cap = float(ctx.policy.max_practical_pair_share.value)
    rate, numerator, denominator = worst or (0.0, 0.0, 0.0)
    pairs = [_pair(units[p.i], units[p.j], p) for p in found]
    report = ctx.report(
        "practical", scope, method, units, pairs, (numerator, denominator, rate), cap
    )
    tasks = tuple(ListedTask(str(u.id), u.version, u.group, u.score) for u in units)
    return replace(report, tasks=tasks, set_pairs=tuple(set_pairs))


def reference_report(
    units: Sequence[Unit],
    reference: Sequence[Unit],
    ctx: Context,
    scope: Scope,
    *,
    kind: ReportKind = "reference",
    cap_value: float | None = None,
) -> OverlapReport:
    """A scope against a reference: share of its units with a near-duplicate there."""
    found, method = cross_duplicates(
        [u.tokens for u in units],
        [u.tokens for u in reference],
        ctx.policy,
        keys_a=[u.text_key for u in units],
        keys_b=[u.text_key for u in reference],
    )
    hit = {p.i for p in found}
    by_score = kind == "practical-levels"
    numerator: Number = sum(units[k].score for k in hit) if by_score else len(hit)
    denominator: Number = sum(u.score for u in units) if by_score else len(units)
    rate = _rate(numerator, denominator)
    cap = cap_value if cap_value is not None else float(ctx.policy.max_reference_share.value)
    pairs = [_pair(units[p.i], reference[p.j], p) for p in found]
    report = ctx.report(kind, scope, method, units, pairs, (numerator, denominator, rate), cap)
    return replace(
        report,
        items=_listed(units),
        reference_snapshot=snapshot(reference),
        reference_items=_listed(reference),
    )


@dataclass(frozen=True)
class PaperOverlap:
    """Overlap of two papers over the smaller one, by item count and by score."""

    shared_items: int
    items: int
    shared_score: float
    score: float
    pairs: tuple[tuple[int | str, int | str], ...]

    @property
    def by_count(self) -> float:
        return self.shared_items / self.items if self.items else 0.0

    @property
    def by_score(self) -> float:
        return self.shared_score / self.score if self.score else 0.0


def paper_overlap(paper_a: Sequence[Unit], paper_b: Sequence[Unit], policy: Policy) -> PaperOverlap:
    """Items of the smaller paper that are, or near-duplicate, an item of the other."""
    small, large = (paper_a, paper_b) if len(paper_a) <= len(paper_b) else (paper_b, paper_a)
    found, _ = cross_duplicates(
        [u.tokens for u in small],
        [u.tokens for u in large],
        policy,
        keys_a=[u.version for u in small],
        keys_b=[u.version for u in large],
    )
    hit = sorted({p.i for p in found})
    return PaperOverlap(
        shared_items=len(hit),
        items=len(small),
        shared_score=sum(small[k].score for k in hit),
        score=sum(u.score for u in small),
        pairs=tuple((small[p.i].id, large[p.j].id) for p in found),
    )


def finish(report: OverlapReport, generated_by: str) -> OverlapReport:
    """Stamp who made the report and when (not part of what verification compares)."""
    return replace(
        report,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        generated_by=generated_by,
    )


def report_bytes(report: OverlapReport) -> bytes:
    """The report's canonical JSON: what `--out` writes, the database keeps and a filing hashes.

    A report listing many items has its item list written out directly (`_items_json`)
    rather than as one dict per item: the same bytes, a fraction of the memory and time."""
    items = report.items
    if items is None or len(items) < _SPLICE_FROM:
        return canonical_bytes(report.to_json())
    listing = _items_json(items)
    head = canonical_bytes(replace(report, items=()).to_json())
    if listing is None or head.count(_EMPTY_ITEMS) != 1:
        return canonical_bytes(report.to_json())
    before, after = head.split(_EMPTY_ITEMS)
    return b"".join((before, b'"items":[', listing, b"]", after))


_SPLICE_FROM = 1000
_EMPTY_ITEMS = b'"items":[]'
_ID, _GUID, _VERSION = attrgetter("id"), attrgetter("guid"), attrgetter("version")
_INT, _STR = frozenset({int}), frozenset({str})
_ITEM = '{{"guid":{},"id":{},"version":{}}}'
_BATCH = 8192


def _items_json(items: Sequence[ListedItem]) -> bytes | None:
    """`canonical_bytes` of the items' `to_json()` dicts without their brackets (keys in
    order guid, id, version); None if an id is neither int nor str.

    The usual listing (int ids, str guids) is written column by column, a batch of items at a
    time: a million items never exist as a million small strings at once."""
    if all(_usual(items[k : k + _BATCH]) for k in range(0, len(items), _BATCH)):
        return b",".join(_usual_json(items[k : k + _BATCH]) for k in range(0, len(items), _BATCH))
    parts = []
    for item in items:
        id_, guid = item.id, item.guid
        if type(id_) is int:
            shown = str(id_)
        elif type(id_) is str:
            shown = _string(id_)
        else:
            return None
        if not (guid is None or type(guid) is str) or type(item.version) is not str:
            return None
        guid_json = "null" if guid is None else _string(guid)
        parts.append(f'{{"guid":{guid_json},"id":{shown},"version":{_string(item.version)}}}')
    return ",".join(parts).encode("utf-8")


def _usual(items: Sequence[ListedItem]) -> bool:
    """Every id an int, every guid and version a str."""
    return (
        _INT.issuperset(map(type, map(_ID, items)))
        and _STR.issuperset(map(type, map(_GUID, items)))
        and _STR.issuperset(map(type, map(_VERSION, items)))
    )


def _usual_json(items: Sequence[ListedItem]) -> bytes:
    guids, ids, versions = map(_GUID, items), map(_ID, items), map(_VERSION, items)
    text = ",".join(map(_ITEM.format, map(_string, guids), map(str, ids), map(_string, versions)))
    return text.encode("utf-8")
