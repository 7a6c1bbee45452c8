"""`qbank.text.nfkc.nfkc` is `unicodedata.normalize("NFKC", …)`, faster on Chinese item text.

It replaces characters one by one and keeps the result only when the quick check says it is
NFKC; the argument that this is exact is in its module docstring. These tests hold it against
the standard library on every character of the Basic Multilingual Plane and on generated text
that mixes the replaced characters with what composes across them: combining marks after a
full-width letter (`Ａ` + acute must become `Á`), Hangul jamo, compatibility ideographs.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.text.nfkc import _table, nfkc


def test_every_character_of_the_basic_plane() -> None:
    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:  # surrogates are not characters
            continue
        char = chr(code)
        assert nfkc(char) == unicodedata.normalize("NFKC", char), hex(code)


_REPLACED = sorted(_table()[0])
PIECES = st.sampled_from(
    [
        *"电工压试题，；：？！（）～＋％．Ａａ１ℓ℃Ⅱ²µ½…①㎡\u3000\u00a0",
        *("\u0301", "\u0308", "\u0327", "\u3099", "\u309a", "\u20dd"),  # combining marks
        *("\u1100", "\u1161", "\u11a8", "\uac00", "\u3131", "\u314f"),  # Hangul jamo, syllable
        *("\uf900", "\ufa10", "\u2f00", "\u2e80", "\uff9e", "\uff9f", "ｶ", "ﾞ"),
        *("e\u0301", "Ａ\u0301", "ｶﾞ", "か\u3099", "（\u0301", "1,000", " ", "\n"),
    ]
)
TEXT = st.lists(
    st.one_of(PIECES, st.sampled_from(_REPLACED), st.characters(exclude_categories=["Cs"])),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_generated_text(text: str) -> None:
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_an_item_stem_and_what_composes_across_a_replaced_character() -> None:
    stem = "三相异步电动机的额定功率为15kW（ ），其额定电流约为多少安培？"
    assert nfkc(stem) == "三相异步电动机的额定功率为15kW( ),其额定电流约为多少安培?"
    assert nfkc("Ａ\u0301（ ）") == "\u00c1( )"  # the replaced Ａ composes with the accent
    assert nfkc("ｶﾞ，") == "ガ,"  # half-width kana and voiced mark compose


def test_text_with_many_distinct_replaced_characters_is_normalised_in_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A hostile cell holding many replaced characters is not rewritten once for each: it
    goes to the full normalisation, once, as linear as the standard library is. (The full-width
    forms: replaced, they would be NFKC, so only the bound sends them there.)"""
    text = "".join(map(chr, range(0xFF01, 0xFF5F))) * 20
    expected = unicodedata.normalize("NFKC", text)
    calls = []
    normalize = unicodedata.normalize

    def counted(form: str, value: str) -> str:
        calls.append(len(value))
        return normalize(form, value)

    monkeypatch.setattr(unicodedata, "normalize", counted)
    assert nfkc(text) == expected
    assert calls == [len(text)]
    calls.clear()
    assert nfkc("电工（Ａ）") == "电工(A)"
    assert calls == []  # a few replaced characters: no full normalisation
    monkeypatch.undo()
    assert nfkc("\ud800（\udfff）") == unicodedata.normalize("NFKC", "\ud800（\udfff）")
