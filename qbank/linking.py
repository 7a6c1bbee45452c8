"""Which stored item an imported record is, before `qbank.items.import_items` stores it.

`CurrentItems.match` is import_items' identity rule (试题编号 when the record has one, else the
content key the item owns), repeated here because import_items keeps it inside its loop; the
two must agree. `link_records` adds what an exact rule cannot see: a record without 试题编号
whose text is very close to exactly one stored item of its type is an edit of that item, so it
takes that item's 试题编号 and import_items makes it a new version instead of a duplicate.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from qbank.errors import InvalidInput
from qbank.i18n import tr
from qbank.items import content_key, encode_answer
from qbank.model import Bank, Item, ItemContentKey, ItemVersion
from qbank.queries import current_items
from qbank.records import ItemRecord, Problem
from qbank.text.normalize import fold_text

DEFAULT_THRESHOLD = 0.90
"""Similarity (rapidfuzz `fuzz.ratio` / 100 on the folded stem and options) from which an
imported record is taken for an edit of a stored item."""


@dataclass(frozen=True)
class CurrentItems:
    """A bank's live items with their current versions, by 试题编号 and by owned content key."""

    by_guid: dict[str, tuple[Item, ItemVersion]]
    by_key: dict[str, tuple[Item, ItemVersion]]

    @classmethod
    def load(cls, session: Session, bank: Bank) -> CurrentItems:
        rows: Sequence[Row[Item, ItemVersion, str | None]] = session.execute(
            current_items(bank.id)
            .add_columns(ItemContentKey.content_key)
            .outerjoin(ItemContentKey, ItemContentKey.item_id == Item.id)
        ).all()
        return cls(
            {item.guid: (item, version) for item, version, _ in rows},
            {key: (item, version) for item, version, key in rows if key is not None},
        )

    def match(self, record: ItemRecord) -> tuple[Item, ItemVersion] | None:
        """The stored item `record` is by import_items' rule, or None for a new item."""
        if record.guid:
            return self.by_guid.get(record.guid)
        return self.by_key.get(content_key(record.type.value, record.stem, record.options))


@dataclass(frozen=True)
class Link:
    """A record taken for an edit of the stored item `guid`: its similarity and what changed."""

    where: str
    guid: str
    similarity: float
    diff: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "guid": self.guid,
            "similarity": round(self.similarity, 3),
            "diff": self.diff,
        }

    def describe(self) -> str:
        return tr(
            "link.linked",
            where=self.where,
            guid=self.guid,
            similarity=f"{self.similarity:.2f}",
            diff=self.diff,
        )


@dataclass
class Linked:
    """The records to import (linked ones carry their item's 试题编号), the links made, and
    the records that need a person's decision (problems, unless `new_items`)."""

    records: list[ItemRecord]
    links: list[Link] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def link_records(
    current: CurrentItems,
    records: Sequence[ItemRecord],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    new_items: bool = False,
) -> Linked:
    """Link each record without 试题编号 that matches no stored item exactly to the one stored
    item of its type at least `threshold` similar. A record close to several items, whose
    answer differs from the close item's, or close to an item another record also links to, is
    a problem (a decision for a person), or with `new_items` is imported as a new item. Stored
    items the file names exactly are not candidates. Pure."""
    from rapidfuzz import fuzz, process

    if not 0 < threshold <= 1:
        raise InvalidInput("cli.bad_threshold", value=threshold)
    named = {m[0].id for r in records if (m := current.match(r)) is not None}
    open_records = [i for i, r in enumerate(records) if r.guid is None and current.match(r) is None]
    stored_by_type: dict[str, list[tuple[Item, ItemVersion]]] = defaultdict(list)
    for item, version in current.by_guid.values():
        if item.id not in named:
            stored_by_type[version.type].append((item, version))
    wanted: dict[str, list[int]] = defaultdict(list)
    for i in open_records:
        if stored_by_type.get(records[i].type.value):
            wanted[records[i].type.value].append(i)

    proposals: dict[int, list[tuple[int, Item, ItemVersion, float]]] = defaultdict(list)
    problems: list[Problem] = []
    for item_type, indices in wanted.items():
        stored = stored_by_type[item_type]
        scores = process.cdist(
            [_folded(records[i].stem, records[i].options) for i in indices],
            [_folded(v.stem, v.options) for _, v in stored],
            scorer=fuzz.ratio,
            score_cutoff=threshold * 100,
            workers=1,
        )
        for row, i in enumerate(indices):
            hits = [(float(scores[row, c]) / 100, c) for c in scores[row].nonzero()[0]]
            record = records[i]
            if len(hits) > 1:
                hits.sort(reverse=True)
                problems.append(
                    Problem(
                        record.location,
                        "stem",
                        "problem.link_ambiguous",
                        {
                            "count": len(hits),
                            "candidates": "、".join(
                                f"{stored[c][0].guid} {s:.2f}" for s, c in hits[:5]
                            ),
                        },
                    )
                )
            elif hits:
                similarity, c = hits[0]
                item, version = stored[c]
                if encode_answer(record.answer) != version.answer:
                    problems.append(
                        Problem(
                            record.location,
                            "answer",
                            "problem.link_answer_changed",
                            {
                                "guid": item.guid,
                                "similarity": f"{similarity:.2f}",
                                "old": version.answer,
                                "new": encode_answer(record.answer),
                            },
                        )
                    )
                else:
                    proposals[item.id].append((i, item, version, similarity))

    linked = list(records)
    links = []
    for claims in proposals.values():
        if len(claims) > 1:
            for i, item, _, _ in claims:
                others = "、".join(records[j].location.describe() for j, *_ in claims if j != i)
                problems.append(
                    Problem(
                        records[i].location,
                        "stem",
                        "problem.link_contested",
                        {"guid": item.guid, "other": others},
                    )
                )
            continue
        i, item, version, similarity = claims[0]
        linked[i] = replace(records[i], guid=item.guid)
        old = _shown(version.stem, version.options)
        new = _shown(records[i].stem, records[i].options)
        links.append(
            Link(records[i].location.describe(), item.guid, similarity, compact_diff(old, new))
        )
    links.sort(key=lambda link: link.where)
    return Linked(linked, links, [] if new_items else problems)


def _folded(stem: str, options: dict[str, str]) -> str:
    return "\n".join([fold_text(stem), *(fold_text(v) for _, v in sorted(options.items()))])


def _shown(stem: str, options: dict[str, str]) -> str:
    return " ".join([stem, *(f"{k}.{v}" for k, v in sorted(options.items()))])


def compact_diff(old: str, new: str, *, context: int = 4, most: int = 4) -> str:
    """The changes from `old` to `new` with a little context each, as `…通电前[应→必须]检查…`;
    changes fewer than three characters apart read as one."""
    spans: list[list[int]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if spans and i1 - spans[-1][1] < 3:
            spans[-1][1], spans[-1][3] = i2, j2
        else:
            spans.append([i1, i2, j1, j2])
    parts = []
    for i1, i2, j1, j2 in spans[:most]:
        start, end = max(0, i1 - context), min(len(old), i2 + context)
        parts.append(
            ("…" if start else "")
            + f"{old[start:i1]}[{old[i1:i2]}→{new[j1:j2]}]{old[i2:end]}"
            + ("…" if end < len(old) else "")
        )
    return " ".join(parts) + (" …" if len(spans) > most else "")
