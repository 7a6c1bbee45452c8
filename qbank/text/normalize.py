"""Normalise what people type into item files: widths, spaces, answers, types, difficulty.

Two forms of text:

- `clean_text` is what we store and print. Characters are kept as typed except where two
  keyboards give two codes for one character:

  * full-width Latin letters and digits (`Ａ１`) and the full-width forms of ASCII symbols
    (`＋－＝％．／`) become ASCII; the ideographic space and other spaces become one space;
  * Chinese punctuation stays Chinese, in every text: `，；：？！（）～` are kept full-width
    whether or not the text holds Chinese characters (`（J427），` stays as typed);
  * in text holding Chinese characters ASCII `, ; : ? ! ( )` become their Chinese form (except
    `,` `:` between two digits, as in `1,000` or `30:2`), so `（ ）` and `( )` store alike;
  * nothing else is folded: Roman numerals (`Ⅰ级`), `℃`, `²`, `₂`, `φ`, `①`, `㎡`, `µ` and the
    other compatibility characters are stored as typed (only canonically equivalent
    sequences are unified, by NFC).

- `fold_text` is for comparing (content keys, overlap tokens): `clean_text`, then NFKC (all
  punctuation half-width, `Ⅱ` → `II`, `℃` → `°C`), case-folded and without the markup of
  sub- and superscripts (`U_{2}` → `u2`).

`normalize_stem` adds the one rule for answer brackets in stems, so the same item gives the
same stem from any layout: a judgement stem loses every empty bracket (`（ ）`, `（）`, `( )`:
the place where the answer was written, at the start, the end or anywhere else — a
judgement is a plain statement); in a choice stem an empty bracket is the answer blank and is
written `（ ）` (one space). Importers take answers out of brackets first, leaving them empty.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from qbank.records import Answer, Importance, ItemType
from qbank.text.nfkc import nfkc
from qbank.text.numbers import format_number as format_number  # callers import it from here
from qbank.text.scripts import plain

_WS = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
# In Chinese text ASCII , ; : ? ! become full-width, except between two digits (1,000 or 30:2).
_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_ASCII_PUNCT = re.compile(r"(\d?)\s*([,;:?!])\s*(\d?)")
_ANY_ASCII_PUNCT = re.compile(r"[,;:?!]")
_HAS_CJK = re.compile(rf"[{_CJK}]")
# A space before `（` but the one a `（` keeps after it (`（ （`), in text whose spaces are single.
_SPACE_BEFORE_OPEN = re.compile("(?<!（) （")

# Full-width forms U+FF01–U+FF5E map one to one onto ASCII U+0021–U+007E. Chinese
# punctuation among them is kept in stored text.
_CHINESE_PUNCTUATION = "，；：？！（）～"
_WIDTH_ALL = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_WIDTH_ALL[0x3000] = 0x20
_WIDTH_STORED = {c: v for c, v in _WIDTH_ALL.items() if chr(c) not in _CHINESE_PUNCTUATION}
_WIDE = re.compile("[\uff01-\uff5e\u3000]")
# What `_WIDTH_STORED` changes: Chinese text nearly always holds `，（）` and seldom anything
# this folds, so the translation (a dictionary lookup per character) is mostly skipped.
_WIDE_STORED = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_WIDTH_STORED)) + "]")


def fold_width(text: str) -> str:
    """Full-width ASCII forms and the ideographic space to ASCII, one character for one.

    The same length as `text`, so positions found in the folded text hold in the original:
    readers match markers (`（A）`, `１．`, `答案：`) on this form and slice the text as typed.
    """
    return text.translate(_WIDTH_ALL) if _WIDE.search(text) else text


def stored_width(text: str) -> str:
    """The width folding stored text gets: NFC, full-width letters, digits and symbols to
    ASCII, Chinese punctuation kept (see the module docstring). Not NFKC, which it replaced
    for stored text (NFKC itself is `qbank.text.nfkc.nfkc`, for comparing)."""
    if text.isascii():
        return text
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.translate(_WIDTH_STORED) if _WIDE_STORED.search(text) else text


def _full_width_punctuation(match: re.Match[str]) -> str:
    before, mark, after = match.groups()
    if before and after:
        return match.group(0)
    return f"{before}{_TO_FULL[mark]}{after}"


_SHORT = 32
"""Texts up to this length are cleaned once and remembered: the short cells of an item file
(types, answers, option letters, difficulties, codes) repeat on nearly every row."""


def clean_text(value: object) -> str:
    """Return `value` as stored text: widths folded, whitespace collapsed, Chinese punctuation
    and compatibility characters kept (module docstring).

    None and blank cells give "". Numbers read by a spreadsheet (`3.0`) come back as `3`.
    Each rule runs only on text holding what it rewrites: this is on every import's hot path.
    """
    if value is None:  # an empty optional cell
        return ""
    if type(value) is str and len(value) <= _SHORT:
        return _clean_short(value)
    return _clean(value)


def _clean(value: object) -> str:
    """`clean_text`, computed."""
    if value is None:
        return ""
    if type(value) is str:
        text = value
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value)
    if text.isascii():  # nothing to fold, and there is no Chinese to punctuate
        return _WS.sub(" ", text).strip()
    if (
        not _REWRITTEN.search(text)
        and text[0] != " " != text[-1]
        and "  " not in text
        and " （" not in text
        and unicodedata.is_normalized("NFC", text)
    ):
        return text  # the usual Chinese text: no rule of `_rules` changes it
    return _rules(text)


def _rules(text: str) -> str:
    """`clean_text`'s rules, each applied to non-ASCII `text` where it holds what the rule
    rewrites."""
    text = _WS.sub(" ", stored_width(text)).strip()
    if not text or not _HAS_CJK.search(text):
        return text
    if _ANY_ASCII_PUNCT.search(text):
        text = _ASCII_PUNCT.sub(_full_width_punctuation, text)
    # Brackets: in Chinese text both halves become full-width, spaces inside kept as one. The
    # space before `（` goes; spaces are single here (`_WS`), so the one before `）` stays as it is.
    if "(" in text or ")" in text:
        text = text.replace("(", "（").replace(")", "）")
    if " （" in text:
        text = _SPACE_BEFORE_OPEN.sub("（", text)
    return text


_SPACES = [c for c in range(0x3001) if chr(c).isspace()]
"""The characters that regular expressions and `str.strip` take for spaces (U+3000 is the
last of them)."""
_REWRITTEN = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in sorted({*_WIDTH_STORED, *_SPACES} - {ord(" ")}))
    + r"\u200b\ufeff,;:?!()]"
)
"""A character some rule of `_rules` rewrites, or needs to see to rewrite another: a space
other than the ASCII one (`_WS`), a width-folded form (`_WIDTH_STORED`), ASCII punctuation
and brackets. Non-ASCII text holding none of them, NFC already, whose ASCII spaces are
single, inside it and not before a `（`, is clean as it is (a choice stem's `（ ）` keeps its
space): one scan instead of one per rule (a 30-character stem: 0.5 µs against 1.8-2.0 µs;
tests/test_normalize.py holds the two paths equal on generated text)."""

_clean_short = functools.lru_cache(maxsize=1 << 14)(_clean)


def fold_text(value: object) -> str:
    """Return a comparison key: fully half-width, NFKC, case-folded, whitespace collapsed,
    sub- and superscript markup left out (`U_{2}` compares as `U2`: `qbank.text.scripts`)."""
    if type(value) is str:
        return _fold_str(value)
    if value is None:  # an empty optional cell
        return ""
    return _fold(value)


def _fold(value: object) -> str:
    return nfkc(plain(clean_text(value))).casefold()


@functools.lru_cache(maxsize=1 << 16)
def _fold_str(text: str) -> str:
    """`fold_text` of a string, remembered: an import folds each text for its content key, its
    links and its tokens, and the short cells (types, answers, difficulties) repeat."""
    return _fold(text)


def fold_clean(text: str) -> str:
    """`fold_text` of text already in its stored form, as importers give every record's
    fields (`clean_text` output, a stem after `normalize_stem`): the same key, without
    cleaning the text a second time (`clean_text` changes none of its own results;
    tests/test_normalize_fold.py holds the two equal on generated text). An import folds
    each of its texts twice (content key, tokens): this halves that work."""
    if text.isascii():  # NFKC leaves ASCII alone
        return plain(text).casefold()
    return nfkc(plain(text)).casefold()


_EMPTY_BRACKET = re.compile(r"[(（]\s*[)）]")
_EMPTY_BRACKET_SPACED = re.compile(r"\s*[(（]\s*[)）]\s*")


def normalize_stem(stem: str, item_type: ItemType | None) -> str:
    """A stem's answer brackets in their one stored form (module docstring): removed from a
    judgement stem, `（ ）` in a choice stem. `stem` is already `clean_text`."""
    if "）" not in stem and ")" not in stem:
        return stem
    if item_type is ItemType.JUDGEMENT:
        return clean_text(_EMPTY_BRACKET_SPACED.sub(_joiner(stem), stem))
    if item_type is None:
        return stem
    return _EMPTY_BRACKET.sub("（ ）" if _HAS_CJK.search(stem) else "( )", stem)


def _joiner(stem: str) -> Callable[[re.Match[str]], str]:
    """Removing a bracket leaves a space only between two Latin words or numbers."""

    def join(match: re.Match[str]) -> str:
        before = stem[match.start() - 1 : match.start()]
        after = stem[match.end() : match.end() + 1]
        return (
            " "
            if before.isascii() and before.isalnum() and after.isascii() and after.isalnum()
            else ""
        )

    return join


# --- item types ----------------------------------------------------------------------------

_TYPE_WORDS: dict[str, ItemType] = {}
for _words, _type in (
    (
        "判断 判断题 是非 是非题 对错题 正误题 判断正误 judgement judgment true/false tf",
        ItemType.JUDGEMENT,
    ),
    ("单选 单选题 单项选择 单项选择题 单项 单选择题 选择题 single single-choice", ItemType.SINGLE),
    (
        "多选 多选题 多项选择 多项选择题 多项 多选择题 不定项 不定项选择题 multiple multi "
        "multiple-choice",
        ItemType.MULTIPLE,
    ),
):
    for _w in _words.split():
        _TYPE_WORDS[_w.casefold()] = _type


def parse_item_type(value: object) -> ItemType | None:
    """Map a type cell or heading (判断题, 单项选择题, 多选, …) to an ItemType, or None."""
    return _item_type(fold_text(value))


@functools.lru_cache(maxsize=1 << 10)
def _item_type(folded: str) -> ItemType | None:
    """`parse_item_type` of folded text, remembered: every row of a file has a type cell."""
    key = re.sub(r"[(\[【][^)\]】]*[)\]】]", "", folded)
    key = re.sub(r"[\s()\[\]【】:：]", "", key)
    key = re.sub(r"^[一二三四五六七八九十\d]+[、.．]", "", key)
    return _TYPE_WORDS.get(key)


# --- answers -------------------------------------------------------------------------------

_TRUE_WORDS = {"√", "✓", "✔", "☑", "对", "正确", "是", "t", "true", "y", "yes", "1", "v", "o"}
_FALSE_WORDS = {"×", "✗", "✘", "x", "☒", "错", "错误", "否", "不对", "f", "false", "n", "no", "0"}
_LETTER_SEPARATORS = re.compile(r"[\s,，;；、/|.．+]+")


def parse_judgement(value: object) -> bool | None:
    """√ ✓ 对 正确 是 T → True; × ✗ 错 错误 否 F → False; anything else → None."""
    key = fold_text(value).strip("()（）[]【】 ")
    if key in _TRUE_WORDS:
        return True
    if key in _FALSE_WORDS:
        return False
    return None


def parse_letters(value: object) -> str | None:
    """`A`, `ABD`, `A,C`, `A;C`, `A C`, `ac`, `A、C` → letters upper-case, sorted, unique.

    Returns None when the text holds anything but option letters A–Z and separators.
    """
    text = _LETTER_SEPARATORS.sub("", fold_text(value).strip("()（）[]【】 "))
    if not text or not text.isascii() or not text.isalpha():
        return None
    return "".join(sorted(set(text.upper())))


def parse_answer(value: object, item_type: ItemType) -> Answer | None:
    """Canonical answer for `item_type`, or None when it cannot be read."""
    if item_type is ItemType.JUDGEMENT:
        return parse_judgement(value)
    return parse_letters(value)


def format_answer(answer: Answer) -> str:
    """The answer as a person reads it: letters, or √ / ×."""
    if isinstance(answer, bool):
        return "√" if answer else "×"
    return answer


# --- difficulty ----------------------------------------------------------------------------

DIFFICULTY_WORDS: dict[str, float] = {
    # five-step scale of national banks; higher = harder
    "易": 0.1,
    "容易": 0.1,
    "较易": 0.3,
    "中等": 0.5,
    "中": 0.5,
    "适中": 0.5,
    "较难": 0.7,
    "难": 0.9,
    "困难": 0.8,
    # three-step scale of exam apps
    "简单": 0.2,
    "一般": 0.5,
}
"""Difficulty words on the 0–1 scale (0 easiest, 1 hardest). Whole numbers 1–5 map to the
same five steps (1 → 0.1 … 5 → 0.9); percentages and decimals in [0, 1] (`0.65`, `1.0`)
are taken as given."""


def parse_difficulty(value: object) -> float | None:
    """Put a difficulty word or number on the 0–1 scale; None for blank; ValueError if unreadable."""
    return _difficulty(fold_text(value))


@functools.lru_cache(maxsize=1 << 12)
def _difficulty(text: str) -> float | None:
    """`parse_difficulty` of folded text, remembered (a ValueError is raised each time)."""
    if not text:
        return None
    if text in DIFFICULTY_WORDS:
        return DIFFICULTY_WORDS[text]
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        raise ValueError(text) from None
    if percent:
        number /= 100
    elif text.isdigit() and 1 <= number <= 5:  # a 1–5 step, not the fraction 1.0
        return round(0.1 + (number - 1) * 0.2, 2)
    if not 0 <= number <= 1:
        raise ValueError(text)
    return number


def parse_number(value: object) -> float | None:
    """A score or weight cell (`1`, `1.5`, `２分`, `20%`) → float; None for blank; ValueError."""
    return _number(fold_text(value))


@functools.lru_cache(maxsize=1 << 12)
def _number(text: str) -> float | None:
    """`parse_number` of folded text, remembered (a ValueError is raised each time)."""
    if not text:
        return None
    text = re.sub(r"(分|%|％)$", "", text).strip()
    return float(text)


def parse_importance(value: object) -> Importance | None:
    """X / Y / Z (any width or case) → Importance; None for blank; ValueError otherwise."""
    text = fold_text(value).upper()
    if not text:
        return None
    try:
        return Importance(text)
    except ValueError:
        raise ValueError(text) from None


# --- codes ---------------------------------------------------------------------------------

_OCCUPATION = re.compile(r"^\d-\d{2}-\d{2}-\d{2}(-\d{2})?$")
_POINT_CODE = re.compile(r"^([A-Z])(?:-?([A-Z]))*(?:-?(\d{1,3}))?$")


def is_occupation_code(value: str) -> bool:
    """`6-31-01-03` or with a 工种 suffix `6-18-01-01-02` (职业分类大典 shape only)."""
    return bool(_OCCUPATION.match(value))


def canonical_knowledge_code(value: object) -> str | None:
    """`BAC012`, `B-A-C-012`, `b.a.c.12`, `B-A-C` → `B-A-C-012` / `B-A-C`; None if malformed."""
    return _knowledge_code(fold_text(value))


@functools.lru_cache(maxsize=1 << 16)
def _knowledge_code(folded: str) -> str | None:
    """`canonical_knowledge_code` of folded text, remembered: a file's items share points."""
    text = re.sub(r"[\s\-_.．、/]", "", folded).upper()
    if not text or not _POINT_CODE.match(text):
        return None
    letters = re.match(r"[A-Z]+", text)
    assert letters is not None
    parts = list(letters.group(0))
    digits = text[len(letters.group(0)) :]
    if digits:
        parts.append(f"{int(digits):03d}")
    return "-".join(parts)
