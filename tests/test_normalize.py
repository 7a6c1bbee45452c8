"""Normalisation of what people type: widths, answers, types, difficulty, codes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from importers.items import RawItem, build_item
from qbank.records import ItemType, Location
from qbank.text import normalize
from qbank.text.normalize import (
    canonical_knowledge_code,
    clean_text,
    fold_text,
    is_occupation_code,
    normalize_stem,
    parse_answer,
    parse_difficulty,
    parse_item_type,
    parse_letters,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("下列说法正确的是(　　)。", "下列说法正确的是（ ）。"),
        (
            "截面积2.5mm²，温度130℃，范围0.01～0.06，U₂",
            "截面积2.5mm²，温度130℃，范围0.01～0.06，U₂",
        ),
        ("电压为３８０Ｖ，频率５０Ｈｚ", "电压为380V，频率50Hz"),
        ("  多个   空格\n换行\t制表 ", "多个 空格 换行 制表"),
        ("如图,电阻为?", "如图，电阻为？"),
        ("Ohm's law, V=IR", "Ohm's law, V=IR"),
        # kept as typed: Roman numerals, φ/ϕ, ①, ㎡, µ; Chinese punctuation even without Chinese
        ("Ⅰ级/Ⅱ级负荷", "Ⅰ级/Ⅱ级负荷"),
        ("φ3.2、ϕ4、①、10㎡、5µm", "φ3.2、ϕ4、①、10㎡、5µm"),
        ("E4315（J427），", "E4315（J427），"),
        ("（A）：Ｂ；", "（A）：B；"),
        ("１＋１＝２，５０％", "1+1=2，50%"),
        (3.0, "3"),
        (None, ""),
    ],
)
def test_clean_text(raw: object, clean: str) -> None:
    assert clean_text(raw) == clean


# What the cleaning rules look at: Chinese, spaces of every kind (single, double, leading,
# trailing, before a bracket), full-width forms kept and folded, ASCII punctuation between
# digits or not, brackets of both widths, and a letter with a combining accent (not NFC).
_CLEANED_ALPHABET = st.sampled_from(
    [
        *"电压为的是（）() ，；：？！～,;:?!　\t\n\u00a0\u2003\u200b\ufeff１Ａ＋％．12aZ、①Ⅱ",
        *("e\u0301", "\u00e9", "  ", " （"),
    ]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_CLEANED_ALPHABET, min_size=1, max_size=14).map("".join))
def test_clean_text_skips_only_text_its_rules_leave_alone(text: str) -> None:
    """`clean_text` returns Chinese text none of its rules would change without applying
    them (`normalize._REWRITTEN`): on any text, what it returns is what the rules give."""
    expected = normalize._rules(text) if not text.isascii() else normalize._clean(text)
    assert normalize._clean(text) == expected
    assert clean_text(text) == expected


def test_full_and_half_width_fold_to_the_same_key() -> None:
    assert fold_text("（Ａ）ＰＬＣ，") == fold_text("(a)plc,")


def test_compatibility_characters_fold_only_for_comparison() -> None:
    assert fold_text("Ⅱ级，130℃") == fold_text("II级,130°C") == "ii级,130°c"
    assert fold_text("E4315（J427），") == fold_text("E4315(J427),")


@pytest.mark.parametrize(
    ("stem", "item_type", "stored"),
    [
        ("电弧是气体放电现象。（ ）", ItemType.JUDGEMENT, "电弧是气体放电现象。"),
        ("（ ）电弧是气体放电现象。", ItemType.JUDGEMENT, "电弧是气体放电现象。"),
        ("电弧是气体放电现象（）。", ItemType.JUDGEMENT, "电弧是气体放电现象。"),
        ("电流 I ( ) A 表示安培。", ItemType.JUDGEMENT, "电流 I A 表示安培。"),
        (
            "电弧（等离子体）是气体放电现象。",
            ItemType.JUDGEMENT,
            "电弧（等离子体）是气体放电现象。",
        ),
        ("电流的单位是（）。", ItemType.SINGLE, "电流的单位是（ ）。"),
        ("电流的单位是（ ）。", ItemType.MULTIPLE, "电流的单位是（ ）。"),
    ],
)
def test_normalize_stem_answer_brackets(stem: str, item_type: ItemType, stored: str) -> None:
    assert normalize_stem(clean_text(stem), item_type) == stored


@pytest.mark.parametrize(
    ("raw", "letters"),
    [
        ("A", "A"),
        ("ABD", "ABD"),
        ("A,C", "AC"),
        ("A;C", "AC"),
        ("A C", "AC"),
        ("ac", "AC"),
        ("A、C", "AC"),
        ("ＤＢ", "BD"),
        ("C，A", "AC"),
        ("（ B ）", "B"),
        ("甲", None),
        ("", None),
        ("A1", None),
    ],
)
def test_parse_letters(raw: str, letters: str | None) -> None:
    assert parse_letters(raw) == letters


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("√", True),
        ("✓", True),
        ("对", True),
        ("正确", True),
        ("是", True),
        ("T", True),
        ("×", False),
        ("✗", False),
        ("错", False),
        ("错误", False),
        ("否", False),
        ("X", False),
        ("F", False),
        ("（ √ ）", True),
        ("B", None),
        ("可能", None),
    ],
)
def test_parse_judgement(raw: str, value: bool | None) -> None:
    assert parse_answer(raw, ItemType.JUDGEMENT) is value


@pytest.mark.parametrize(
    ("raw", "item_type"),
    [
        ("判断题", ItemType.JUDGEMENT),
        ("一、判断题（第1题～第20题。每题1分，满分20分。）", ItemType.JUDGEMENT),
        ("单项选择题", ItemType.SINGLE),
        ("单选", ItemType.SINGLE),
        ("二. 单项选择题：", ItemType.SINGLE),
        ("多项选择题", ItemType.MULTIPLE),
        ("多选题", ItemType.MULTIPLE),
        ("填空题", None),
    ],
)
def test_parse_item_type(raw: str, item_type: ItemType | None) -> None:
    assert parse_item_type(raw) is item_type


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("易", 0.1),
        ("较易", 0.3),
        ("中等", 0.5),
        ("较难", 0.7),
        ("难", 0.9),
        ("简单", 0.2),
        ("一般", 0.5),
        ("困难", 0.8),
        (1, 0.1),
        (3, 0.5),
        (5, 0.9),
        ("0.65", 0.65),
        ("65%", 0.65),
        ("", None),
    ],
)
def test_parse_difficulty(raw: object, value: float | None) -> None:
    assert parse_difficulty(raw) == value


@pytest.mark.parametrize("raw", ["很难", "7", "-0.2", "1.5"])
def test_parse_difficulty_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_difficulty(raw)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("BAC012", "B-A-C-012"),
        ("B-A-C-012", "B-A-C-012"),
        ("b.a.c.12", "B-A-C-012"),
        ("B-A-C", "B-A-C"),
        ("A", "A"),
        ("12", None),
        ("B-12-C", None),
        ("", None),
    ],
)
def test_canonical_knowledge_code(raw: str, code: str | None) -> None:
    assert canonical_knowledge_code(raw) == code


@pytest.mark.parametrize(
    ("code", "ok"),
    [("6-31-01-03", True), ("6-18-01-01-02", True), ("6-31-01", False), ("6-31-1-03", False)],
)
def test_occupation_code_shape(code: str, ok: bool) -> None:
    assert is_occupation_code(code) is ok


HERE = Location("f.xlsx", sheet="S", row=5)
OPTIONS = {"A": "短路", "B": "过载", "C": "失压", "D": "欠压"}


def problems_of(**fields: object) -> list[tuple[str, str]]:
    record, problems = build_item(RawItem(location=HERE, **fields))  # type: ignore[arg-type]
    assert (record is None) == bool(problems)
    return [(p.field, p.key) for p in problems]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"type": "单选", "stem": "", "options": OPTIONS, "answer": "B"},
            [("stem", "problem.missing")],
        ),
        (
            {"type": "单选", "stem": "题", "options": OPTIONS, "answer": ""},
            [("answer", "problem.missing")],
        ),
        (
            {"type": "单选", "stem": "题", "options": OPTIONS, "answer": "E"},
            [("answer", "problem.answer_not_in_options")],
        ),
        (
            {"type": "单选", "stem": "题", "options": OPTIONS, "answer": "AB"},
            [("answer", "problem.single_several_answers")],
        ),
        (
            {"type": "多选", "stem": "题", "options": OPTIONS, "answer": "A"},
            [("answer", "problem.multiple_one_answer")],
        ),
        ({"type": "判断", "stem": "题。", "answer": "B"}, [("answer", "problem.judgement_answer")]),
        ({"type": "填空", "stem": "题", "answer": "x"}, [("type", "problem.unknown_type")]),
        (
            {"type": "单选", "stem": "题", "options": {"A": "x"}, "answer": "A"},
            [("options", "problem.too_few_options")],
        ),
        (
            {"type": "单选", "stem": "题", "options": {"A": "x", "C": "y"}, "answer": "A"},
            [("options", "problem.option_gap")],
        ),
        (
            {"type": "单选", "stem": "题", "options": OPTIONS, "answer": "B", "difficulty": "很难"},
            [("difficulty", "problem.bad_difficulty")],
        ),
        (
            {"type": "单选", "stem": "题", "options": OPTIONS, "answer": "B", "score": "两分"},
            [("score", "problem.bad_number")],
        ),
        (
            {
                "type": "单选",
                "stem": "题",
                "options": OPTIONS,
                "answer": "B",
                "knowledge_code": "12",
            },
            [("knowledge_point", "problem.bad_knowledge_code")],
        ),
    ],
)
def test_each_validation_error(fields: dict[str, object], expected: list[tuple[str, str]]) -> None:
    assert problems_of(**fields) == expected


def test_every_problem_of_an_item_is_reported() -> None:
    found = problems_of(type="单选", stem="", options=OPTIONS, answer="AE", difficulty="很难")
    assert {f for f, _ in found} == {"stem", "answer", "difficulty"}


def test_problem_messages_in_both_languages() -> None:
    _, [problem] = build_item(
        RawItem(location=HERE, type="单选", stem="题", options=OPTIONS, answer="E")
    )
    assert str(problem) == "f.xlsx 工作表“S”第 5 行：答案 E 不在选项 ABCD 之中"
    from qbank.i18n import set_language

    set_language("en")
    assert problem.message == "answer E is not among the options ABCD"
    assert problem.as_dict() == {
        "location": {"file": "f.xlsx", "sheet": "S", "row": 5},
        "field": "answer",
        "message": "answer E is not among the options ABCD",
    }


cells = st.one_of(
    st.none(), st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.booleans()
)


@settings(max_examples=200, deadline=None)
@given(
    item_type=cells,
    stem=cells,
    answer=cells,
    difficulty=cells,
    score=cells,
    code=cells,
    options=st.dictionaries(st.text(max_size=2), cells, max_size=6),
)
def test_random_cells_give_problems_not_exceptions(
    item_type: object,
    stem: object,
    answer: object,
    difficulty: object,
    score: object,
    code: object,
    options: dict[str, object],
) -> None:
    raw = RawItem(
        location=HERE,
        type=item_type,
        stem=stem,
        answer=answer,
        difficulty=difficulty,  # type: ignore[arg-type]
        score=score,
        knowledge_code=code,
        options=options,  # type: ignore[arg-type]
    )
    record, problems = build_item(raw)
    assert (record is None) == bool(problems)
    for p in problems:
        assert p.message
