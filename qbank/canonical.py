"""Canonical JSON: the one byte encoding that version ids, signatures and reports hash.

Sorted keys, no insignificant whitespace, UTF-8 without escaping Chinese, so the same content
always gives the same bytes and the same SHA-256 on any machine.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def _refuse(obj: Any) -> Any:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


# The standard library's C encoder, made once with `_ENCODER`'s options: `json.dumps` (and
# `JSONEncoder.encode`) build a new one on every call, which was most of the cost of encoding
# an item's content or an audit event. Without `check_circular` it keeps no state between
# calls (a circular value, which no caller makes, fails with RecursionError instead of
# ValueError). tests/test_canonical.py holds its bytes equal to `json.dumps`'s.
_C_ENCODER = (
    json.encoder.c_make_encoder(  # type: ignore[attr-defined]
        None, _refuse, json.encoder.encode_basestring, None, ":", ",", True, False, False
    )
    if getattr(json.encoder, "c_make_encoder", None) is not None
    else None
)


def canonical_bytes(obj: Any) -> bytes:
    """Encode `obj` (dicts, lists, str, int, float, bool, None) canonically."""
    if _C_ENCODER is None:
        return _ENCODER.encode(obj).encode("utf-8")
    return "".join(_C_ENCODER(obj, 0)).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_id(obj: Any) -> str:
    """SHA-256 (hex) of `obj`'s canonical JSON: the identity of a stored version."""
    return sha256_hex(canonical_bytes(obj))
