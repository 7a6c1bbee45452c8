"""`canonical_bytes` writes the bytes `json.dumps` writes with the canonical options.

Version ids, audit hashes, signed payloads and reports hash these bytes: the encoder made
once (not per call) must not change a single one of them.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.canonical import canonical_bytes

TEXT = st.text(
    st.one_of(st.characters(codec="utf-8"), st.sampled_from(['"', "\\", "\n", "\x00", "电", "😀"])),
    max_size=12,
)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(TEXT, inner, max_size=5),
        st.dictionaries(st.integers(-5, 5), inner, max_size=3),
    ),
    max_leaves=25,
)


def _dumps(value: object) -> bytes:
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


@settings(max_examples=600, deadline=None)
@given(VALUE)
def test_same_bytes_as_json_dumps(value: object) -> None:
    assert canonical_bytes(value) == _dumps(value)


@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, {"a": object()}, [{1, 2}], {"a": 1, 2: "mixed keys"}]
)
def test_refuses_what_json_dumps_refuses(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)) as ours:
        canonical_bytes(bad)
    with pytest.raises(ours.type):
        _dumps(bad)
