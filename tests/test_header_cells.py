"""A data row's stem cell is compared with the stem header (a header repeated by tables pasted
page by page) without normalising it where it cannot match: `importers.tables.is_header`
gives `norm_header(value) == key` exactly. Its argument rests on where the characters lie
whose NFKC or casefold gives a CJK ideograph; the first test checks that on every code point.
"""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from importers.tables import _IDEOGRAPH, IDEOGRAPH_SOURCES, is_header, norm_header


def test_only_the_sources_give_an_ideograph_other_than_themselves() -> None:
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code < 0xE000:  # surrogates are not characters
            continue
        char = chr(code)
        given_ = unicodedata.normalize("NFKD", char) + char.casefold()
        if any(_IDEOGRAPH.fullmatch(c) and c != char for c in given_):
            assert IDEOGRAPH_SOURCES.fullmatch(char), hex(code)
        if _IDEOGRAPH.fullmatch(char):  # an ideograph is its own NFKC and casefold
            assert unicodedata.normalize("NFKC", char) == char.casefold() == char, hex(code)


KEYS = ["题干", "试题内容", "题目（必填）", "stem", "题干*", "*题干", "問題", ""]
PIECES = st.sampled_from(
    [
        *"题干试目内容问問stemSTEM （）()【】*＊:：\u3000\n",
        *("\u2ea9", "\u2f42", "\u2f8f", "\uf900", "\ufa5c", "㊙", "㈠", "\U0001f214"),
        *("（必填）", "题干（必填）", "下列说法正确的是（ ）。", "ﬆ", "ſtem", "ẞ"),
    ]
)
CELLS = st.one_of(
    st.lists(st.one_of(PIECES, st.characters(exclude_categories=["Cs"])), max_size=12).map("".join),
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
)


@settings(max_examples=3000, deadline=None)
@given(value=CELLS, key=st.sampled_from(KEYS))
def test_is_header_is_norm_header_equal(value: object, key: str) -> None:
    target = norm_header(key)
    assert is_header(value, target) == (norm_header(value) == target)  # type: ignore[arg-type]


def test_the_stem_header_and_a_stem() -> None:
    key = norm_header("题干（必填）")
    assert is_header("题干", key) and is_header(" 题 干 (必填)", key)
    assert is_header("\u2f42干", norm_header("\u2f42干"))  # a Kangxi radical: its NFKC is 文
    assert not is_header("下列说法正确的是（ ）。", key)
