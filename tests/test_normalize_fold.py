"""`fold_clean` folds a record's text as `fold_text` does, without cleaning it again.

An import folds each record's stem and options for its content key and its tokens; the
records come from importers, whose texts are `clean_text` output (stems then through
`normalize_stem`). `fold_clean` skips the cleaning, which is right only because cleaning
changes none of its own results: these tests generate texts rich in what cleaning rewrites
(widths, spaces, ASCII and Chinese punctuation between digits and words, brackets, markup)
and hold both properties.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.records import ItemType
from qbank.text.normalize import clean_text, fold_clean, fold_text, normalize_stem

# What cleaning rewrites: widths, spaces, punctuation, brackets, markup, composed forms.
_RAW = "电 工 压 Ａ １ a B 7 0 , ; : ? ! ， ； ： ？ ！ ( ) （ ） ～ ＋ ％ ． ℃ Ⅱ ² _{ ^{ } { \\ U_{2}"
PIECES = st.sampled_from(
    [
        *_RAW.split(" "),
        *("1,000", "30:2", "ｶ", "ﾟ", " ", "\u3000", "\u00a0", "\t", "\n", "（ ）", "( )"),
        *("e\u0301", "\ufeff", "\u200b"),
    ]
)
TEXT = st.lists(st.one_of(PIECES, st.characters()), max_size=25).map("".join)


@settings(max_examples=600, deadline=None)
@given(TEXT)
def test_cleaning_is_idempotent_and_fold_clean_agrees(raw: str) -> None:
    text = clean_text(raw)
    assert clean_text(text) == text
    assert fold_clean(text) == fold_text(text) == fold_text(raw)


@settings(max_examples=600, deadline=None)
@given(TEXT, st.sampled_from([None, *ItemType]))
def test_stems_stay_clean(raw: str, item_type: ItemType | None) -> None:
    stem = normalize_stem(clean_text(raw), item_type)
    assert clean_text(stem) == stem
    assert fold_clean(stem) == fold_text(stem)


def test_fold_clean_examples() -> None:
    for text in ["电压Ｕ_{2}为２２０Ｖ（ ）", "ABC", "Ⅱ级，℃", "a（ ）b", ""]:
        clean = clean_text(text)
        assert fold_clean(clean) == fold_text(text)
