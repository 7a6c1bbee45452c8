"""Fields a re-import would drop: a file in another layout (an exam-app CSV after the Word
file) often has no column for 鉴定点, 重要程度 or 解析, and its records would become the items'
current versions without them. This finds those records before `import_items` stores them,
and can carry the current values over for the fields a record does not have."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from qbank.content import ITEM_COLUMNS, verified_item_content
from qbank.i18n import tr
from qbank.items import ImportSummary, ItemsRejected
from qbank.linking import CurrentItems
from qbank.records import ItemRecord, Problem

KEPT_FIELDS: dict[str, str] = {
    name: label
    for name, label in ITEM_COLUMNS.items()
    if name not in ("type", "stem", "options", "answer")
}
"""The optional fields of an item (ItemRecord attribute → its label); the rest (type, stem,
options, answer) every record has."""


@dataclass
class FieldCheck:
    """The records to import (with kept values when asked), and per record that would lose
    fields a problem naming the item and the fields."""

    records: list[ItemRecord]
    problems: list[Problem] = field(default_factory=list)
    kept: int = 0


class FieldLossRejected(ItemsRejected):
    """New versions of `losses` items would lose fields (the summary may hold other problems
    too); the message says how to keep or drop them."""

    def __init__(self, path: str, summary: ImportSummary, *, losses: int) -> None:
        super().__init__(path, summary)
        self.losses = losses

    def __str__(self) -> str:
        return tr("field_loss.rejected", file=self.params["file"], count=self.losses)


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, tuple)) and not value)


def check_field_loss(
    current: CurrentItems,
    records: Sequence[ItemRecord],
    *,
    author: str | None = None,
    keep_missing: bool = False,
) -> FieldCheck:
    """Compare each record with the current version of the item it is (import_items' rule).
    A field the version has and the record lacks is lost; with `keep_missing` the record takes
    the version's value instead. `author` is the import's default author (a record without
    one gets it). Raises ContentTampered for a stored version whose content is not its hash."""
    result = FieldCheck(list(records))
    for index, record in enumerate(records):
        match = current.match(record)
        if match is None:
            continue
        item, version = match
        lacks = [
            name
            for name in KEPT_FIELDS
            if _empty(author if name == "author" and not record.author else getattr(record, name))
        ]
        lost = [name for name in lacks if not _empty(getattr(version, name))]
        if not lost:
            continue
        if keep_missing:
            stored = verified_item_content(version, guid=item.guid, consequence="check")
            kept = stored.record(record.location)
            result.records[index] = replace(record, **{n: getattr(kept, n) for n in lost})
            result.kept += 1
            continue
        where = (
            tr("item.label_guid", guid=record.guid)
            if record.guid
            else tr("item.label_stem", stem=_start(record.stem))
        )
        result.problems.append(
            Problem(
                record.location,
                KEPT_FIELDS[lost[0]].removeprefix("field."),
                "problem.field_loss",
                {"item": where, "fields": "、".join(tr(KEPT_FIELDS[n]) for n in lost)},
            )
        )
    return result


def _start(stem: str, length: int = 20) -> str:
    return stem if len(stem) <= length else stem[:length] + "…"
