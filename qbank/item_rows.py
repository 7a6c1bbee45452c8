"""An item version read as a plain row: the columns its re-hash reads, JSON decoded.

The overlap check (`qbank.overlap.units`) and assembly (`qbank.assembly.filed`) read many
versions at once without ORM objects: the item's guid and `qbank.queries.ITEM_CONTENT_COLUMNS`,
JSON columns selected as their text where the driver gives text and decoded by
`qbank.json_column`, then re-hashed by `qbank.content`. Not in the overlap package: assembly
must not load the overlap engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from qbank.json_column import json_column


class ItemRow(NamedTuple):
    """An item version as `qbank.queries.current_item_contents` reads it: the item's guid and
    the columns `qbank.content` re-hashes (`qbank.content.ItemVersionRow`), as a plain tuple
    (a Core `Row`'s attribute access costs more than the re-hash itself)."""

    guid: str | None
    item_id: int
    sha256: str
    canonical: str
    type: str
    stem: str
    options: Any
    answer: str
    knowledge_code: str | None
    knowledge_path: Any
    importance: str | None
    difficulty: float | None
    discrimination: float | None
    score: float | None
    explanation: str | None
    source: str | None
    author: str | None


def check_item_columns(names: Sequence[str]) -> None:
    """AssertionError unless a query's columns are `ItemRow`'s, in its order."""
    if tuple(names) != ItemRow._fields:
        raise AssertionError(f"item rows of {tuple(names)}, not {ItemRow._fields}")


JSON_COLUMNS = ("options", "knowledge_path")
"""The item version columns holding JSON."""
_OPTIONS, _PATH = ItemRow._fields.index("options"), ItemRow._fields.index("knowledge_path")


def decoded_item_rows(rows: Iterable[Sequence[Any]]) -> Iterator[ItemRow]:
    """`ItemRow`s of rows of its columns whose JSON columns (text, or what the driver
    decoded) are decoded (`qbank.json_column`)."""
    new = tuple.__new__
    for row in rows:
        values = list(row)
        values[_OPTIONS] = json_column(values[_OPTIONS])
        values[_PATH] = json_column(values[_PATH])
        yield new(ItemRow, values)
