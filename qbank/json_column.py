"""A JSON column's value as SQLAlchemy's JSON type gives it, decoded without its overhead.

Fast reads (the overlap check's stored scope, assembly's filed items, stored token sets)
select a JSON column as its text where the driver gives text (SQLite) and decode it here:
the column type's processor calls `json.loads` per value, whose setup costs more than the
decoding of a short list. Text that is one JSON value and nothing more (as every stored value
is) goes through the decoder's `raw_decode` alone; anything else through `json.loads` itself,
so every value decodes (or fails) alike (tests/test_check4_rehash_paths.py and
tests/test_assemble_paths.py compare them with the column type's own processor).
"""

from __future__ import annotations

import json
from typing import Any

_DECODER = json.JSONDecoder()


def json_column(value: Any) -> Any:
    """`json.loads` of text or bytes; anything else (None, or what PostgreSQL's driver has
    decoded itself) as the driver gave it."""
    if isinstance(value, str):
        if value == "[]":
            return []
        if value == "{}":
            return {}
        try:
            decoded, end = _DECODER.raw_decode(value)
        except ValueError:
            return json.loads(value)
        return decoded if end == len(value) else json.loads(value)
    if isinstance(value, bytes | bytearray):
        return json.loads(value)
    return value


_IS_STR = str.__instancecheck__


def token_list(value: Any) -> list[str] | None:
    """A stored token set's value when it is what imports store, a JSON list of strings;
    None for anything else (a damaged or hostile database's row: its readers compute the set
    from the text instead). Each row is decoded on its own: text of rows joined into one
    array could make one crafted row's tokens another's."""
    try:
        decoded = json_column(value)
    except (ValueError, RecursionError):
        return None
    if type(decoded) is not list or not all(map(_IS_STR, decoded)):
        return None
    return decoded
