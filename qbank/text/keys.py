"""The ids of texts: `qbank.canonical.content_id` of a list of strings and lists of strings.

An import asks for two such ids per item (its content key and its text's token-set key);
`texts_json` is the canonical JSON through the encoder `qbank.canonical` builds once (the
C encoder `json.dumps` would build per call), so the bytes are those `canonical_bytes` gives;
tests/test_import3_fastpaths.py compares them on generated text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from qbank.canonical import canonical_text
from qbank.text.normalize import fold_clean


def texts_json(parts: Sequence[str | Sequence[str]]) -> str:
    """Canonical JSON of `parts` as a list: strings, and lists (or tuples) of strings."""
    return canonical_text(list(parts))


def texts_id(parts: Sequence[str | Sequence[str]]) -> str:
    """SHA-256 (hex) of `texts_json(parts)`: `content_id(parts)` for these shapes."""
    return hashlib.sha256(texts_json(parts).encode("utf-8")).hexdigest()


def stored_text_key(stem: str, options: Sequence[str]) -> str:
    """The key of a text as stored (`TextUnit.key`: its token set's and signature's key), here
    so that the fingerprint worker computes it without loading the storage code."""
    return texts_id([stem, tuple(options)])


def text_content_key(item_type: str, stem: str, options: Sequence[str]) -> str:
    """The content key of an item's text (`qbank.items.content_key`): its type, stem and
    option texts (in label order), insensitive to width, case and spacing. The texts are
    already clean (`fold_clean`), as importers give them."""
    return texts_id([item_type, fold_clean(stem), [fold_clean(v) for v in options]])


def content_keys(texts: Sequence[tuple[str, str, Sequence[str]]]) -> list[str]:
    """`text_content_key` of each (type, stem, options): what a worker computes of a large
    import's records while the importing process computes the rest (`qbank.items`)."""
    return [text_content_key(*text) for text in texts]
