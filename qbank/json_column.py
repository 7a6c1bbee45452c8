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

_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
# `json.dumps` with its default options as the C encoder it builds on every call, made once
# (no circular-reference markers: stored values have no cycles).
_DUMPS = (
    None
    if _c_make_encoder is None
    else _c_make_encoder(
        None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii, None, ": ",
        ", ", False, False, True,
    )
)  # fmt: skip


def dumps(value: list[Any] | dict[str, Any]) -> str:
    """`json.dumps(value)` with its defaults, through the encoder `_DUMPS` made once: the text
    SQLAlchemy's JSON type writes for a list or a mapping."""
    if _DUMPS is None:
        return json.dumps(value)
    return "".join(_DUMPS(value, 0))


class EncodedJSON(str):
    """A value's JSON text, already as a JSON column writes it (`dumps`): a bulk statement
    (`qbank.bulk`) stores it as it is instead of encoding the string as a JSON string. Made
    by the process that stores it (a worker sends plain `str`, which pickles faster)."""

    __slots__ = ()


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
