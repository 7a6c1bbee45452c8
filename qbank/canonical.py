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
"""One encoder for every call: `json.dumps` with these options builds a new one each time,
which cost about a third of an import's canonical encoding. The encoder keeps no state
between calls (its C encoder is made per call, as `json.dumps` makes it)."""


def canonical_bytes(obj: Any) -> bytes:
    """Encode `obj` (dicts, lists, str, int, float, bool, None) canonically."""
    return _ENCODER.encode(obj).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_id(obj: Any) -> str:
    """SHA-256 (hex) of `obj`'s canonical JSON: the identity of a stored version."""
    return sha256_hex(canonical_bytes(obj))
