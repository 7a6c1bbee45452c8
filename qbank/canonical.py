"""Canonical JSON: the one byte encoding that version ids, signatures and reports hash.

Sorted keys, no insignificant whitespace, UTF-8 without escaping Chinese, so the same content
always gives the same bytes and the same SHA-256 on any machine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)

_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)


def _encoder(sort_keys: bool) -> Any:
    """The standard library's C encoder with `_ENCODER`'s options, made once (`json.dumps`
    and `JSONEncoder.encode` build one on every call, which was most of the cost of encoding
    an item's content or an audit event); None where the C accelerator is missing. Without
    `check_circular` it keeps no state between calls (values from JSON or from records have
    no cycles; one would fail with RecursionError instead of ValueError)."""
    if _c_make_encoder is None:
        return None
    return _c_make_encoder(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", sort_keys,
        False, False,
    )  # fmt: skip


_C_ENCODER = _encoder(sort_keys=True)
C_ENCODER_AS_ORDERED = _encoder(sort_keys=False)
"""The canonical encoder without sorting keys: the same text for dicts whose keys are already
in sorted order (`qbank.content` builds content that way); None without the C accelerator."""


def canonical_text(obj: Any) -> str:
    """`canonical_bytes(obj)` as text (tests/test_canonical.py holds it equal to `json.dumps`
    with the canonical options, bytes and refusals)."""
    if _C_ENCODER is None or isinstance(obj, str):
        return _ENCODER.encode(obj)
    return "".join(_C_ENCODER(obj, 0))


def canonical_bytes(obj: Any) -> bytes:
    """Encode `obj` (dicts, lists, str, int, float, bool, None) canonically."""
    return canonical_text(obj).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def texts_and_ids(contents: Sequence[Any]) -> list[tuple[str, str]]:
    """Each content's canonical text and `content_id`: what a worker computes of an import's
    new item versions while the import writes (`qbank.items`)."""
    return [(text, sha256_hex(text.encode("utf-8"))) for text in map(canonical_text, contents)]


def content_id(obj: Any) -> str:
    """SHA-256 (hex) of `obj`'s canonical JSON: the identity of a stored version."""
    return sha256_hex(canonical_bytes(obj))
