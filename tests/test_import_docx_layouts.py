"""The same theory items written in every common layout import to the same versions.

A generator writes six items (two each of 判断/单选/多选, with Ⅱ, ℃, ～ and full-width
punctuation in a cell without Chinese) as real .docx files: every item-number style × every
answer placement, the option marker styles and options-per-line spread over the items so each
number style meets each marker, section headings in their variants; Word tables; and the
same items as .xlsx and .csv. Every file must give exactly the same version ids (SHA-256 of the
canonical content). Then the quirks found in real files, as named tests.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from openpyxl import Workbook

from formats import limits as reading_limits
from importers.dispatch import read_items
from importers.docx_items import read_answer_entries
from qbank.canonical import content_id
from qbank.items import item_content
from qbank.records import ItemRecord, ItemType, Parsed

J, S, M = ItemType.JUDGEMENT, ItemType.SINGLE, ItemType.MULTIPLE


@dataclass(frozen=True)
class Item:
    type: ItemType
    stem: str  # as typed; choice stems hold `（ ）` where the answer goes
    options: tuple[str, ...]
    answer: str  # letters, or √ / ×


ITEMS = (
    Item(J, "Ⅱ级负荷的供电要求低于Ⅰ级负荷。", (), "√"),
    Item(J, "低氢型焊条焊前不必烘干。", (), "×"),
    Item(S, "焊接电流的单位是（ ）。", ("伏特", "安培", "欧姆", "瓦特"), "B"),
    Item(S, "低氢型焊条使用前应在（ ）烘干。", ("350～400℃", "100～150℃", "75～150℃", "20℃"), "A"),
    Item(M, "下列属于焊接缺陷的有（ ）。", ("气孔", "坡口", "夹渣", "裂纹", "钝边"), "ACD"),
    Item(
        M,
        "下列焊条型号与牌号对应正确的有（ ）。",
        ("E4315（J427），", "E5015（J507）", "E4303(J422)", "φ3.2mm²"),
        "ABD",
    ),
)
SECTIONS = ((J, ITEMS[0:2]), (S, ITEMS[2:4]), (M, ITEMS[4:6]))

NUMBERS = ("{n}．", "{n}.", "{n}、", "（{n}）", "({n})", "{n})")
MARKERS = ("{L}．", "{L}.", "{L}、", "{L}:", "{L}：", "({L})", "（{L}）", "{L})")
PER_LINE = (99, 1, 2)  # options on one line, one per line, two per line
PLACEMENTS = ("after", "before", "line", "key-headed", "key-flat", "key-inline")
HEADINGS = {
    J: ("一、判断题", "判断题", "一、是非题（对的打√，错的打×）", "（一）判断题"),
    S: (
        "二、单项选择题",
        "单选题",
        "二、单项选择题（选择一个正确的答案，将相应的字母填入题内的括号中）",
        "（二）单选题",
    ),
    M: ("三、多项选择题", "多选题", "三、多项选择题", "（三）多项选择题"),
}
INSTRUCTION = "请将正确答案的代号填入括号中。"
JUDGEMENT_WORDS = (("√", "×"), ("对", "错"), ("正确", "错误"))
LETTER_STYLES = ("{}", "、".join, ",".join)


def answer_text(item: Item, style: int) -> str:
    if item.type is J:
        return JUDGEMENT_WORDS[style % 3][0 if item.answer == "√" else 1]
    letters = list(item.answer)
    return LETTER_STYLES[style % 3](letters) if style % 3 else item.answer


def option_lines(item: Item, marker: str, per_line: int) -> list[str]:
    marked = [marker.format(L=chr(65 + i)) + text for i, text in enumerate(item.options)]
    return ["　".join(marked[i : i + per_line]) for i in range(0, len(marked), per_line)]


def paragraphs(numbering: int, placement: str, variant: int) -> list[str]:
    """One bank as Word paragraphs: title, sections, items, maybe an answer key at the end."""
    lines = ["焊工（四级）理论知识试卷"]
    key: list[tuple[ItemType, list[tuple[int, str]]]] = []
    restart = variant % 2 == 1
    n = 0
    for s_index, (item_type, items) in enumerate(SECTIONS):
        lines.append(HEADINGS[item_type][variant % 4])
        if variant % 3 == 0:
            lines.append(INSTRUCTION)
        if restart:
            n = 0
        answers: list[tuple[int, str]] = []
        for i_index, item in enumerate(items):
            n += 1
            spread = numbering * 6 + PLACEMENTS.index(placement) + s_index * 2 + i_index
            number = NUMBERS[numbering].format(n=n)
            answer = answer_text(item, variant + i_index)
            answers.append((n, answer))
            stem = item.stem
            after: list[str] = []
            if placement == "after":
                if item.type is J:
                    stem = f"{stem}（ {answer} ）"
                else:
                    stem = stem.replace("（ ）", f"（ {answer} ）")
            elif placement == "before":
                stem = f"（{answer}）{stem}"
            elif placement == "line":
                after = [f"答案：{answer}"]
            elif item.type is J and spread % 2:
                stem = f"{stem}（ ）"  # empty answer bracket in one layout, none in another
            options = option_lines(item, MARKERS[spread % 8], PER_LINE[spread % 3])
            per_line = PER_LINE[spread % 3]
            if item.options and spread % 5 == 4 and per_line > 1 and placement != "before":
                lines.append(f"{number}{stem} {options[0]}")  # options after the stem, inline
                lines.extend(options[1:])
            else:
                lines.append(f"{number}{stem}")
                lines.extend(options)
            lines.extend(after)
        key.append((item_type, answers))
    if placement.startswith("key"):
        lines.append(("参考答案", "答案", "标准答案")[variant % 3])
        for item_type, answers in key:
            entries = [f"{n}．{a}" for n, a in answers]
            if placement == "key-headed":
                lines.append(HEADINGS[item_type][0])
                lines.extend(entries if variant % 2 else ["　".join(entries)])
            elif placement == "key-inline":
                lines.append(f"{HEADINGS[item_type][0]} {'  '.join(entries)}")
            else:
                lines.append(" ".join(entries))
    return lines


def write_docx(path: Path, blocks: Sequence[str | list[list[str]]]) -> Path:
    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        table = document.add_table(rows=len(block), cols=len(block[0]))
        for row, cells in zip(table.rows, block, strict=True):
            for cell, text in zip(row.cells, cells, strict=True):
                cell.text = text
    document.save(str(path))
    return path


def table_rows(with_type: bool = True, items: Sequence[Item] = ITEMS) -> list[list[str]]:
    header = ["序号", *(["题型"] if with_type else []), "试题内容"]
    header += [f"选项{L}" for L in "ABCDE"] + ["答案"]
    rows = [header]
    for n, item in enumerate(items, start=1):
        label = {J: "判断题", S: "单选题", M: "多选题"}[item.type]
        options = [*item.options, *[""] * (5 - len(item.options))]
        stem = f"{item.stem}（ ）" if item.type is J and n % 2 else item.stem
        rows.append([str(n), *([label] if with_type else []), stem, *options, item.answer])
    return rows


def versions(parsed: Parsed[ItemRecord]) -> list[str]:
    assert [p.message for p in parsed.problems] == []
    return sorted(content_id(item_content(r)) for r in parsed.records)


def expected_versions() -> list[str]:
    records = [
        ItemRecord(
            type=item.type,
            stem=item.stem,
            answer=item.answer == "√" if item.type is J else item.answer,
            location=None,  # type: ignore[arg-type]
            options=dict(zip("ABCDE", item.options, strict=False)),
        )
        for item in ITEMS
    ]
    return sorted(content_id(item_content(r)) for r in records)


EXPECTED = expected_versions()


@pytest.mark.parametrize(
    ("numbering", "placement"),
    list(itertools.product(range(len(NUMBERS)), PLACEMENTS)),
    ids=lambda v: NUMBERS[v].format(n=1) if isinstance(v, int) else v,
)
def test_every_paragraph_layout_gives_the_same_versions(
    tmp_path: Path, numbering: int, placement: str
) -> None:
    variant = numbering + PLACEMENTS.index(placement)
    path = write_docx(tmp_path / "bank.docx", paragraphs(numbering, placement, variant))
    parsed = read_items(path)
    assert versions(parsed) == EXPECTED
    assert [r.type for r in parsed.records] == [i.type for i in ITEMS]


def test_the_generator_meets_every_pair() -> None:
    """Every numbering style meets every option marker and options-per-line, and so does
    every answer placement, somewhere in the generated files."""
    pairs: set[tuple[str, int, int]] = set()
    for numbering, placement in itertools.product(range(len(NUMBERS)), PLACEMENTS):
        lines = paragraphs(numbering, placement, numbering + PLACEMENTS.index(placement))
        for marker_index, marker in enumerate(MARKERS):
            if any(
                line.startswith(marker.format(L="A")) or f" {marker.format(L='A')}" in line
                for line in lines
            ):
                pairs.add(("n", numbering, marker_index))
                pairs.add(("p", PLACEMENTS.index(placement), marker_index))
    assert {(k, a) for k, a, _ in pairs} >= {("n", n) for n in range(len(NUMBERS))}
    for kind, count in (("n", len(NUMBERS)), ("p", len(PLACEMENTS))):
        for first in range(count):
            assert {m for k, a, m in pairs if (k, a) == (kind, first)} == set(range(len(MARKERS)))


def test_stored_text_is_as_typed() -> None:
    """What the generator expects: Roman numerals, ℃, ～, φ, ² and full-width punctuation in
    a cell without Chinese characters are stored as typed."""
    stems = {item.stem for item in ITEMS}
    assert "Ⅱ级负荷的供电要求低于Ⅰ级负荷。" in stems
    assert ITEMS[5].options[0] == "E4315（J427），"


def test_word_tables_xlsx_and_csv_give_the_same_versions(tmp_path: Path) -> None:
    one_table = write_docx(tmp_path / "table.docx", ["焊工理论题库", table_rows()])
    by_section: list[str | list[list[str]]] = []
    for item_type, items in SECTIONS:
        by_section += [HEADINGS[item_type][0], table_rows(with_type=False, items=items)]
    sections = write_docx(tmp_path / "sections.docx", by_section)
    workbook = Workbook()
    for row in table_rows():
        workbook.active.append(row)
    workbook.save(tmp_path / "bank.xlsx")
    with (tmp_path / "bank.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(table_rows())
    for path in (one_table, sections, tmp_path / "bank.xlsx", tmp_path / "bank.csv"):
        assert versions(read_items(path)) == EXPECTED, path.name


def test_word_table_with_map(tmp_path: Path) -> None:
    rows = table_rows()
    rows[0] = ["No", "类别", "题目描述", "甲", "乙", "丙", "丁", "戊", "标答"]
    path = write_docx(tmp_path / "mapped.docx", [rows])
    mapping = {
        "No": "number",
        "类别": "type",
        "题目描述": "stem",
        "甲": "option_a",
        "乙": "option_b",
        "丙": "option_c",
        "丁": "option_d",
        "戊": "option_e",
        "标答": "answer",
    }
    assert versions(read_items(path, mapping=mapping)) == EXPECTED
    unmapped = read_items(path)
    assert {p.key for p in unmapped.problems} == {"problem.header_not_found", "problem.no_items"}


# --- quirks found in real files ------------------------------------------------------------


def read(tmp_path: Path, blocks: Sequence[str | list[list[str]]]) -> Parsed[ItemRecord]:
    return read_items(write_docx(tmp_path / "bank.docx", blocks))


def test_quirk_answers_in_a_final_answer_section(tmp_path: Path) -> None:
    """Found: every item 缺少答案, the key lines read as items, 参考答案 unrecognised."""
    lines = ["焊工（四级）理论知识试卷", "一、判断题（第1题～第3题。每题1分，满分3分。）"]
    lines += [
        "1．（ ）焊缝的余高越高越好。",
        "2．（ ）焊前预热可以减少冷裂纹。",
        "3．（ ）电弧是一种气体放电现象。",
    ]
    lines += ["二、单项选择题（第4题～第5题。每题1分，满分2分。）"]
    lines += ["4．焊接电流的单位是（ ）。", "A．伏特　B．安培　C．欧姆　D．瓦特"]
    lines += ["5．E4303焊条的药皮类型是（ ）。", "A．钛钙型　B．低氢钠型　C．纤维素型　D．氧化铁型"]
    lines += ["参考答案", "一、判断题", "1．×  2．√  3．√", "二、单项选择题", "4．B  5．A"]
    parsed = read(tmp_path, lines)
    assert parsed.problems == []
    assert [r.answer for r in parsed.records] == [False, True, True, "B", "A"]
    assert parsed.records[0].stem == "焊缝的余高越高越好。"
    assert [r.score for r in parsed.records] == [1, 1, 1, 1, 1]


def test_quirk_five_paren_options_on_one_line(tmp_path: Path) -> None:
    """Found: the whole line read into the stem and "(E)" taken as the answer: 实际为 E."""
    lines = ["三、多项选择题", "1．下列属于焊接缺陷的有（ ）。"]
    lines += ["(A)气孔  (B)坡口  (C)夹渣  (D)裂纹  (E)钝边", "参考答案", "1．ACD"]
    record = read(tmp_path, lines).records[0]
    assert (record.stem, record.answer) == ("下列属于焊接缺陷的有（ ）。", "ACD")
    assert list(record.options) == list("ABCDE")


def test_quirk_full_width_options_glued_together(tmp_path: Path) -> None:
    lines = [
        "多选题",
        "1．下列属于焊接缺陷的有（A、C、D）。",
        "（A）气孔（B）坡口（C）夹渣（D）裂纹",
    ]
    record = read(tmp_path, lines).records[0]
    assert record.options == {"A": "气孔", "B": "坡口", "C": "夹渣", "D": "裂纹"}
    assert record.answer == "ACD"


def test_quirk_word_table_bank(tmp_path: Path) -> None:
    """Found: 文件中没有找到试题 for a bank kept as a Word table."""
    rows = [["序号", "题型", "试题内容", "选项A", "选项B", "选项C", "选项D", "答案", "难度"]]
    rows.append(
        ["1", "单选", "焊接电流的单位是（　）。", "伏特", "安培", "欧姆", "瓦特", "B", "易"]
    )
    rows.append(["2", "判断", "电弧是一种气体放电现象。", "", "", "", "", "对", "中等"])
    rows.append(
        [
            "3",
            "多选",
            "下列属于焊接缺陷的有（ ）。",
            "气孔",
            "坡口",
            "夹渣",
            "裂纹",
            "A、C、D",
            "难",
        ]
    )
    parsed = read(tmp_path, ["焊工理论题库", rows])
    assert parsed.problems == []
    assert [(r.type, r.answer, r.difficulty) for r in parsed.records] == [
        (S, "B", 0.1),
        (J, True, 0.5),
        (M, "ACD", 0.9),
    ]
    assert parsed.records[0].stem == "焊接电流的单位是（ ）。"
    assert parsed.records[0].location.as_dict() == {"file": "bank.docx", "table": 1, "row": 2}


def test_word_table_problems_name_table_row_and_column(tmp_path: Path) -> None:
    rows = [["序号", "题型", "试题内容", "选项A", "选项B", "答案"]]
    rows.append(["1", "单选", "焊接电流的单位是（ ）。", "伏特", "安培", "F"])
    parsed = read(tmp_path, ["题库", rows])
    [problem] = parsed.problems
    assert problem.location.as_dict() == {"file": "bank.docx", "table": 1, "row": 2, "column": 6}
    assert "第 1 个表格第 2 行第 6 列" in str(problem)


def test_quirk_text_kept_as_typed(tmp_path: Path) -> None:
    """Found: Ⅰ级/Ⅱ级 folded to I级/II级; （J427）， became (J427), in a cell without Chinese."""
    lines = ["单选题", "1．Ⅱ级焊工可焊接（ B ）。", "A．E4315（J427），　B．φ3.2mm²　C．0～5℃"]
    record = read(tmp_path, lines).records[0]
    assert record.stem == "Ⅱ级焊工可焊接（ ）。"
    assert record.options == {"A": "E4315（J427），", "B": "φ3.2mm²", "C": "0～5℃"}


def test_judgement_bracket_rule_gives_one_version(tmp_path: Path) -> None:
    """The same judgement item with and without a trailing （ ）: one stem, one version."""
    lines = ["判断题", "1．电弧是一种气体放电现象。（ ）", "2．（√）电弧是一种气体放电现象。"]
    lines += [
        "3．电弧是一种气体放电现象。",
        "4．电弧是一种气体放电现象（ √ ）。",
        "答案",
        "1．√ 3．√ 4．√",
    ]
    parsed = read(tmp_path, lines)
    assert parsed.problems == []
    assert {r.stem for r in parsed.records} == {"电弧是一种气体放电现象。"}
    assert len({content_id(item_content(r)) for r in parsed.records}) == 1


def test_key_problems_are_located(tmp_path: Path) -> None:
    lines = ["判断题", "1．电弧是一种气体放电现象。", "2．焊缝的余高越高越好。"]
    lines += ["参考答案", "1．√ 3．×"]
    parsed = read(tmp_path, lines)
    found = {(p.location.paragraph, p.key, p.params.get("number")) for p in parsed.problems}
    assert found == {(3, "problem.no_key_answer", "2"), (5, "problem.answer_without_item", 3)}
    assert [r.answer for r in parsed.records] == [True]


def test_key_conflicting_with_the_stem(tmp_path: Path) -> None:
    lines = ["单选题", "1．焊接电流的单位是（ A ）。", "A．伏特 B．安培", "参考答案：1．B"]
    parsed = read(tmp_path, lines)
    assert [p.key for p in parsed.problems] == ["problem.answer_key_conflict"]


def test_key_runs_grids_and_numbering_restarts(tmp_path: Path) -> None:
    lines = ["一、判断题", "1．电弧是气体放电现象。", "2．焊缝余高越高越好。", "二、单项选择题"]
    lines += [
        "1．电流的单位是（ ）。",
        "A．伏特 B．安培",
        "2．电压的单位是（ ）。",
        "A．伏特 B．安培",
    ]
    blocks: list[str | list[list[str]]] = [*lines, "参考答案", "1-2 √×"]
    blocks.append([["题号", "1", "2"], ["答案", "B", "A"]])
    parsed = read(tmp_path, blocks)
    assert parsed.problems == []
    assert [r.answer for r in parsed.records] == [True, False, "B", "A"]


def test_answer_key_line_without_heading_is_not_an_item(tmp_path: Path) -> None:
    lines = ["判断题", "1．电弧是气体放电现象。", "2．焊缝余高越高越好。", "判断题", "1．√ 2．×"]
    parsed = read(tmp_path, lines)
    assert parsed.problems == []
    assert [r.answer for r in parsed.records] == [True, False]


def test_national_paper_with_answer_paper_after_it(tmp_path: Path) -> None:
    """The national paper: notes, score boxes, the title repeated (centred) over the answers."""
    document = docx.Document()

    def centred(text: str) -> None:
        document.add_paragraph(text).alignment = 1

    centred("职业技能鉴定国家题库")
    centred("焊工中级理论知识试卷")
    for line in ("注  意  事  项", "1、本试卷依据《焊工》国家职业标准命制，考试时间：120分钟。"):
        document.add_paragraph(line)
    box = document.add_table(rows=2, cols=4)
    for cell, text in zip(box.rows[0].cells, ("", "一", "二", "总分"), strict=True):
        cell.text = text
    box.rows[1].cells[0].text = "得分"
    for line in (
        "得    分",
        "评 分 人",
        "一、单项选择题（第1题～第2题。选择一个正确的答案，将相应的字母填入题内的括号中。"
        "每题0.5分，满分1分。）",
        "1. 职业道德是一种（  ）的约束机制。",
        "A、强制性   B、非强制性   C、随意性   D、自发性",
        "2. 焊接电流的单位是（  ）。",
        "A、伏特   B、安培   C、欧姆   D、瓦特",
        "得    分",
        "评 分 人",
        "二、判断题（第3题～第4题。将判断结果填入括号中。正确的填“√”，错误的填“×”。"
        "每题0.5分，满分1分。）",
        "3. （  ）职业道德是人的事业成功的重要条件。",
        "4. （  ）焊缝余高越高越好。",
    ):
        document.add_paragraph(line)
    centred("职业技能鉴定国家题库")
    centred("焊工中级理论知识试卷答案")
    document.add_paragraph("一、单项选择题（第1题～第2题。每题0.5分，满分1分。）")
    grid = document.add_table(rows=2, cols=2)
    for row, texts in zip(grid.rows, (("1", "2"), ("B", "B")), strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
    document.add_paragraph("二、判断题（第3题～第4题。每题0.5分，满分1分。）")
    document.add_paragraph("3. √   4. ×")
    document.save(str(tmp_path / "national.docx"))
    parsed = read_items(tmp_path / "national.docx")
    assert parsed.problems == []
    assert [(r.number, r.answer, r.score) for r in parsed.records] == [
        ("1", "B", 0.5),
        ("2", "B", 0.5),
        ("3", True, 0.5),
        ("4", False, 0.5),
    ]
    assert parsed.records[2].stem == "职业道德是人的事业成功的重要条件。"


def test_answers_after_each_section(tmp_path: Path) -> None:
    lines = [
        "一、判断题",
        "1．电弧是气体放电现象。",
        "2．焊缝余高越高越好。",
        "参考答案：1．√ 2．×",
    ]
    lines += ["二、单项选择题", "（1）电流的单位是（ ）。", "A．伏特 B．安培", "答案", "（1）B"]
    parsed = read(tmp_path, lines)
    assert parsed.problems == []
    assert [r.answer for r in parsed.records] == [True, False, "B"]


def test_options_in_one_cell(tmp_path: Path) -> None:
    """序号 | 题型 | 试题内容 | 选项 | 答案: all options in one cell, in Word and Excel alike."""
    rows = [["序号", "题型", "试题内容", "选项", "答案"]]
    for n, item in enumerate(ITEMS, start=1):
        label = {J: "判断题", S: "单选题", M: "多选题"}[item.type]
        marked = [f"{'ABCDE'[i]}．{text}" for i, text in enumerate(item.options)]
        cell = "\n".join(marked) if n % 2 else "　".join(marked)
        rows.append([str(n), label, item.stem, cell, item.answer])
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(tmp_path / "bank.xlsx")
    assert versions(read(tmp_path, [rows])) == EXPECTED
    assert versions(read_items(tmp_path / "bank.xlsx")) == EXPECTED


def test_more_shapes_from_other_writers(tmp_path: Path) -> None:
    lines = ["一、单项选择题", "1．焊接电流的单位是（ ）。", "A.伏特；B.安培；C.欧姆；D.瓦特"]
    lines += ["二、判断题", "2．电弧是气体放电现象。", "A．正确　B．错误", "答案：A"]
    lines += ["3．焊缝余高越高越好。", "4．焊前预热可减少冷裂纹。"]
    blocks: list[str | list[list[str]]] = [*lines, "参考答案（理论知识）"]
    blocks.append([["题号", "答案", "题号", "答案"], ["1", "B", "3", "×"]])
    blocks.append("4√")
    parsed = read(tmp_path, blocks)
    assert parsed.problems == []
    assert [r.answer for r in parsed.records] == ["B", True, False, True]
    assert parsed.records[0].options == {"A": "伏特", "B": "安培", "C": "欧姆", "D": "瓦特"}
    assert parsed.records[1].options == {}
    assert [n for n, _ in read_answer_entries("1.A2.B3.ABD") or []] == [1, 2, 3]


def test_sub_numbers_in_an_explanation_stay_in_it(tmp_path: Path) -> None:
    lines = ["判断题", "1．（√）停电检修前应验电。", "解析：步骤如下", "1) 断开电源", "2) 验电"]
    lines += ["2．（×）焊缝余高越高越好。"]
    parsed = read(tmp_path, lines)
    assert parsed.problems == []
    assert parsed.records[0].explanation == "步骤如下1） 断开电源2） 验电"


def test_word_tables_are_read_under_the_limits(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "big.docx", ["题库", table_rows()])
    with reading_limits.applied(reading_limits.Limits(rows=3)):
        parsed = read_items(path)
    [problem] = parsed.problems
    assert (problem.key, problem.location.table, problem.location.row) == (
        "limit.exceeded_here",
        1,
        4,
    )
    assert parsed.records == []


def test_glued_options_and_a_key_table_by_type(tmp_path: Path) -> None:
    lines: list[str | list[list[str]]] = ["判断题", "1．电弧是气体放电现象。", "单选题"]
    lines += ["2．电流的单位是（ ）。A．伏特B．安培C．欧姆D．瓦特", "参考答案"]
    lines.append([["判断题", "单选题"], ["1．√", "2．B"]])
    parsed = read(tmp_path, lines)
    assert parsed.problems == []
    assert [r.answer for r in parsed.records] == [True, "B"]
    assert parsed.records[1].options == {"A": "伏特", "B": "安培", "C": "欧姆", "D": "瓦特"}


def test_one_item_from_every_layout_is_one_stored_version(sqlite_url: str, tmp_path: Path) -> None:
    """Imported into one bank from Word paragraphs, a Word table (with --map) and Excel, the
    same items are stored once: the later files find them unchanged."""
    from click.testing import CliRunner

    from cli.main import cli

    occupation = ["--occupation", "6-31-01-03", "--level", "4", "--db", sqlite_url, "--json"]
    words = write_docx(tmp_path / "paragraphs.docx", paragraphs(3, "key-headed", 1))
    rows = table_rows()
    rows[0][2] = "题目描述"
    table = write_docx(tmp_path / "table.docx", ["题库", rows])
    workbook = Workbook()
    for row in table_rows():
        workbook.active.append(row)
    workbook.save(tmp_path / "bank.xlsx")
    summaries = []
    for path, extra in (
        (words, []),
        (table, ["--map", "题目描述=stem"]),
        (tmp_path / "bank.xlsx", []),
    ):
        result = CliRunner().invoke(
            cli,
            [
                "import",
                "items",
                str(path),
                *extra,
                *occupation,
                "--create",
                "--occupation-name",
                "电工",
            ],
        )
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        summaries.append((summary["imported"], summary["unchanged"]))
    assert summaries == [(6, 0), (0, 6), (0, 6)]


def test_a_key_without_headings_goes_by_the_answers_form(tmp_path: Path) -> None:
    """Judgement answers inline, a key for the choice items only, both numbered from 1."""
    lines = ["一、判断题", "1．（√）电弧是气体放电现象。", "2．（×）焊缝余高越高越好。"]
    lines += ["二、单项选择题", "1．电流的单位是（ ）。", "A．伏特 B．安培"]
    lines += ["2．电压的单位是（ ）。", "A．伏特 B．安培", "参考答案", "1．B 2．A"]
    parsed = read(tmp_path, lines)
    assert parsed.problems == []
    assert [r.answer for r in parsed.records] == [True, False, "B", "A"]


def test_lower_case_option_markers(tmp_path: Path) -> None:
    lines = ["单选题", "1．电阻的单位是（ ）。", "a．伏特　b．欧姆", "c) 安培　d) 瓦特", "答案：B"]
    record = read(tmp_path, lines).records[0]
    assert record.options == {"A": "伏特", "B": "欧姆", "C": "安培", "D": "瓦特"}


def test_a_title_naming_the_answers_is_a_title(tmp_path: Path) -> None:
    lines = ["焊工理论知识试题答案", "判断题", "1．（√）电弧是气体放电现象。"]
    assert [r.answer for r in read(tmp_path, lines).records] == [True]


def test_an_item_or_answers_on_the_heading_line(tmp_path: Path) -> None:
    """Found in hand-typed files: the first item (or the answers) on the heading's own line."""
    lines = ["一、判断题 1．（√）电弧是气体放电现象。", "2．焊缝余高越高越好。"]
    lines += ["二 单项选择题（每题1分）1．电流的单位是（ ）。", "A．伏特 B．安培", "参考答案"]
    lines += ["一、判断题 2．×", "二、单项选择题：1．B"]
    parsed = read(tmp_path, lines)
    assert parsed.problems == []
    assert [(r.answer, r.score) for r in parsed.records] == [(True, None), (False, None), ("B", 1)]


def test_answer_heading_with_a_colon_and_one_answer_a_line(tmp_path: Path) -> None:
    lines = [
        "判断题",
        "1．电弧是气体放电现象。",
        "2．焊缝余高越高越好。",
        "参考答案：",
        "1．√",
        "2．×",
    ]
    assert [r.answer for r in read(tmp_path, lines).records] == [True, False]
    lines = ["判断题", "1．电弧是气体放电现象。", "答案：", "√"]
    assert [r.answer for r in read(tmp_path, lines).records] == [True]
