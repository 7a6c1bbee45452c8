"""Token sets: folding, jieba precise mode, noise and stop words, identity, batches."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import jieba
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.canonical import content_id
from qbank.text.tokens import (
    NAME,
    Tokenizer,
    bundled_stopwords,
    default_tokenizer,
    parse_stopwords,
    tokenize_many,
)

ITEMS_DIR = Path(__file__).resolve().parent.parent / "samples" / "source" / "items"


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return default_tokenizer()


@pytest.fixture(scope="module")
def sample_items() -> list[tuple[str, list[str]]]:
    items = []
    for path in sorted(ITEMS_DIR.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            items.append((item["stem"], list((item.get("options") or {}).values())))
    assert len(items) > 100
    return items


def to_full_width(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms, spaces as U+3000."""
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text
    )


def test_full_width_and_half_width_give_the_same_tokens(tok: Tokenizer) -> None:
    half = "PLC的输入电压为220V,下列说法正确的是( )。"
    full = "ＰＬＣ的输入电压为２２０Ｖ，下列说法正确的是（　）。"
    assert tok.tokens(full) == tok.tokens(half) == ["220v", "plc", "电压", "输入"]


def test_punctuation_symbols_spaces_and_stop_words_are_dropped(tok: Tokenizer) -> None:
    tokens = tok.tokens("下列关于职业道德的说法中，正确的是（　）。😀 ★ ……“安全”！")
    assert tokens == ["安全", "职业道德"]


def test_tokens_are_sorted_unique_and_case_folded(tok: Tokenizer) -> None:
    tokens = tok.tokens("电压、电压、电流 PLC plc Plc")
    assert tokens == sorted(set(tokens))
    assert tokens == ["plc", "电压", "电流"]


def test_blank_text_has_no_tokens(tok: Tokenizer) -> None:
    assert tok.tokens("") == []
    assert tok.tokens(" \u3000\t\n") == []
    assert tok.item_tokens("", ["", "  "]) == []


def test_item_tokens_cut_stem_and_each_option_separately(tok: Tokenizer) -> None:
    stem, options = "三相异步电动机的起动电流约为额定电流的（ ）倍。", ["1～2", "4～7", "10"]
    expected = set(tok.tokens(stem))
    for option in options:
        expected |= set(tok.tokens(option))
    assert tok.item_tokens(stem, options) == sorted(expected)
    # A word split over the stem and an option must not be produced.
    assert "职业道德" not in tok.item_tokens("职业", ["道德"])
    assert "职业道德" in tok.tokens("职业道德")


def test_bundled_stop_word_list_is_short_documented_and_folded() -> None:
    words = bundled_stopwords()
    assert 60 <= len(words) <= 120
    expected = "的 了 是 在 和 与 下列 以下 哪些 说法 正确 错误 不 属于 的是"
    assert set(expected.split(" ")) <= words
    assert all(unicodedata.normalize("NFKC", w).casefold() == w and w.strip() == w for w in words)
    assert not any("#" in w for w in words)


def test_parse_stopwords_skips_comments_and_blank_lines() -> None:
    text = "# heading\n的\n\n  了  # trailing comment\nＡＢＣ\n#\n"
    assert parse_stopwords(text) == {"的", "了", "abc"}


def test_identity_is_stable_and_describes_what_was_loaded(tok: Tokenizer) -> None:
    other = Tokenizer()
    assert other.identity == tok.identity
    assert other.identity.key == tok.identity.key == content_id(tok.identity.as_dict())
    data = tok.identity.as_dict()
    assert set(data) == {"name", "jieba_version", "dictionary_sha256", "stopwords_sha256"}
    assert data["name"] == NAME == "qbank-jieba-precise-nohmm"
    assert data["jieba_version"] == jieba.__version__
    dict_txt = Path(jieba.__file__).with_name("dict.txt")
    assert data["dictionary_sha256"] == hashlib.sha256(dict_txt.read_bytes()).hexdigest()


def test_identity_changes_with_the_stop_word_list(tok: Tokenizer) -> None:
    extended = Tokenizer([*sorted(bundled_stopwords()), "电压"])
    assert extended.identity.stopwords_sha256 != tok.identity.stopwords_sha256
    assert extended.identity.key != tok.identity.key
    assert extended.identity.dictionary_sha256 == tok.identity.dictionary_sha256
    assert "电压" in tok.tokens("输入电压") and "电压" not in extended.tokens("输入电压")
    # The same words in another order, repeated or in another width: the same identity.
    same = Tokenizer([to_full_width(w) for w in sorted(bundled_stopwords(), reverse=True)] + ["的"])
    assert same.identity == tok.identity


def test_identity_changes_with_the_dictionary(
    tmp_path: Path, tok: Tokenizer, caplog: pytest.LogCaptureFixture
) -> None:
    small = tmp_path / "small.txt"
    small.write_text("输入 100 n\n电压 100 n\n输入电压 1000 n\n", encoding="utf-8")
    custom = Tokenizer(dictionary=small)
    assert not [r for r in caplog.records if r.name == "jieba"]  # "Building prefix dict ..."
    assert custom.identity.dictionary_sha256 == hashlib.sha256(small.read_bytes()).hexdigest()
    assert custom.identity.key != tok.identity.key
    assert custom.tokens("输入电压") == ["输入电压"]
    assert tok.tokens("输入电压") == ["电压", "输入"]


@settings(max_examples=50, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("电压电流职业道德安全下列正确的是和与不abcXYZ019 ,.;:!?()[]%+-*/~")
        ),
        max_size=40,
    )
)
def test_width_never_changes_tokens_and_no_token_is_noise(text: str) -> None:
    tok = default_tokenizer()
    tokens = tok.tokens(text)
    assert tok.tokens(to_full_width(text)) == tokens
    assert tokens == sorted(set(tokens))
    for t in tokens:
        assert t not in tok.stopwords
        assert not any(c.isspace() for c in t)
        assert any(unicodedata.category(c)[0] in "LN" for c in t)


def test_tokenize_many_in_process_matches_item_tokens(
    tok: Tokenizer, sample_items: list[tuple[str, list[str]]]
) -> None:
    steps: list[int] = []
    result = tokenize_many(sample_items, chunk_size=100, progress=steps.append)
    assert result == [tok.item_tokens(stem, options) for stem, options in sample_items]
    assert sum(steps) == len(sample_items) and len(steps) == -(-len(sample_items) // 100)
    assert tokenize_many([]) == []


def test_tokenize_many_uses_the_given_tokenizer(
    sample_items: list[tuple[str, list[str]]],
) -> None:
    custom = Tokenizer([*sorted(bundled_stopwords()), "电压"])
    steps: list[int] = []
    result = tokenize_many(sample_items, tokenizer=custom, chunk_size=60, progress=steps.append)
    assert result == [custom.item_tokens(stem, options) for stem, options in sample_items]
    assert sum(steps) == len(sample_items) and len(steps) == -(-len(sample_items) // 60)
    assert not any("电压" in tokens for tokens in result)
    assert any("电压" in tokens for tokens in tokenize_many(sample_items[:200]))
