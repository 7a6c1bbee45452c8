"""Why a run found no papers, as data: requirements that cannot hold together, with figures.

The diagnosis (`qbank.assembly.diagnosis`) and the search produce `Conflict`s; `conflict_text`
is the one place that turns them into words (the message catalogue, in the user's language,
numbers by `qbank.text.numbers`). Tests and callers that decide something read the figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from qbank.blueprint import type_name
from qbank.i18n import tr
from qbank.text.numbers import format_number, format_percent

RequirementKind = Literal[
    "section",
    "weight",
    "difficulty_mean",
    "band",
    "per_point",
    "x_share",
    "enemies",
    "exposure",
    "history",
    "siblings",
]
FactKind = Literal["supply", "difficulty", "enemies", "history"]
ConflictKind = Literal["unmet", "conflict", "unexplained", "timeout", "gave_up"]
Figures = Mapping[str, int | float | Fraction]


@dataclass(frozen=True)
class Requirement:
    """One requirement of the run and what it asks.

    `subject`: the item type (section), range code (weight), band as shown (`[0, 0.4)`) or the
    paper codes (`A/B`, siblings); "" for the others. `figures` by kind — section: count;
    weight: share, tolerance; difficulty_mean: mean, tolerance; band: min, max; per_point: cap;
    x_share: share, count; exposure: max, days; history: share; siblings: share, count.
    """

    kind: RequirementKind
    subject: str = ""
    figures: Figures = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Fact:
    """What the bank offers a requirement.

    supply: `scope` ("type" | "range" | "band" | "x") and its `subject`, figures usable (items),
    and when a per-point cap applies points (鉴定点) and most (items a paper can take), worn
    (items at the exposure limit) when any; difficulty: low, high (the easiest and the
    hardest mean the usable items make); enemies: pairs; history: papers.
    """

    kind: FactKind
    scope: str = ""
    subject: str = ""
    figures: Figures = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Conflict:
    """unmet: one requirement no selection meets; conflict: requirements that cannot all hold
    (a minimal set); unexplained: no paper, and no requirement to blame; timeout (figure
    seconds) and gave_up: the search stopped without an answer, not a proof of infeasibility."""

    kind: ConflictKind
    requirements: tuple[Requirement, ...] = ()
    facts: tuple[Fact, ...] = ()
    figures: Figures = field(default_factory=dict, hash=False)

    @property
    def kinds(self) -> tuple[RequirementKind, ...]:
        return tuple(r.kind for r in self.requirements)


def conflict_of(requirements: list[Requirement], facts: list[Fact]) -> Conflict:
    """The conflict of a minimal set of requirements, each fact once."""
    unique: list[Fact] = []
    for fact in facts:
        if fact not in unique:
            unique.append(fact)
    if not requirements:
        return Conflict("unexplained")
    kind: ConflictKind = "unmet" if len(requirements) == 1 else "conflict"
    return Conflict(kind, tuple(requirements), tuple(unique))


def conflict_text(conflict: Conflict) -> str:
    """The conflict as one message in the user's language."""
    if conflict.kind == "timeout":
        return tr("solver.timeout", seconds=format_number(conflict.figures["seconds"]))
    if conflict.kind == "gave_up":
        return tr("solver.gave_up")
    if not conflict.requirements:
        return tr("solver.unexplained")
    notes = ""
    if conflict.facts:
        facts = tr("solver.facts_sep").join(fact_text(f) for f in conflict.facts)
        notes = tr("solver.facts", facts=facts)
    texts = [requirement_text(r) for r in conflict.requirements]
    if len(texts) == 1:
        return tr("solver.unmet", requirement=texts[0], notes=notes)
    quoted = [tr("solver.quote", text=t) for t in texts]
    listed = tr("solver.list_sep").join(quoted[:-1])
    return tr("solver.conflict", first=listed, last=quoted[-1], notes=notes)


def requirement_text(r: Requirement) -> str:
    f = r.figures
    if r.kind == "section":
        return tr("solver.req.section", count=f["count"], type=type_name(r.subject))
    if r.kind == "weight":
        share, tolerance = format_percent(f["share"]), format_percent(f["tolerance"])
        return tr("solver.req.weight", range=r.subject, share=share, tolerance=tolerance)
    if r.kind == "difficulty_mean":
        mean, tolerance = format_number(f["mean"]), format_number(f["tolerance"])
        return tr("solver.req.mean", mean=mean, tolerance=tolerance)
    if r.kind == "band":
        return tr("solver.req.band", band=r.subject, min=f["min"], max=f["max"])
    if r.kind == "per_point":
        return tr("solver.req.per_point", cap=f["cap"])
    if r.kind == "x_share":
        return tr("solver.req.x_share", share=format_percent(f["share"]), count=f["count"])
    if r.kind == "enemies":
        return tr("solver.req.enemies")
    if r.kind == "exposure":
        return tr("solver.req.exposure", max=f["max"], days=f["days"])
    if r.kind == "history":
        return tr("solver.req.history", share=format_percent(f["share"]))
    share = format_percent(f["share"])
    return tr("solver.req.siblings", papers=r.subject, share=share, count=f["count"])


def fact_text(fact: Fact) -> str:
    f = fact.figures
    if fact.kind == "difficulty":
        low, high = format_number(f["low"]), format_number(f["high"])
        return tr("solver.fact.difficulty", low=low, high=high)
    if fact.kind == "enemies":
        return tr("solver.fact.enemies", pairs=f["pairs"])
    if fact.kind == "history":
        return tr("solver.fact.history", papers=f["papers"])
    parts = [tr("solver.fact.supply", scope=_scope_text(fact), count=f["usable"])]
    if "points" in f:
        parts.append(tr("solver.fact.points_in", points=f["points"], most=f["most"]))
    if "worn" in f:
        parts.append(tr("solver.fact.worn_in", count=f["worn"]))
    return tr("solver.fact_sep").join(parts)


def _scope_text(fact: Fact) -> str:
    if fact.scope == "type":
        return type_name(fact.subject)
    if fact.scope == "range":
        return tr("solver.scope.range", range=fact.subject)
    if fact.scope == "band":
        return tr("solver.scope.band", band=fact.subject)
    return tr("solver.scope.x")
