"""Word (.docx) theory items: the importer on real files made by python-docx, and the exporter
read back by the importer."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporters.items_docx import write_items_docx
from formats.item_layout import split_option_line, take_stem_answer
from importers.docx_items import _paragraph_text, read_items_docx
from importers.items import RawItem, build_item
from qbank.messages import CATALOGUE
from qbank.records import Importance, ItemRecord, ItemType, Location, Parsed
from qbank.text.normalize import clean_text

J, S, M = ItemType.JUDGEMENT, ItemType.SINGLE, ItemType.MULTIPLE
Para = str | tuple[str, str]  # text, or (text, style name)
FOUR = {"A": "伏特", "B": "欧姆", "C": "安培", "D": "瓦特"}


def make_docx(path: Path, paragraphs: Sequence[Para]) -> Path:
    document = docx.Document()
    for paragraph in paragraphs:
        if isinstance(paragraph, tuple):
            document.add_paragraph(paragraph[0], style=paragraph[1])
        else:
            document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def read(tmp_path: Path, paragraphs: Sequence[Para]) -> Parsed[ItemRecord]:
    return read_items_docx(make_docx(tmp_path / "bank.docx", paragraphs))


def problems(parsed: Parsed[ItemRecord]) -> set[tuple[int | None, str, str]]:
    return {(p.location.paragraph, p.field, p.key) for p in parsed.problems}


def content(record: ItemRecord) -> ItemRecord:
    """A record without its location, for comparing what was read with what was written."""
    return dataclasses.replace(record, location=Location("-"))


def only(parsed: Parsed[ItemRecord]) -> ItemRecord:
    assert parsed.problems == []
    assert len(parsed.records) == 1
    return parsed.records[0]


# --- the national block layout -------------------------------------------------------------


def test_national_paper_full_width(tmp_path: Path) -> None:
    parsed = read(
        tmp_path,
        [
            "电工（四级）理论知识试卷",
            "一、判断题（第1题～第2题。每题1分，满分2分。）",
            "１．（　√　）电阻的单位是欧姆。",
            "２．（×）电流的单位是伏特。",
            "二、单项选择题（第3题～第4题。每题1分，满分2分。）",
            "３．电阻的单位是（　Ｂ　）。",
            "Ａ．伏特　Ｂ．欧姆　Ｃ．安培　Ｄ．瓦特",
            "4．（ A ）是电压的单位。",
            "A．伏特　B．欧姆　C．安培　D．瓦特",
            "三、多项选择题（第5题。每题2分，满分2分。）",
            "5．下列材料中属于导体的有（ AC ）。",
            "A．铜　　　　B．橡胶",
            "C．铝　　　　D．玻璃",
        ],
    )
    assert parsed.problems == []
    name = "bank.docx"
    assert parsed.records == [
        ItemRecord(J, "电阻的单位是欧姆。", True, Location(name, paragraph=3), number="1", score=1),
        ItemRecord(
            J, "电流的单位是伏特。", False, Location(name, paragraph=4), number="2", score=1
        ),
        ItemRecord(
            S, "电阻的单位是（ ）。", "B", Location(name, paragraph=6), FOUR, number="3", score=1
        ),
        ItemRecord(S, "（ ）是电压的单位。", "A", Location(name, paragraph=8), FOUR, "4", score=1),
        ItemRecord(
            M,
            "下列材料中属于导体的有（ ）。",
            "AC",
            Location(name, paragraph=11),
            {"A": "铜", "B": "橡胶", "C": "铝", "D": "玻璃"},
            number="5",
            score=2,
        ),
    ]


ITEM_LINES = {
    J: ["1．（ √ ）电阻的单位是欧姆。"],
    S: ["1．电阻的单位是（ B ）。", "A．伏特　B．欧姆"],
    M: ["1．属于导体的有（ AB ）。", "A．铜　B．铝　C．橡胶"],
}


@pytest.mark.parametrize(
    ("heading", "item_type"),
    [
        ("一、判断题（第1题～第20题。每题1分，满分20分。）", J),
        ("判断题", J),
        ("一、判断题：正确的填“√”，错误的填“×”。", J),
        ("一、判断题 正确的打√", J),
        ("第一部分 判断题", J),
        ("（一）单选题", S),
        ("二. 单项选择题：", S),
        ("二．单项选择题（选择一个正确的答案，将相应的字母填入题内的括号中）", S),
        (("单项选择题", "Heading 1"), S),
        ("多选题", M),
        (("三、多项选择题", "Heading 2"), M),
        ("四、不定项选择题", M),
        ("三、多选题共10题", M),
        ("一、单选20题", S),
        ("Ⅲ．多项选择题", M),
    ],
)
def test_section_heading_variants(tmp_path: Path, heading: Para, item_type: ItemType) -> None:
    record = only(read(tmp_path, ["某工种理论知识题库", heading, *ITEM_LINES[item_type]]))
    assert record.type is item_type
    assert record.location.paragraph == 3


@pytest.mark.parametrize(
    "prefix", ["1．", "1、", "1.", "1 .", "1 、", "１．", "１、", "（1）", "(1)", "（ １ ）"]
)
def test_item_number_variants(tmp_path: Path, prefix: str) -> None:
    record = only(read(tmp_path, ["判断题", f"{prefix}（ √ ）电阻的单位是欧姆。"]))
    assert (record.number, record.stem, record.answer) == ("1", "电阻的单位是欧姆。", True)


@pytest.mark.parametrize(
    "option_lines",
    [
        ["A．伏特　B．欧姆　C．安培　D．瓦特"],
        ["A.伏特 B.欧姆 C.安培 D.瓦特"],
        ["A、伏特  B、欧姆  C、安培  D、瓦特"],
        ["A:伏特\tB:欧姆\tC:安培\tD:瓦特"],
        ["Ａ．伏特　　Ｂ．欧姆　　Ｃ．安培　　Ｄ．瓦特"],
        ["A．伏特", "B．欧姆", "C．安培", "D．瓦特"],
        ["A．伏特　　　　B．欧姆", "C．安培　　　　D．瓦特"],
        ["A．伏特\nB．欧姆\nC．安培\nD．瓦特"],
        ["A. 伏特", "B. 欧姆  C. 安培", "D. 瓦特"],
    ],
)
def test_option_layouts(tmp_path: Path, option_lines: list[str]) -> None:
    record = only(read(tmp_path, ["单选题", "1．电阻的单位是（ B ）。", *option_lines]))
    assert record.options == FOUR
    assert (record.stem, record.answer) == ("电阻的单位是（ ）。", "B")


def test_options_on_the_stem_line(tmp_path: Path) -> None:
    record = only(
        read(tmp_path, ["单选题", "1．电阻的单位是（ B ）。A．伏特 B．欧姆 C．安培 D．瓦特"])
    )
    assert record.options == FOUR
    assert record.stem == "电阻的单位是（ ）。"


def test_eight_options(tmp_path: Path) -> None:
    letters = "ABCDEFGH"
    line = "　".join(f"{c}．选项{c}" for c in letters)
    record = only(read(tmp_path, ["多选题", "1．下列正确的是（ ACEH ）。", line]))
    assert record.options == {c: f"选项{c}" for c in letters}
    assert record.answer == "ACEH"


def test_latin_capitals_in_stems_and_options(tmp_path: Path) -> None:
    parsed = read(
        tmp_path,
        [
            "单项选择题",
            "1．PLC 的输出端 A相 与 B相 之间，U=IR 中 I 表示（ C ）。",
            "A．电阻",
            "B．电压",
            "C．电流",
            "D．功率",
            "2．当电流为 5 A、电压为 10 V 时，电阻为（ B ）。",
            "A．0.5 Ω　B．2 Ω　C．5 Ω　D．50 Ω",
            "3．三相电源中，",
            "A相 与 B相 电压的相位差为（ B ）。",
            "A．60°　B．120°　C．180°　D．240°",
            "4．额定电流最大的是（ D ）。",
            "A．10 A　B．20 A　C．30 A　D．40 A",
        ],
    )
    assert parsed.problems == []
    stems = [r.stem for r in parsed.records]
    assert stems == [
        "PLC 的输出端 A相 与 B相 之间，U=IR 中 I 表示（ ）。",
        "当电流为 5 A、电压为 10 V 时，电阻为（ ）。",
        "三相电源中，A相 与 B相 电压的相位差为（ ）。",
        "额定电流最大的是（ ）。",
    ]
    assert parsed.records[1].options == {"A": "0.5 Ω", "B": "2 Ω", "C": "5 Ω", "D": "50 Ω"}
    assert parsed.records[3].options == {"A": "10 A", "B": "20 A", "C": "30 A", "D": "40 A"}


@pytest.mark.parametrize(
    ("heading", "lines", "stem", "answer"),
    [
        ("判断题", ["1．（ √ ）电阻的单位是欧姆。"], "电阻的单位是欧姆。", True),
        # a judgement stem keeps no answer bracket wherever it stood (normalize_stem), so the
        # same item gives one stem from every layout
        ("判断题", ["1．电阻的单位是欧姆。（ √ ）"], "电阻的单位是欧姆。", True),
        ("判断题", ["1．电阻的单位（×）是伏特。"], "电阻的单位是伏特。", False),
        ("判断题", ["1．（✓）电阻的单位是欧姆。"], "电阻的单位是欧姆。", True),
        ("判断题", ["1．（ ✗ ）电流的单位是欧姆。"], "电流的单位是欧姆。", False),
        ("判断题", ["1．(对)电阻的单位是欧姆。"], "电阻的单位是欧姆。", True),
        ("判断题", ["1．（错）电流的单位是欧姆。"], "电流的单位是欧姆。", False),
        ("判断题", ["（×）1．电流的单位是欧姆。"], "电流的单位是欧姆。", False),
        ("判断题", ["1．电流的单位是欧姆。", "答案：错误"], "电流的单位是欧姆。", False),
        (
            "判断题",
            ["1．（单相）电路的电流单位是安培。", "答案：√"],
            "（单相）电路的电流单位是安培。",
            True,
        ),
        ("单选题", ["1．电阻的单位是（ B ）。", "A．伏特 B．欧姆"], "电阻的单位是（ ）。", "B"),
        ("单选题", ["1．（ B ）是电阻的单位。", "A．伏特 B．欧姆"], "（ ）是电阻的单位。", "B"),
        ("单选题", ["1．电阻的单位是(B)", "A．伏特 B．欧姆"], "电阻的单位是（ ）", "B"),
        (
            "单选题",
            ["1．（单相）电路中电阻的单位是（ B ）。", "A．伏特 B．欧姆"],
            "（单相）电路中电阻的单位是（ ）。",
            "B",
        ),
        (
            "单选题",
            ["1．电阻的单位是（ ）。", "A．伏特 B．欧姆", "答案：B"],
            "电阻的单位是（ ）。",
            "B",
        ),
        (
            "单选题",
            ["1．电阻的单位是（ ）。", "A．伏特 B．欧姆", "【答案】B"],
            "电阻的单位是（ ）。",
            "B",
        ),
        (
            "单选题",
            ["1．电阻的单位是（ ）。", "A．伏特 B．欧姆", "正确答案：B"],
            "电阻的单位是（ ）。",
            "B",
        ),
        ("单选题", ["1．电阻的单位是", "A．伏特 B．欧姆", "参考答案: B"], "电阻的单位是", "B"),
        (
            "单选题",
            ["1．电阻的单位是（ ）。", "A．伏特 B．欧姆", "【答案】", "B"],
            "电阻的单位是（ ）。",
            "B",
        ),
        (
            "单选题",
            ["1．电阻的单位是（ ）。【答案】B", "A．伏特　B．欧姆"],
            "电阻的单位是（ ）。",
            "B",
        ),
        (
            "单选题",
            ["1．电阻的单位是（ ）。", "A．伏特　B．欧姆　　答案：B"],
            "电阻的单位是（ ）。",
            "B",
        ),
        (
            "单选题",
            ["1．电阻的单位是（ B ）。", "A．伏特 B．欧姆", "答案：B"],
            "电阻的单位是（ ）。",
            "B",
        ),
        ("多选题", ["1．属于导体的有( A,C )", "A．铜 B．橡胶 C．铝"], "属于导体的有（ ）", "AC"),
        (
            "多选题",
            ["1．属于导体的有（ ）。", "A．铜 B．橡胶 C．铝", "答案：A、C"],
            "属于导体的有（ ）。",
            "AC",
        ),
    ],
)
def test_answer_positions(
    tmp_path: Path, heading: str, lines: list[str], stem: str, answer: str | bool
) -> None:
    record = only(read(tmp_path, [heading, *lines]))
    assert (record.stem, record.answer) == (stem, answer)


def test_per_item_lines(tmp_path: Path) -> None:
    parsed = read(
        tmp_path,
        [
            "二、单项选择题（每题1分）",
            "1．电阻的单位是（ B ）。",
            "A．伏特　B．欧姆　C．安培　D．瓦特",
            "解析：欧姆是电阻的单位，",
            "伏特是电压的单位。",
            "难度：较难",
            "鉴定点：B-A-C-012",
            "分数：2",
            "2．电压的单位是（ ）。",
            "A．伏特　B．欧姆",
            "【答案】A",
            "【解析】伏特是电压的单位。",
            "难度：3",
            "知识点：基本要求 / 电工基础 / 电压",
            "重要程度：X",
            "出处：《电工基础》",
            "3．电流的单位是（ C ）。",
            "A．伏特　B．欧姆　C．安培",
            "难度：中等　　鉴定点：BAC013",
            "4．功率的单位是（ D ）。",
            "A．伏特　B．欧姆　C．安培　D．瓦特",
            "鉴定点：bac014 电功率",
        ],
    )
    assert parsed.problems == []
    first, second, third, fourth = parsed.records
    assert first.explanation == "欧姆是电阻的单位，伏特是电压的单位。"
    assert (first.difficulty, first.knowledge_code, first.score) == (0.7, "B-A-C-012", 2)
    assert (second.answer, second.explanation, second.difficulty) == (
        "A",
        "伏特是电压的单位。",
        0.5,
    )
    assert second.knowledge_path == ("基本要求", "电工基础", "电压")
    assert (second.importance, second.source, second.score) == (Importance.X, "《电工基础》", 1)
    assert (third.difficulty, third.knowledge_code) == (0.5, "B-A-C-013")
    assert (fourth.knowledge_code, fourth.knowledge_path) == ("B-A-C-014", ("电功率",))


def test_stem_over_several_paragraphs_and_line_breaks(tmp_path: Path) -> None:
    parsed = read(
        tmp_path,
        [
            "单项选择题",
            "1．如图所示电路中，",
            "R1=10Ω，R2=20Ω，",
            "则串联总电阻为（ C ）Ω。",
            "A．10　B．20　C．30　D．40",
            "2．某电路的电压为 220\nV，电流为 2 A，则功率为（ D ）。",
            "A．110 W　B．220 W　C．222 W　D．440 W",
        ],
    )
    assert parsed.problems == []
    # the lines join as if typed on one line (no space between Chinese parts)
    assert [r.stem for r in parsed.records] == [
        clean_text("如图所示电路中，R1=10Ω，R2=20Ω，则串联总电阻为（ ）Ω。"),
        "某电路的电压为 220 V，电流为 2 A，则功率为（ ）。",
    ]
    assert [r.location.paragraph for r in parsed.records] == [2, 6]


def _add_letter_numbering(document: docx.document.Document) -> int:
    """A Word list with capital-letter numbering, as an editor makes for options."""
    numbering = document.part.numbering_part.element
    numbering.insert(
        0,
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90"><w:lvl w:ilvl="0">'
            '<w:start w:val="1"/><w:numFmt w:val="upperLetter"/><w:lvlText w:val="%1."/>'
            "</w:lvl></w:abstractNum>"
        ),
    )
    numbering.append(
        parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>')
    )
    return 90


def test_word_automatic_numbering(tmp_path: Path) -> None:
    document = docx.Document()
    num_id = _add_letter_numbering(document)
    document.add_paragraph("一、判断题")
    document.add_paragraph("（ √ ）电阻的单位是欧姆。", style="List Number")
    document.add_paragraph("（ × ）电流的单位是伏特。", style="List Number")
    document.add_paragraph("二、单项选择题")
    for stem in ("电阻的单位是（ B ）。", "电压的单位是（ A ）。"):
        document.add_paragraph(stem, style="List Number")
        for text in FOUR.values():
            num_pr = document.add_paragraph(text)._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_numId().val = num_id
            num_pr.get_or_add_ilvl().val = 0
    path = tmp_path / "auto.docx"
    document.save(str(path))
    parsed = read_items_docx(path)
    assert parsed.problems == []
    assert [(r.number, r.type, r.answer) for r in parsed.records] == [
        ("1", J, True),
        ("2", J, False),
        ("3", S, "B"),
        ("4", S, "A"),
    ]
    assert all(r.options == FOUR for r in parsed.records[2:])


def test_title_and_section_instructions_are_ignored(tmp_path: Path) -> None:
    parsed = read(
        tmp_path,
        [
            ("职业技能等级认定理论知识试卷", "Title"),
            "电工（四级）",
            "一、判断题",
            "（第1题～第2题。将判断结果填入括号中。正确的填“√”，错误的填“×”。）",
            "1．（ √ ）电阻的单位是欧姆。",
        ],
    )
    assert parsed.problems == []
    assert len(parsed.records) == 1


def test_national_paper_front_matter(tmp_path: Path) -> None:
    document = docx.Document()
    for text in ("职业技能鉴定国家题库", "维修电工中级理论知识试卷"):
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in (
        "注  意  事  项",
        "1、本试卷依据2001年颁布的《维修电工》国家职业标准命制，考试时间：120分钟。",
        "2、请在试卷标封处填写姓名、准考证号和所在单位的名称。",
        "一、单项选择题（第1题～第1题。选择一个正确的答案，将相应的字母填入题内的括号中。"
        "每题0.5分，满分0.5分。）",
        "1．在商业活动中，不符合待人热情要求的是（ A ）。",
        "A、严肃待客，表情冷漠\tB、主动服务，细致周到",
        "C、微笑大方，不厌其烦\tD、亲切友好，宾至如归",
        "二、判断题（第2题～第2题。将判断结果填入括号中。正确的填“√”，错误的填“×”。"
        "每题0.5分，满分0.5分。）",
        "2．（ √ ）职业道德不倡导人们的牟利最大化观念。",
    ):
        document.add_paragraph(text)
    path = tmp_path / "national.docx"
    document.save(str(path))
    parsed = read_items_docx(path)
    assert parsed.problems == []
    single, judgement = parsed.records
    assert (single.answer, single.score, single.location.paragraph) == ("A", 0.5, 7)
    assert single.options["B"] == "主动服务，细致周到"
    assert (judgement.stem, judgement.answer) == ("职业道德不倡导人们的牟利最大化观念。", True)


def test_chapter_headings_close_sections(tmp_path: Path) -> None:
    parsed = read(
        tmp_path,
        [
            "第一章 电工基础",
            "一、判断题",
            "1．（ √ ）电阻的单位是欧姆。",
            "第二章 电子技术",
            "2．（ √ ）二极管具有单向导电性。",
            "一、判断题",
            "1．（ √ ）二极管具有单向导电性。",
        ],
    )
    assert problems(parsed) == {(5, "paragraph", "problem.outside_section")}
    assert [r.location.paragraph for r in parsed.records] == [3, 7]


# --- problems ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        pytest.param(["判断题", "1．（ √ ）"], {(2, "stem", "problem.missing")}, id="missing-stem"),
        pytest.param(
            ["单选题", "1．电阻的单位是（ ）。", "A．伏特 B．欧姆"],
            {(2, "answer", "problem.missing")},
            id="missing-answer",
        ),
        pytest.param(
            ["单选题", "1．电阻的单位是（ E ）。", "A．伏特 B．欧姆 C．安培 D．瓦特"],
            {(2, "answer", "problem.answer_not_in_options")},
            id="answer-not-in-options",
        ),
        pytest.param(
            ["单选题", "1．电阻的单位是（ AB ）。", "A．伏特 B．欧姆"],
            {(2, "answer", "problem.single_several_answers")},
            id="single-several-answers",
        ),
        pytest.param(
            ["多选题", "1．导体有（ A ）。", "A．铜 B．橡胶"],
            {(2, "answer", "problem.multiple_one_answer")},
            id="multiple-one-answer",
        ),
        pytest.param(
            ["判断题", "1．电阻的单位是欧姆。", "答案：B"],
            {(2, "answer", "problem.judgement_answer")},
            id="judgement-answer",
        ),
        pytest.param(
            ["判断题", "1．（ √ ）电阻的单位是欧姆。", "A．对 B．错"],
            {(2, "options", "problem.judgement_has_options")},
            id="judgement-with-options",
        ),
        pytest.param(
            ["单选题", "1．电阻的单位是（ A ）。", "A．欧姆"],
            {(2, "options", "problem.too_few_options")},
            id="too-few-options",
        ),
        pytest.param(
            ["单选题", "1．电阻的单位是（ A ）。", "A．欧姆 B．伏特 D．安培"],
            {(2, "options", "problem.option_gap")},
            id="option-gap",
        ),
        pytest.param(
            [
                "试卷",
                "一、判断题",
                "1．（ √ ）对。",
                "二、填空题（每题2分）",
                "2．电阻的单位是____。",
            ],
            {(4, "type", "problem.unknown_type")},
            id="unknown-section-type",
        ),
        pytest.param(
            ["简答题", "1．简述欧姆定律。"],
            {(1, "type", "problem.unknown_type")},
            id="unknown-unnumbered-section",
        ),
        pytest.param(
            ["判断题", "1．（ √ ）甲是对的。", "2．（ × ）乙是错的。", "2．（ × ）丙是错的。"],
            {(4, "number", "problem.duplicate_number")},
            id="duplicate-number",
        ),
        pytest.param(
            ["试卷", "考试时间：90分钟", "判断题", "1．（ √ ）甲是对的。"],
            {(2, "paragraph", "problem.outside_section")},
            id="text-outside-section",
        ),
        pytest.param(
            ["1．（ √ ）甲是对的。", "判断题", "2．（ √ ）乙是对的。"],
            {(1, "paragraph", "problem.outside_section")},
            id="item-outside-section",
        ),
        pytest.param(
            ["单选题", "1．电阻的单位是（ B ）。", "A．伏特 B．欧姆", "答案：A"],
            {(2, "answer", "problem.answer_conflict")},
            id="answer-conflict",
        ),
        pytest.param(
            ["单选题", "1．电阻的单位是（ B ）。", "A．伏特 B．欧姆", "这一段不属于任何部分"],
            {(4, "paragraph", "problem.unrecognised_paragraph")},
            id="unrecognised-after-options",
        ),
        pytest.param(
            ["判断题", "1．（ √ ）电阻的单位是欧姆。", "难度：很难很难"],
            {(2, "difficulty", "problem.bad_difficulty")},
            id="bad-difficulty",
        ),
        pytest.param(
            ["判断题", "1．（ √ ）电阻的单位是欧姆。", "鉴定点：B-A-C-0123X"],
            {(2, "knowledge_point", "problem.bad_knowledge_code")},
            id="bad-knowledge-code",
        ),
        pytest.param(
            ["判断题", "1．（ √ ）电阻的单位是欧姆。", "分数：一分"],
            {(2, "score", "problem.bad_number")},
            id="bad-score",
        ),
        pytest.param([], {(None, "file", "problem.no_items")}, id="empty-document"),
        pytest.param(
            ["电工理论知识试卷", "一、判断题"], {(None, "file", "problem.no_items")}, id="no-items"
        ),
    ],
)
def test_problems(
    tmp_path: Path, paragraphs: list[str], expected: set[tuple[int | None, str, str]]
) -> None:
    parsed = read(tmp_path, paragraphs)
    assert problems(parsed) == expected
    for problem in parsed.problems:
        assert problem.location.file == "bank.docx"
        assert str(problem)  # renders in the catalogue's language


def test_all_problems_reported_and_good_items_kept(tmp_path: Path) -> None:
    parsed = read(
        tmp_path,
        [
            "单选题",
            "1．电阻的单位是（ ）。",
            "A．伏特 B．欧姆",
            "2．电压的单位是（ A ）。",
            "A．伏特 B．欧姆",
            "3．电流的单位是（ F ）。",
            "A．伏特 B．欧姆 C．安培",
            "判断题",
            "1．（ B ）电阻的单位是欧姆。",
        ],
    )
    assert problems(parsed) == {
        (2, "answer", "problem.missing"),
        (6, "answer", "problem.answer_not_in_options"),
        (9, "answer", "problem.missing"),
    }
    assert [r.number for r in parsed.records] == ["2"]


def _truncated(path: Path) -> None:
    make_docx(path, ["判断题", "1．（ √ ）甲是对的。"])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _without_document_xml(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")


def _wrong_root(path: Path) -> None:
    make_docx(path, ["判断题", "1．（ √ ）甲是对的。"])
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["word/document.xml"] = b'<?xml version="1.0"?><a/>'
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0 old .doc"), id="binary-doc"),
        pytest.param(lambda p: p.write_text("一、判断题\n1．甲", encoding="utf-8"), id="text"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty-file"),
        pytest.param(_truncated, id="truncated"),
        pytest.param(_without_document_xml, id="no-document-part"),
        pytest.param(_wrong_root, id="wrong-xml-root"),
        pytest.param(lambda p: p.mkdir(), id="directory"),
        pytest.param(lambda p: None, id="missing"),
    ],
)
def test_unreadable_file(tmp_path: Path, spoil) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "题库.docx"
    spoil(path)
    parsed = read_items_docx(path, display_name="上传的题库.docx")
    assert parsed.records == []
    assert problems(parsed) == {(None, "file", "problem.unreadable_file")}
    assert parsed.problems[0].location.file == "上传的题库.docx"
    assert str(parsed.problems[0])


def test_location_uses_display_name(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "tmp123.docx", ["判断题", "1．（ √ ）甲是对的。"])
    record = only(read_items_docx(path, display_name="电工题库.docx"))
    assert record.location == Location("电工题库.docx", paragraph=2)


def test_helpers_on_their_own() -> None:
    assert take_stem_answer("电阻的单位是（ B ）。", S) == ("电阻的单位是（ ）。", "B")
    assert take_stem_answer("（ √ ）电阻的单位是欧姆。", J) == ("电阻的单位是欧姆。", "√")
    assert take_stem_answer("（单相）电路", S) == ("（单相）电路", None)
    assert split_option_line("A．电阻　B．电容　C．电感　D．电抗") == [
        ("A", "电阻"),
        ("B", "电容"),
        ("C", "电感"),
        ("D", "电抗"),
    ]
    assert split_option_line("A相电压") is None
    assert split_option_line("B．电容", after="A") == [("B", "电容")]
    assert split_option_line("B．电容") is None
    assert split_option_line("A．U=IR 中的 A 相　B．PLC") == [("A", "U=IR 中的 A 相"), ("B", "PLC")]


# --- exporter and round trips --------------------------------------------------------------


def _record(item_type: ItemType, stem: str, answer: str, **fields: object) -> ItemRecord:
    raw = RawItem(Location("-"), item_type, stem, answer=answer, **fields)  # type: ignore[arg-type]
    record, found = build_item(raw)
    assert record is not None, found
    return record


def sample_records() -> list[ItemRecord]:
    long = {
        c: f"这是一个相当长的选项{c}，用来说明选项很长时每个选项单独占一行的排版方式"
        for c in "ABCD"
    }
    records = [
        _record(J, "电阻的单位是欧姆。", "√", score="1"),
        _record(J, "电流的单位是伏特。（ ）", "×", score="1", explanation="电流的单位是安培。"),
        _record(J, "PLC 的 A相 电压 U=IR。", "对", score="1", difficulty="0.65"),
        _record(S, "电阻的单位是（ ）。", "B", options=FOUR, knowledge_code="BAC012"),
        _record(S, "（ ）是电压的单位。", "A", options=FOUR, score="2", importance="Y"),
        _record(S, "下列哪个是电流的单位", "C", options=FOUR, explanation="安培是电流的单位。"),
        _record(
            S, "选择正确的说法（ ）。", "D", options=long, knowledge_path=["基本要求", "职业道德"]
        ),
        _record(
            S,
            "额定电流最大的是（ ）。",
            "D",
            options={"A": "10 A", "B": "20 A", "C": "30 A", "D": "40 A"},
            difficulty="0.9",
            discrimination="0.35",
            source="《电工基础》",
            author="张三",
            guid="JD-0001",
            knowledge_code="B-A-C-013",
            knowledge_path=["相关知识", "电工基础"],
        ),
        _record(
            M,
            "下列材料中属于导体的有（ ）。",
            "ACE",
            options={"A": "铜", "B": "橡胶", "C": "铝", "D": "玻璃", "E": "石墨"},
            score="2",
        ),
        _record(
            M,
            "属于电工仪表的有（ ）（多选）。",
            "AB",
            options={"A": "电压表", "B": "电流表", "C": "扳手"},
            score="2",
        ),
    ]
    return [dataclasses.replace(r, number=str(i)) for i, r in enumerate(records, start=1)]


@pytest.mark.parametrize("answers", ["inline", "line"])
@pytest.mark.parametrize("per_line", [None, 1, 2, 4])
def test_round_trip(tmp_path: Path, answers, per_line: int | None) -> None:  # type: ignore[no-untyped-def]
    records = sample_records()
    path = tmp_path / "out.docx"
    write_items_docx(
        records, path, title="电工（四级）理论知识题库", answers=answers, options_per_line=per_line
    )
    parsed = read_items_docx(path)
    assert parsed.problems == []
    assert [content(r) for r in parsed.records] == [content(r) for r in records]


def test_round_trip_numbering_per_section(tmp_path: Path) -> None:
    path = tmp_path / "out.docx"
    write_items_docx(sample_records(), path, numbering="section")
    parsed = read_items_docx(path)
    assert parsed.problems == []
    assert [r.number for r in parsed.records] == ["1", "2", "3", "1", "2", "3", "4", "5", "1", "2"]


def test_round_trip_keeps_own_numbers(tmp_path: Path) -> None:
    records = [dataclasses.replace(r, number=str(100 + i)) for i, r in enumerate(sample_records())]
    path = tmp_path / "out.docx"
    write_items_docx(records, path, numbering="keep")
    parsed = read_items_docx(path)
    assert parsed.problems == []
    assert [content(r) for r in parsed.records] == [content(r) for r in records]


def test_exporter_layout(tmp_path: Path) -> None:
    path = tmp_path / "out.docx"
    write_items_docx(sample_records(), path, title="电工题库")
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "电工题库"
    assert texts[1] == "一、判断题（第1题～第3题。每题1分，满分3分。）"
    assert texts[2] == "1．（ √ ）电阻的单位是欧姆。"
    assert "4．电阻的单位是（ B ）。" in texts
    assert "A．伏特\u3000\u3000B．欧姆\u3000\u3000C．安培\u3000\u3000D．瓦特" in texts
    # a choice stem without an empty bracket keeps its answer on a line of its own
    at = texts.index("6．下列哪个是电流的单位")
    assert texts[at + 2] == "答案：C"
    # long options get a line each
    at = texts.index("7．选择正确的说法（ D ）。")
    assert [t[:2] for t in texts[at + 1 : at + 5]] == ["A．", "B．", "C．", "D．"]
    assert "三、多项选择题（第9题～第10题。每题2分，满分4分。）" in texts
    # fonts: 宋体 for Chinese text in the body, 黑体 in headings
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "宋体"
    assert normal.get(qn("w:eastAsiaTheme")) is None
    heading_run = document.paragraphs[1].runs[0]
    assert heading_run.bold
    assert heading_run._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"


def test_exporter_without_answers(tmp_path: Path) -> None:
    path = tmp_path / "paper.docx"
    write_items_docx(sample_records(), path, answers="none")
    texts = [p.text for p in docx.Document(str(path)).paragraphs]
    assert texts[1] == "1．（\u3000\u3000）电阻的单位是欧姆。"
    assert not [t for t in texts if t.startswith(("答案", "解析", "难度", "鉴定点", "试题编号"))]
    assert "√" not in "".join(texts)
    assert "4．电阻的单位是（ ）。" in texts
    parsed = read_items_docx(path)
    assert {p.key for p in parsed.problems} == {"problem.missing"}


def test_exporter_rejects_unknown_mode(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="answers"):
        write_items_docx([], tmp_path / "x.docx", answers="bold")  # type: ignore[arg-type]


# --- property tests ------------------------------------------------------------------------

_CJK = "电阻压流的单位是欧姆伏特安培功率导体绝缘材料三相交变器线路开关保护接地安全操作规程"
_TEXT = st.text(
    alphabet=_CJK + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789=+-% ，。；", min_size=1, max_size=24
).filter(lambda text: text.strip())  # a blank option or stem is no item at all


@st.composite
def item_records(draw: st.DrawFn) -> ItemRecord:
    item_type = draw(st.sampled_from([J, S, M]))
    stem = draw(_TEXT)
    place = draw(st.sampled_from(["", "start", "middle", "end"]))
    if place == "start":
        stem = "（ ）" + stem
    elif place == "end":
        stem += "（ ）"
    elif place == "middle":
        cut = draw(st.integers(0, len(stem)))
        stem = stem[:cut] + "（ ）" + stem[cut:]
    options: dict[str, str] = {}
    if item_type is J:
        answer = draw(st.sampled_from(["√", "×"]))
    else:
        count = draw(st.integers(2, 8))
        letters = "ABCDEFGH"[:count]
        options = {c: draw(_TEXT) for c in letters}
        size = 1 if item_type is S else draw(st.integers(2, count))
        answer = "".join(draw(st.permutations(letters))[:size])
    maybe = st.none() | _TEXT
    record, found = build_item(
        RawItem(
            Location("-"),
            item_type,
            stem,
            options=options,
            answer=answer,
            explanation=draw(maybe),
            difficulty=draw(st.none() | st.sampled_from(["0.1", "0.35", "0.5", "0.65", "1"])),
            knowledge_code=draw(st.none() | st.sampled_from(["B-A-C-012", "A-B-001", "BAD007"])),
            knowledge_path=draw(
                st.lists(st.text(alphabet=_CJK, min_size=1, max_size=6), max_size=3)
            ),
            importance=draw(st.none() | st.sampled_from("XYZ")),
            score=draw(st.none() | st.sampled_from(["1", "2", "0.5"])),
            source=draw(maybe),
            author=draw(maybe),
        )
    )
    assert record is not None, found
    return record


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(item_records(), min_size=1, max_size=8),
    answers=st.sampled_from(["inline", "line"]),
    per_line=st.none() | st.integers(1, 4),
)
def test_round_trip_property(tmp_path: Path, records: list[ItemRecord], answers, per_line) -> None:  # type: ignore[no-untyped-def]
    order = {J: 0, S: 1, M: 2}
    expected = sorted(records, key=lambda r: order[r.type])
    expected = [dataclasses.replace(r, number=str(i)) for i, r in enumerate(expected, start=1)]
    path = tmp_path / "prop.docx"
    write_items_docx(records, path, answers=answers, options_per_line=per_line)
    parsed = read_items_docx(path)
    assert parsed.problems == []
    assert [content(r) for r in parsed.records] == [content(r) for r in expected]


@pytest.mark.parametrize(
    "stems",
    [
        ["0", "0", "0", "0", "A0A"],  # `5．A0A` once read as answers for items 5 and 0
        ["A2B", "x"],  # `1．A2B`: the first item, not answers for 1 and 2
        ["a", "b", "c", "d", "A 6.B"],  # after item 4, `5．A 6.B` is item 5
    ],
)
def test_an_item_whose_stem_reads_like_answers_stays_an_item(
    tmp_path: Path, stems: list[str]
) -> None:
    records = [ItemRecord(J, stem, True, Location("-")) for stem in stems]
    path = tmp_path / "stems.docx"
    write_items_docx(records, path, answers="line")
    parsed = read_items_docx(path)
    assert parsed.problems == []
    assert [(r.number, r.stem) for r in parsed.records] == [
        (str(n), stem) for n, stem in enumerate(stems, start=1)
    ]


def test_an_answer_line_after_the_items_is_still_their_key(tmp_path: Path) -> None:
    path = tmp_path / "key.docx"
    document = docx.Document()
    for text in ("一、判断题", "1．电流单位是安培。", "2．电压单位是欧姆。", "3．1 kW 是 1000 W。"):
        document.add_paragraph(text)
    document.add_paragraph("1．√ 2．× 3．√")
    document.save(str(path))
    parsed = read_items_docx(path)
    assert parsed.problems == []
    assert [r.answer for r in parsed.records] == [True, False, True]


_XML_SAFE = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
_FRAGMENTS = [
    "一、判断题",
    "二、单项选择题",
    "三、多项选择题（每题2分）",
    "四、填空题",
    "判断题",
    "多选",
    "第一章 概述",
    "1．",
    "2、",
    "（3）",
    "１．",
    "1.5",
    "A．",
    "B、",
    "C.",
    "D:",
    "E．",
    "H．",
    "A相",
    "U=IR",
    "PLC",
    "（ √ ）",
    "（×）",
    "( AC )",
    "（ B ）",
    "（单相）",
    "（",
    "）",
    "(",
    ")",
    "答案：",
    "【答案】",
    "解析：",
    "【解析】",
    "难度：",
    "鉴定点：",
    "知识点：",
    "分数：",
    "重要程度：",
    "BAC012",
    "B-A-C-012",
    "√",
    "×",
    "对",
    "\n",
    "\t",
    "　",
    " ",
    "电阻",
    "每题1分",
    "中等",
]
_PARAGRAPH = st.lists(
    st.sampled_from(_FRAGMENTS) | st.text(alphabet=_XML_SAFE, max_size=6), max_size=8
).map("".join)
_STYLE = st.sampled_from([None, None, None, "Heading 1", "Title", "List Number"])


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_PARAGRAPH, _STYLE), max_size=25))
def test_malformed_paragraphs_never_raise(
    tmp_path: Path, paragraphs: list[tuple[str, str | None]]
) -> None:
    document = docx.Document()
    for text, style in paragraphs:
        document.add_paragraph(text, style=style)
    path = tmp_path / "random.docx"
    document.save(str(path))
    parsed = read_items_docx(path)
    assert parsed.records or parsed.problems
    for problem in parsed.problems:
        assert problem.key in CATALOGUE
        assert f"field.{problem.field}" in CATALOGUE
        assert str(problem)
        assert problem.location.paragraph is None or 1 <= problem.location.paragraph <= len(
            paragraphs
        )
    for record in parsed.records:
        assert record.stem
        assert 1 <= (record.location.paragraph or 0) <= len(paragraphs)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400), st.booleans())
def test_random_bytes_never_raise(tmp_path: Path, data: bytes, zipped: bool) -> None:
    path = tmp_path / "random.docx"
    if zipped:  # a real package whose document part is random bytes
        make_docx(path, ["判断题"])
        with zipfile.ZipFile(path) as source:
            parts = {info.filename: source.read(info) for info in source.infolist()}
        parts["word/document.xml"] = data
        with zipfile.ZipFile(path, "w") as archive:
            for name, part in parts.items():
                archive.writestr(name, part)
    else:
        path.write_bytes(data)
    parsed = read_items_docx(path)
    assert parsed.problems
    assert all(str(p) for p in parsed.problems)


# --- scale ---------------------------------------------------------------------------------


def test_six_hundred_items_round_trip(tmp_path: Path) -> None:
    """Timing is benchmarks/docx_import.py's to measure, not a test's to assert."""
    records = []
    for i in range(600):
        item_type = (J, S, S, M)[i % 4]
        if item_type is J:
            records.append(
                _record(J, f"第{i}条关于安全操作规程的说法是正确的。", "√", difficulty="0.5")
            )
        else:
            options = {c: f"选项{c}{i}" for c in "ABCD"}
            answer = "B" if item_type is S else "AC"
            records.append(
                _record(
                    item_type,
                    f"第{i}题关于电工基础的说法正确的是（ ）。",
                    answer,
                    options=options,
                    explanation="略。",
                    knowledge_code="BAC012",
                )
            )
    path = tmp_path / "big.docx"
    write_items_docx(records, path)
    parsed = read_items_docx(path)
    assert parsed.problems == []
    expected = sorted(records, key=lambda r: {J: 0, S: 1, M: 2}[r.type])
    assert [content(r) for r in parsed.records] == [
        dataclasses.replace(r, number=str(i)) for i, r in enumerate(expected, start=1)
    ]


# --- long banks: numbers of any width, items continued over many paragraphs -----------------


def long_docx(path: Path, texts: Sequence[str]) -> Path:
    """A real .docx with one plain paragraph per text, written straight into
    word/document.xml: python-docx's add_paragraph would take most of a test's time."""
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>' for text in texts
    )
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<w:document {nsdecls('w')}><w:body>{body}<w:sectPr/></w:body></w:document>"
    )
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(
                info, document.encode() if info.filename == "word/document.xml" else data
            )
    return path


def test_item_ten_thousand_follows_item_9999(tmp_path: Path) -> None:
    lines = ["判断题"]
    for number in range(1, 10_002):
        mark = "×" if number == 10_000 else "√"
        lines.append(f"{number}．（ {mark} ）第{number}条说法。")
    parsed = read_items_docx(long_docx(tmp_path / "long.docx", lines))
    assert parsed.problems == []
    assert len(parsed.records) == 10_001
    record = parsed.records[9_999]
    assert (record.number, record.stem, record.answer) == ("10000", "第10000条说法。", False)
    assert record.location.paragraph == 10_001
    assert parsed.records[9_998].stem == "第9999条说法。"


def test_five_and_six_digit_numbers(tmp_path: Path) -> None:
    parsed = read(
        tmp_path,
        [
            "一、判断题",
            "99998．（ √ ）甲是对的。",
            "99999．（ × ）乙是错的。",
            "100000．（ √ ）丙是对的。",
            "二、单项选择题",
            "（100001）电阻的单位是（ B ）。",
            "A．伏特 B．欧姆",
            "（100002）电压的单位是（ A ）。",
            "A．伏特 B．欧姆",
        ],
    )
    assert parsed.problems == []
    assert [(r.number, r.answer) for r in parsed.records] == [
        ("99998", True),
        ("99999", False),
        ("100000", True),
        ("100001", "B"),
        ("100002", "A"),
    ]


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        pytest.param(["1", "2", "4"], {(4, "number", "problem.number_out_of_sequence")}, id="gap"),
        pytest.param(
            ["1", "3", "2"],
            {
                (3, "number", "problem.number_out_of_sequence"),
                (4, "number", "problem.number_out_of_sequence"),
            },
            id="back",
        ),
        pytest.param(["7", "8", "9"], set(), id="a-section-may-start-anywhere"),
        pytest.param(["1", "2", "2"], {(4, "number", "problem.duplicate_number")}, id="repeat"),
    ],
)
def test_numbers_out_of_sequence_are_reported(
    tmp_path: Path, numbers: list[str], expected: set[tuple[int, str, str]]
) -> None:
    parsed = read(tmp_path, ["判断题", *(f"{n}．（ √ ）第{i}条。" for i, n in enumerate(numbers))])
    assert problems(parsed) == expected


def test_number_sequence_restarts_per_section(tmp_path: Path) -> None:
    parsed = read(
        tmp_path,
        ["判断题", "1．（ √ ）甲。", "2．（ √ ）乙。", "单选题", "1．丙（ A ）。", "A．x B．y"],
    )
    assert parsed.problems == []
    message = "题号 12 没有接在上一题 10 之后（应为 11）"
    parsed = read(tmp_path, ["判断题", "10．（ √ ）甲。", "12．（ √ ）乙。"])
    assert message in str(parsed.problems[0])


def test_item_continued_over_thousands_of_paragraphs(tmp_path: Path) -> None:
    stem = [f"R{i} 第{i}行 PLC{i}" for i in range(5_000)]
    explanation = [f"解析第{i}行 U{i}" for i in range(5_000)]
    lines = [
        "单选题",
        "1．电阻的单位是（ B ）。",
        *stem,
        "A．伏特 B．欧姆",
        "解析：开始",
        *explanation,
    ]
    record = only(read_items_docx(long_docx(tmp_path / "continued.docx", lines)))
    # a space only where two Latin words would meet
    assert record.stem == "电阻的单位是（ ）。" + " ".join(stem)
    assert record.explanation == "开始" + "".join(explanation)
    assert record.options == {"A": "伏特", "B": "欧姆"}


def test_paragraph_text_is_python_docx_text() -> None:
    """The importer reads paragraph text without python-docx's per-run XPath; same result."""
    w = nsdecls("w")
    runs = (
        "<w:r><w:t>甲</w:t><w:tab/><w:t xml:space='preserve'> 乙 </w:t><w:br/><w:t/></w:r>"
        "<w:r><w:br w:type='page'/><w:br w:type='column'/><w:br w:type='textWrapping'/>"
        "<w:cr/><w:noBreakHyphen/><w:ptab w:relativeTo='margin' w:alignment='left' "
        "w:leader='none'/><w:softHyphen/><w:t>丙</w:t><!-- a comment --></w:r>"
        "<w:hyperlink><w:r><w:t>链接</w:t></w:r><w:r><w:tab/></w:r></w:hyperlink>"
        "<w:bookmarkStart w:id='0' w:name='x'/><w:ins><w:r><w:t>插入</w:t></w:r></w:ins>"
        "<w:r><w:rPr><w:b/></w:rPr><w:t>丁</w:t></w:r>"
    )
    document = docx.Document()
    for xml in (f"<w:p {w}>{runs}</w:p>", f"<w:p {w}/>", f"<w:p {w}><w:pPr/></w:p>"):
        document.element.body.append(parse_xml(xml))
    for paragraph in document.paragraphs:
        assert _paragraph_text(paragraph._p) == paragraph.text
    assert document.paragraphs[0].text == "甲\t 乙 \n\n\n-\t丙链接\t丁"


def test_alignment_word_has_no_name_for(tmp_path: Path) -> None:
    document = docx.Document()
    title = document.add_paragraph("某工种理论知识题库")
    title._p.get_or_add_pPr().append(parse_xml(f'<w:jc {nsdecls("w")} w:val="start"/>'))
    for text in ("判断题", "1．（ √ ）甲是对的。"):
        document.add_paragraph(text)
    path = tmp_path / "start.docx"
    document.save(str(path))
    assert only(read_items_docx(path)).stem == "甲是对的。"
