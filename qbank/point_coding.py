"""Coding a bank's items with 鉴定点: the model's proposals, and the expert's choices stored.

`propose_points` reads the bank's current items and tree and asks `qbank.points` for the top
suggestions of every item: uncoded items (and items whose code is not in the current tree)
get suggestions from a model trained on all coded items; coded items get them from a model
that never saw them, and are flagged when that model finds their code very unlikely.

`apply_point_choices` stores the codes an expert accepted, each as a new version of its item
with every other field of the current version unchanged. A choice names the version it was
made for; if the item changed since, or the code is not in the current tree, or the item is
not in the bank, the whole set is refused and nothing is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from qbank.content import verified_item_content
from qbank.db import lock_bank
from qbank.errors import ImportRejected, InvalidInput
from qbank.items import import_items
from qbank.model import Bank, Item, KnowledgeNode
from qbank.queries import current_items
from qbank.records import Location, Problem, ProblemList
from qbank.tree import current_tree

UNLIKELY, OUTSIDE_TREE = "unlikely", "outside_tree"
"""Why a coded item is flagged: the model doubts its code, or the code left the tree."""


@dataclass(frozen=True)
class PointOption:
    """One suggested point: its code, the model's probability, its name and path of names."""

    code: str
    score: float
    name: str
    path: tuple[str, ...]


@dataclass(frozen=True)
class PointProposal:
    """One item as the suggestion sheet shows it.

    `code` is the current version's code (None when uncoded); `code_score` the held-out
    probability of that code (coded items in the tree only); `flag` is UNLIKELY,
    OUTSIDE_TREE or None.
    """

    item_id: int
    guid: str
    version: str
    type: str
    stem: str
    code: str | None
    suggestions: tuple[PointOption, ...]
    code_score: float | None = None
    flag: str | None = None


@dataclass(frozen=True)
class PointProposals:
    """The proposals of a bank, uncoded items first, then flagged ones, then the rest (each
    in import order), with the counts the command reports."""

    proposals: list[PointProposal]
    coded: int
    uncoded: int
    flagged: int
    points: int
    scale: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": len(self.proposals),
            "coded": self.coded,
            "uncoded": self.uncoded,
            "flagged": self.flagged,
            "points": self.points,
        }


def _paths(nodes: Sequence[KnowledgeNode]) -> dict[str, tuple[str, ...]]:
    """Each point's path of names, from its level-1 range down to itself."""
    by_code = {n.code: n for n in nodes}
    paths: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        if node.importance is None:
            continue
        names: list[str] = []
        current: KnowledgeNode | None = node
        while current is not None and len(names) <= len(nodes):
            names.append(current.name)
            current = by_code.get(current.parent_code) if current.parent_code else None
        paths[node.code] = tuple(reversed(names))
    return paths


def propose_points(session: Session, bank: Bank, *, random_state: int = 0) -> PointProposals:
    """The top three suggested points of every live item of `bank`, coded items judged by
    cross-validation. Deterministic for a given `random_state`.

    Raises InvalidInput when the bank has no tree (nothing to suggest) or no items.
    """
    from qbank import points  # scikit-learn loads only when proposals are made

    paths = _paths(current_tree(session, bank))
    if not paths:
        raise InvalidInput("points.no_tree", occupation=bank.occupation.code, level=bank.level)
    rows = [
        (item, verified_item_content(version, guid=item.guid, consequence="export"))
        for item, version in session.execute(current_items(bank.id).order_by(Item.id))
    ]
    if not rows:
        raise InvalidInput("points.no_items", occupation=bank.occupation.code, level=bank.level)
    coded = [i for i, (_, c) in enumerate(rows) if c.knowledge_code in paths]
    uncoded = [i for i, (_, c) in enumerate(rows) if c.knowledge_code not in paths]
    texts = [points.item_text(c.stem, c.options) for _, c in rows]
    found = points.suggest_points(
        [texts[i] for i in coded],
        [str(rows[i][1].knowledge_code) for i in coded],
        [texts[i] for i in uncoded],
        point_texts={code: " ".join(path) for code, path in paths.items()},
        random_state=random_state,
    )

    def options(suggestions: tuple[points.Suggestion, ...]) -> tuple[PointOption, ...]:
        return tuple(
            PointOption(s.code, s.score, paths[s.code][-1], paths[s.code]) for s in suggestions
        )

    def proposal(
        i: int, suggestions: tuple[points.Suggestion, ...], score: float | None, flag: str | None
    ) -> PointProposal:
        item, content = rows[i]
        return PointProposal(
            item_id=item.id,
            guid=item.guid,
            version=content.version,
            type=content.type,
            stem=content.stem,
            code=content.knowledge_code,
            suggestions=options(suggestions),
            code_score=score,
            flag=flag,
        )

    proposals: dict[int, PointProposal] = {}
    for i, check in zip(coded, found.coded, strict=True):
        unlikely = UNLIKELY if check.unlikely else None
        proposals[i] = proposal(i, check.suggestions, check.score, unlikely)
    for i, suggestions in zip(uncoded, found.uncoded, strict=True):
        outside = OUTSIDE_TREE if rows[i][1].knowledge_code else None
        proposals[i] = proposal(i, suggestions, None, outside)
    ordered = sorted(
        proposals.values(),
        key=lambda p: (p.code is not None, p.flag is None, p.item_id),
    )
    return PointProposals(
        proposals=ordered,
        coded=len(coded),
        uncoded=sum(1 for i in uncoded if rows[i][1].knowledge_code is None),
        flagged=sum(1 for p in ordered if p.flag is not None),
        points=len(paths),
        scale=found.scale,
    )


