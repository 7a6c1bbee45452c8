"""Overlap reports: canonical JSON a regulator can re-derive, and the re-derivation itself.

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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from qbank.canonical import canonical_bytes, content_id
from qbank.overlap.clusters import clusters, repetition
from qbank.overlap.pairs import Method, Pair, cross_duplicates, minhash_params, near_duplicates
from qbank.policy import Policy

FORMAT = "qbank-overlap-report/1"
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
    score: float = 1.0
    group: str = ""  # practical: the set code; reference: "bank" / "reference"
    guid: str | None = None


@dataclass(frozen=True)
class ShownItem:
    """What a reviewer sees of one item or task in the human report."""

    id: int | str
    type: str  # "judgement" | "single" | "multiple" | "task"
    stem: str  # for a task: its title and requirements
    options: dict[str, str]
    answer: str  # letters or √/×, "" for tasks
    knowledge_point: str | None
    explanation: str | None
    score: float | None


@dataclass
class Context:
    """What every report names besides its figures."""

    policy: Policy
    tokenizer: dict[str, str]
    generated_by: str = ""

    def header(self, kind: str, scope: dict[str, Any], method: Method) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "scope": {"kind": kind, **scope},
            "policy": {**self.policy.as_dict(), "id": self.policy.id},
            "tokenizer": self.tokenizer,
            "minhash": minhash_params(self.policy),
            "method": method.as_dict(),
            "threshold": float(self.policy.similarity_threshold.value),
        }


def snapshot(units: Sequence[Unit]) -> dict[str, Any]:
    """Count and SHA-256 of the sorted version ids: names exactly what was compared."""
    versions = sorted(u.version for u in units)
    return {"count": len(versions), "sha256": content_id(versions)}


def _rate(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, RATE_DIGITS) if denominator else 0.0


def _pair_dict(a: Unit, b: Unit, pair: Pair) -> dict[str, Any]:
    return {
        "a": a.id,
        "b": b.id,
        "similarity": round(pair.similarity, RATE_DIGITS),
        "shared": pair.shared,
        "union": pair.union,
    }


def _verdict(rate: float, cap: float) -> str:
    return "pass" if rate <= cap + 1e-12 else "fail"


@dataclass
class Adjudications:
    """Pairs of versions a reviewer judged distinct: {(version_a, version_b): detail}."""

    marks: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def get(self, a: str, b: str) -> dict[str, str] | None:
        return self.marks.get((a, b)) or self.marks.get((b, a))


def theory_report(
    units: Sequence[Unit],
    ctx: Context,
    scope: dict[str, Any],
    adjudications: Adjudications | None = None,
) -> dict[str, Any]:
    """Within one bank: near-duplicate clusters of items and the repetition rate."""
    adjudications = adjudications or Adjudications()
    found, method = near_duplicates(
        [u.tokens for u in units], ctx.policy, text_keys=[u.text_key for u in units]
    )
    counted: list[Pair] = []
    adjudicated = []
    for pair in found:
        a, b = units[pair.i], units[pair.j]
        mark = adjudications.get(a.version, b.version)
        if mark is None:
            counted.append(pair)
        else:
            adjudicated.append({**_pair_dict(a, b, pair), **mark})
    i = np.array([p.i for p in counted], dtype=np.int64)
    j = np.array([p.j for p in counted], dtype=np.int64)
    groups = clusters(len(units), i, j)
    numerator, denominator = repetition(len(units), groups)
    rate = _rate(numerator, denominator)
    cap = float(ctx.policy.max_repetition.value)
    return {
        **ctx.header("theory", scope, method),
        "snapshot": snapshot(units),
        "items": [{"id": u.id, "guid": u.guid, "version": u.version} for u in units],
        "pairs": [_pair_dict(units[p.i], units[p.j], p) for p in counted],
        "adjudicated": adjudicated,
        "adjudicated_counted": False,
        "clusters": [[units[k].id for k in g] for g in groups],
        "numerator": numerator,
        "denominator": denominator,
        "rate": rate,
        "cap": cap,
        "verdict": _verdict(rate, cap),
    }


def practical_report(units: Sequence[Unit], ctx: Context, scope: dict[str, Any]) -> dict[str, Any]:
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
    worst: tuple[float, float, float] | None = None
    for x in range(len(sets)):
        for y in range(x + 1, len(sets)):
            row: dict[str, Any] = {"a": sets[x], "b": sets[y]}
            for side, (s, t) in (("a", (sets[x], sets[y])), ("b", (sets[y], sets[x]))):
                shared = sum(units[k].score for k in repeated.get((s, t), ()))
                share = _rate(shared, totals[s])
                row[f"numerator_{side}"] = shared
                row[f"denominator_{side}"] = totals[s]
                row[f"share_{side}"] = share
                if worst is None or share > worst[0]:
                    worst = (share, shared, totals[s])
            set_pairs.append(row)
    cap = float(ctx.policy.max_practical_pair_share.value)
    worst = worst or (0.0, 0.0, 0.0)
    return {
        **ctx.header("practical", scope, method),
        "snapshot": snapshot(units),
        "tasks": [
            {"id": u.id, "version": u.version, "set": u.group, "score": u.score} for u in units
        ],
        "pairs": [_pair_dict(units[p.i], units[p.j], p) for p in found],
        "set_pairs": set_pairs,
        "numerator": worst[1],
        "denominator": worst[2],
        "rate": worst[0],
        "cap": cap,
        "verdict": _verdict(worst[0], cap),
    }


def reference_report(
    units: Sequence[Unit],
    reference: Sequence[Unit],
    ctx: Context,
    scope: dict[str, Any],
    *,
    kind: str = "reference",
    cap_value: float | None = None,
) -> dict[str, Any]:
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
    numerator = sum(units[k].score for k in hit) if by_score else len(hit)
    denominator = sum(u.score for u in units) if by_score else len(units)
    rate = _rate(numerator, denominator)
    cap = cap_value if cap_value is not None else float(ctx.policy.max_reference_share.value)
    return {
        **ctx.header(kind, scope, method),
        "snapshot": snapshot(units),
        "reference_snapshot": snapshot(reference),
        "items": [{"id": u.id, "guid": u.guid, "version": u.version} for u in units],
        "reference_items": [{"id": u.id, "guid": u.guid, "version": u.version} for u in reference],
        "pairs": [_pair_dict(units[p.i], reference[p.j], p) for p in found],
        "numerator": numerator,
        "denominator": denominator,
        "rate": rate,
        "cap": cap,
        "verdict": _verdict(rate, cap),
    }


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


def finish(report: dict[str, Any], generated_by: str) -> dict[str, Any]:
    """Stamp who made the report and when (not part of what verification compares)."""
    return {
        **report,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generated_by": generated_by,
    }


def report_bytes(report: dict[str, Any]) -> bytes:
    return canonical_bytes(report)


FIGURES = (
    "scope",
    "policy",
    "tokenizer",
    "minhash",
    "method",
    "threshold",
    "snapshot",
    "reference_snapshot",
    "pairs",
    "adjudicated",
    "adjudicated_counted",
    "clusters",
    "set_pairs",
    "numerator",
    "denominator",
    "rate",
    "cap",
    "verdict",
)


@dataclass(frozen=True)
class FigureCheck:
    figure: str
    ok: bool
    claimed: Any
    recomputed: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "ok": self.ok,
            "claimed": self.claimed,
            "recomputed": self.recomputed,
        }


def compare(claimed: dict[str, Any], recomputed: dict[str, Any]) -> list[FigureCheck]:
    """Per figure: does the claimed report match the recomputation?

    Figures absent from both (e.g. `set_pairs` of a theory report) are skipped; one present in
    only one of them is a mismatch, so a deleted figure is caught too. Unknown keys in the
    claimed report (other than the generation stamp) are mismatches as well.
    """
    checks = []
    for figure in FIGURES:
        if figure not in claimed and figure not in recomputed:
            continue
        a, b = claimed.get(figure), recomputed.get(figure)
        checks.append(FigureCheck(figure, canonical_bytes(a) == canonical_bytes(b), a, b))
    known = {
        *FIGURES,
        "format",
        "items",
        "tasks",
        "reference_items",
        "generated_at",
        "generated_by",
    }
    for extra in sorted(set(claimed) - known):
        checks.append(FigureCheck(extra, False, claimed[extra], None))
    for listing in ("items", "tasks", "reference_items"):
        if listing in claimed or listing in recomputed:
            a, b = claimed.get(listing), recomputed.get(listing)
            checks.append(
                FigureCheck(listing, canonical_bytes(a) == canonical_bytes(b), None, None)
            )
    return checks
