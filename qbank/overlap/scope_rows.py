"""A scope's rows re-hashed: what a check of stored fingerprints keeps of each item.

Each row is re-hashed (`qbank.content`, ContentTampered otherwise) and leaves its
`ListedItem` and the SHA-256 digest of its text key (`TextUnit.key`: stem and options in the
stored column's order). A large scope's second half is re-hashed by a worker process
(`qbank.overlap.stored_scope.scope_rows_in_parts`) that runs `scope_part` here: this module
loads nothing but the standard library and qbank's content checks, so that worker is ready
about a tenth of a second after it is started, where one importing the overlap engine
(numpy, SQLAlchemy, the ORM) took half a second.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256
from json.encoder import encode_basestring as _string
from typing import Any

from qbank.content import verified_item_values
from qbank.item_rows import ItemRow, check_item_columns, decoded_item_rows
from qbank.overlap.document import ItemId, ListedItem


def text_json(stem: str, options: Sequence[str]) -> str:
    """`canonical_text([stem, list(options)])`, written out: a list of a string and a list
    of strings is each string's JSON (the encoder's own `encode_basestring`) in brackets."""
    return f"[{_string(stem)},[{','.join(map(_string, options))}]]"


def rehashed(
    rows: Iterable[ItemRow], consequence: str = "overlap"
) -> tuple[list[ListedItem], bytes]:
    """Each row re-hashed: its `ListedItem`, and its text key's digest (32 bytes a row)."""
    listed = []
    digests = bytearray()
    for row in rows:
        guid, item_id, version, canonical = row[:4]
        columns = row[4:]  # ITEM_COLUMNS' values, in its order (`ItemRow`)
        content = verified_item_values(item_id, guid, version, canonical, columns, consequence)
        options = content["options"]
        text = text_json(content["stem"], [options[k] for k in row.options])
        digests += sha256(text.encode("utf-8")).digest()
        listed.append(ListedItem(item_id, guid, version))
    return listed, bytes(digests)


def loaded() -> None:
    """What a scope worker runs first: nothing; naming it imports this module (and what
    re-hashing rows needs) in the worker while the caller reads its own half."""


def scope_part(
    path: str, sql: str, parameters: Sequence[Any]
) -> tuple[list[ItemId], list[str | None], list[str], bytes]:
    """In a worker: `rehashed` of the rows that `sql` (the caller's query of `ItemRow`
    columns, JSON as text) selects from the SQLite file `path` (`qbank.db.read_only_rows`),
    as columns: item ids, guids, versions, key digests."""
    from qbank.db import read_only_rows

    with read_only_rows(path, sql, parameters) as cursor:
        check_item_columns([column[0] for column in cursor.description])
        listed, digests = rehashed(decoded_item_rows(cursor))
    return (
        [item.id for item in listed],
        [item.guid for item in listed],
        [item.version for item in listed],
        digests,
    )