@dataclass(frozen=True)
class PointChoice:
    """An accepted row of the suggestion sheet: item `guid`, the `version` it was suggested
    for, the chosen `code` (canonical), and where the row is."""

    guid: str
    version: str
    code: str
    location: Location


@dataclass(frozen=True)
class PointsSummary:
    """Outcome of storing accepted choices: `new_versions` items got the chosen code,
    `unchanged` already had it; `dry_run` when nothing was written."""

    accepted: int
    new_versions: int
    unchanged: int
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class PointsRejected(ImportRejected):
    """A suggestion sheet had problems (stale rows, unknown codes…); nothing was stored."""


def apply_point_choices(
    session: Session,
    bank: Bank,
    choices: Sequence[PointChoice],
    *,
    source: str,
    actor: str,
    parse_problems: Sequence[Problem] = (),
    dry_run: bool = False,
) -> PointsSummary:
    """Give each chosen item a new version carrying the chosen code, all or nothing.

    Every choice is checked first, together with the reader's `parse_problems`: the item is a
    live item of `bank`, its current version is the one the row was suggested for, the code
    is a point of the bank's current tree. Any problem raises PointsRejected (listing them
    all) and writes nothing.

    Side effects: writes item versions and audit events through `qbank.items.import_items`
    (not when `dry_run`).
    """
    lock_bank(session, bank.id)
    problems = ProblemList(parse_problems)
    points = {n.code for n in current_tree(session, bank) if n.importance is not None}
    current = {
        item.guid: (item, version)
        for item, version in session.execute(
            current_items(bank.id).where(Item.guid.in_({c.guid for c in choices}))
        )
    }
    records = []
    unchanged = 0
    for choice in choices:
        found = current.get(choice.guid)
        if found is None:
            problems.append(
                Problem(choice.location, "guid", "points.unknown_item", {"guid": choice.guid})
            )
            continue
        item, version = found
        if version.sha256 != choice.version:
            problems.append(
                Problem(
                    choice.location,
                    "guid",
                    "points.outdated",
                    {"guid": choice.guid, "seq": version.seq},
                )
            )
            continue
        if choice.code not in points:
            problems.append(
                Problem(
                    choice.location,
                    "knowledge_point",
                    "points.unknown_code",
                    {"code": choice.code},
                )
            )
            continue
        content = verified_item_content(version, guid=item.guid, consequence="export")
        if content.knowledge_code == choice.code:
            unchanged += 1
            continue
        records.append(
            dataclasses.replace(content.record(choice.location), knowledge_code=choice.code)
        )
    if problems:
        raise PointsRejected(source, problems.sorted_by_location())
    summary = import_items(session, bank, records, source=source, actor=actor, dry_run=dry_run)
    return PointsSummary(
        accepted=len(choices),
        new_versions=summary.new_versions,
        unchanged=unchanged + summary.unchanged,
        dry_run=dry_run,
    )
