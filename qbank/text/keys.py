"""The ids of texts: `qbank.canonical.content_id` of a list of strings and lists of strings,
written without a JSON encoder per call.

An import asks for two such ids per item (its content key and its text's token-set key), and
`json.dumps` builds a new encoder for each. Canonical JSON of a list of strings is fixed by
the standard library's own string encoder (`ensure_ascii=False`: only `"`, `\\` and control
characters are escaped) and the `,` separator, so the bytes are those `canonical_bytes` gives;
tests/test_import3_fastpaths.py compares them on generated text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from json.encoder import encode_basestring  # the C encoder json.dumps uses for ensure_ascii=False

from qbank.canonical import canonical_bytes


def texts_json(parts: Sequence[str | Sequence[str]]) -> str:
    """Canonical JSON of `parts`: strings, and lists (or tuples) of strings; anything else
    (a None, a number) is left to `canonical_bytes`."""
    encoded = []
    for part in parts:
        if type(part) is str:
            encoded.append(encode_basestring(part))
        elif type(part) in (list, tuple) and all(type(p) is str for p in part):
            encoded.append("[" + ",".join(map(encode_basestring, part)) + "]")
        else:
            return canonical_bytes(list(parts)).decode("utf-8")
    return "[" + ",".join(encoded) + "]"


def texts_id(parts: Sequence[str | Sequence[str]]) -> str:
    """SHA-256 (hex) of `texts_json(parts)`: `content_id(parts)` for these shapes."""
    return hashlib.sha256(texts_json(parts).encode("utf-8")).hexdigest()
