"""Sub- and superscripts: kept as markup in stored text (`U_{2}`, `10^{-3}`), read from Word
runs and Excel rich text, printed raised and lowered by every exporter, and nothing lost on
the way round (Word → bank → Word → bank, Excel the same)."""

from __future__ import annotations

import csv
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from openpyxl.cell.rich_text import CellRichText, TextBlock
from pdf_tools import compact, needs_office, pdf_text, render_pdfs
from sqlalchemy import select

from exporters.docx_page import add_text, new_document
from exporters.items_docx import write_items_docx
from exporters.items_xlsx import write_items_csv, write_items_xlsx
from exporters.review_xlsx import write_review_xlsx
from exporters.theory_docx import write_answer_key, write_theory_paper
from importers.docx_items import _paragraph_text, read_items_docx
from importers.table_items import read_items_table
from qbank.bank import ensure_bank
from qbank.canonical import content_id
from qbank.db import open_database
from qbank.items import ItemView, import_items, item_content
from qbank.model import ItemVersion
from qbank.printing import LETTERS, PrintedItem, PrintedOption, PrintedSection, TheoryPaperDoc
from qbank.records import ItemRecord
from qbank.text import scripts
from qbank.text.scripts import BASELINE, SUBSCRIPT, SUPERSCRIPT

# --- the markup ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("U_{2}", [("U", BASELINE), ("2", SUBSCRIPT)]),
        ("10^{-3}A", [("10", BASELINE), ("-3", SUPERSCRIPT), ("A", BASELINE)]),
        ("X_{L}=2πfL", [("X", BASELINE), ("L", SUBSCRIPT), ("=2πfL", BASELINE)]),
        ("x_1 a^b {1,2}", [("x_1 a^b {1,2}", BASELINE)]),
        ("\\_{2}", [("_{2}", BASELINE)]),
        ("a\\\\_{2}", [("a\\", BASELINE), ("2", SUBSCRIPT)]),
        ("a\\\\\\_{2}", [("a\\_{2}", BASELINE)]),
        ("C:\\dir", [("C:\\dir", BASELINE)]),
    ],
)
def test_split_and_join_are_inverse(text: str, runs: list[scripts.Run]) -> None:
    assert scripts.split(text) == runs
    assert scripts.join(runs) == text
    assert scripts.check(text) is None


def test_join_merges_runs_and_keeps_unwritable_scripts_flat() -> None:
    runs = [("U", BASELINE), ("2", SUBSCRIPT), ("1", SUBSCRIPT), (" ", SUPERSCRIPT)]
    assert scripts.join(runs) == "U_{21} "
    assert scripts.join([("R", BASELINE), ("{a}", SUBSCRIPT)]) == "R{a}"
    assert scripts.join([("a_{b}", BASELINE)]) == "a\\_{b}"
    assert scripts.plain("U_{2}+10^{-3}") == "U2+10-3"


@pytest.mark.parametrize("text", ["U_{2", "U_{}", "a^{b{c}}", "U_{2\n}"])
def test_unclosed_markup_is_found_and_printed_as_typed(text: str) -> None:
    assert scripts.check(text) is not None
    assert scripts.plain(text) == text


# --- Word: import, export, import again ---------------------------------------------------


def _runs(paragraph: docx.text.paragraph.Paragraph, parts: list[tuple[str, str]]) -> None:
    for text, position in parts:
        run = paragraph.add_run(text)
        if position == SUBSCRIPT:
            run.font.subscript = True
        elif position == SUPERSCRIPT:
            run.font.superscript = True


def word_bank(path: Path) -> Path:
    """A bank typed in Word with subscripts and superscripts in stems, options and 解析,
    scripts split over several runs as Word splits them."""
    document = docx.Document()
    document.add_paragraph("一、判断题")
    _runs(
        document.add_paragraph(),
        [
            ("1．（ √ ）变压器一次侧电压U", BASELINE),
            ("1", SUBSCRIPT),
            ("与二次侧电压U", BASELINE),
            ("2", SUBSCRIPT),
            ("之比等于匝数比N", BASELINE),
            ("1", SUBSCRIPT),
            ("/N", BASELINE),
            ("2", SUBSCRIPT),
            ("。", BASELINE),
        ],
    )
    document.add_paragraph("二、单项选择题")
    _runs(
        document.add_paragraph(),
        [("2．感抗X", BASELINE), ("L", SUBSCRIPT), ("的大小与（ B ）成正比。", BASELINE)],
    )
    _runs(
        document.add_paragraph(),
        [
            ("A．f", BASELINE),
            ("-", SUPERSCRIPT),
            ("1", SUPERSCRIPT),
            ("\u3000B．f\u3000C．f", BASELINE),
            ("2", SUPERSCRIPT),
            ("\u3000D．1×10", BASELINE),
            ("-3", SUPERSCRIPT),
        ],
    )
    _runs(document.add_paragraph(), [("解析：X", BASELINE), ("L", SUBSCRIPT), ("=2πfL", BASELINE)])
    document.add_paragraph("3．字面的 a_{b} 不是下标，（ A ）。")
    document.add_paragraph("A．是\u3000B．否")
    document.save(str(path))
    return path


EXPECTED_STEMS = [
    "变压器一次侧电压U_{1}与二次侧电压U_{2}之比等于匝数比N_{1}/N_{2}。",
    "感抗X_{L}的大小与（ ）成正比。",
    "字面的 a\\_{b} 不是下标，（ ）。",
]


def stored(records: list[ItemRecord]) -> list[dict[str, object]]:
    return [{**item_content(r), "location": None} for r in records]


def test_word_scripts_are_stored_as_markup(tmp_path: Path) -> None:
    parsed = read_items_docx(word_bank(tmp_path / "bank.docx"))
    assert parsed.ok, parsed.problems
    assert [r.stem for r in parsed.records] == EXPECTED_STEMS
    assert parsed.records[1].options == {"A": "f^{-1}", "B": "f", "C": "f^{2}", "D": "1×10^{-3}"}
    assert parsed.records[1].explanation == "X_{L}=2πfL"


def vert_aligned(path: Path) -> list[tuple[str, str]]:
    """(text, vertAlign) of every raised or lowered run of a Word file's body."""
    document = docx.Document(str(path))
    found = []
    for run in document.element.body.iter(qn("w:r")):
        align = run.find(f"{qn('w:rPr')}/{qn('w:vertAlign')}")
        if align is not None:
            found.append(
                ("".join(t.text or "" for t in run.iter(qn("w:t"))), align.get(qn("w:val")))
            )
    return found


def test_word_round_trip_keeps_every_script(tmp_path: Path) -> None:
    first = read_items_docx(word_bank(tmp_path / "bank.docx")).records
    exported = tmp_path / "exported.docx"
    write_items_docx(first, exported, answers="line")
    again = read_items_docx(exported)
    assert again.ok, again.problems
    assert [item_content(r) for r in again.records] == [item_content(r) for r in first]
    assert [content_id(item_content(r)) for r in again.records] == [
        content_id(item_content(r)) for r in first
    ]
    runs = vert_aligned(exported)
    assert (
        ("1", "subscript") in runs and ("L", "subscript") in runs and ("-3", "superscript") in runs
    )
    text = "\n".join(p.text for p in docx.Document(str(exported)).paragraphs)
    assert "_{" not in text.replace("a_{b}", "") and "^{" not in text
    assert "字面的 a_{b} 不是下标" in text  # the escape is not printed


def test_paragraph_text_reads_as_python_docx_text_without_markup() -> None:
    document = docx.Document()
    _runs(document.add_paragraph(), [("U", BASELINE), ("2", SUBSCRIPT), ("{x}", SUPERSCRIPT)])
    w = nsdecls("w")
    document.element.body.append(
        parse_xml(
            f"<w:p {w}><w:r><w:rPr><w:vertAlign w:val='baseline'/></w:rPr><w:t>m2</w:t></w:r></w:p>"
        )
    )
    first, second = document.paragraphs
    assert _paragraph_text(first._p) == "U_{2}{x}"
    assert scripts.plain(_paragraph_text(first._p)) == first.text
    assert _paragraph_text(second._p) == second.text == "m2"


def test_plain_word_file_keeps_its_text_and_hash(tmp_path: Path) -> None:
    """A bank without scripts reads as before: the markup adds nothing to an old item."""
    document = docx.Document()
    document.add_paragraph("一、判断题")
    document.add_paragraph("1．（ √ ）电阻的单位是欧姆，U2 表示二次电压。")
    document.save(str(tmp_path / "old.docx"))
    (record,) = read_items_docx(tmp_path / "old.docx").records
    assert record.stem == "电阻的单位是欧姆，U2 表示二次电压。"


def test_reimport_with_scripts_gives_new_versions_not_new_items(tmp_path: Path) -> None:
    """A bank imported flat (`U2`) and again from a Word file that keeps its subscripts
    (`U_{2}`): the content keys agree, so the items get new versions, and no item is added."""
    flat = tmp_path / "flat.docx"
    document = docx.Document()
    document.add_paragraph("一、判断题")
    document.add_paragraph("1．（ √ ）变压器一次侧电压U1与二次侧电压U2之比等于匝数比N1/N2。")
    document.add_paragraph("二、单项选择题")
    document.add_paragraph("2．感抗XL的大小与（ B ）成正比。")
    document.add_paragraph("A．f-1\u3000B．f\u3000C．f2\u3000D．1×10-3")
    document.add_paragraph("解析：XL=2πfL")
    document.add_paragraph("3．字面的 a_{b} 不是下标，（ A ）。")
    document.add_paragraph("A．是\u3000B．否")
    document.save(str(flat))
    db = open_database(f"sqlite:///{tmp_path / 'qbank.db'}")
    try:
        for path in (flat, word_bank(tmp_path / "scripted.docx")):
            records = read_items_docx(path).records
            with db.transaction() as session:
                bank = ensure_bank(session, "6-31-01-03", 4, actor="t")
                summary = import_items(session, bank, records, source=path.name, actor="t")
        assert (summary.new_items, summary.new_versions) == (0, 2)  # the literal a_{b}: same text
        with db.transaction() as session:
            stems = [v.stem for v in session.scalars(select(ItemVersion))]
        assert set(EXPECTED_STEMS[:2]) <= set(stems) and len(stems) == 5
    finally:
        db.dispose()


# --- Excel and CSV -------------------------------------------------------------------------


def test_excel_rich_text_round_trip(tmp_path: Path) -> None:
    first = read_items_docx(word_bank(tmp_path / "bank.docx")).records
    for path, write in (("bank.xlsx", write_items_xlsx), ("bank.csv", write_items_csv)):
        write(first, tmp_path / path)
        again = read_items_table(tmp_path / path)
        assert again.ok, again.problems
        assert [item_content(r) for r in again.records] == [item_content(r) for r in first]
    sheet = openpyxl.load_workbook(tmp_path / "bank.xlsx", rich_text=True).active
    assert sheet is not None
    stems = [c.value for c in sheet["D"]] + [c.value for c in sheet["C"]]
    rich = [v for v in stems if isinstance(v, CellRichText)]
    assert rich, stems
    blocks = [b for v in rich for b in v if isinstance(b, TextBlock)]
    assert {(b.text, b.font.vertAlign) for b in blocks} >= {("1", "subscript"), ("L", "subscript")}
    assert not any("_{" in b.text for b in blocks)


def test_excel_typed_markup_and_unclosed_markup(tmp_path: Path) -> None:
    path = tmp_path / "typed.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerow(["题型", "题干", "选项A", "选项B", "答案"])
        rows.writerow(["单选", "1 m^{2} 等于（ ）", "10^{4} cm^{2}", "10^{2} cm^{2}", "A"])
        rows.writerow(["单选", "电压U_{2 的单位", "伏特", "安培", "A"])
        rows.writerow(["单选", "电流", "I_{1", "安培", "A"])
    parsed = read_items_table(path)
    assert [r.stem for r in parsed.records] == ["1 m^{2} 等于（ ）"]
    assert parsed.records[0].options["A"] == "10^{4} cm^{2}"
    messages = [str(p) for p in parsed.problems]
    assert len(messages) == 2
    assert "第 3 行" in messages[0] and "题干" in messages[0] and "“_{2 的单位”" in messages[0]
    assert "第 4 行" in messages[1] and "选项 A" in messages[1] and "“_{1”" in messages[1]


# --- printed documents ---------------------------------------------------------------------


def paper(stem: str, options: list[str], explanation: str) -> TheoryPaperDoc:
    item = PrintedItem(
        number=1,
        item_id=1,
        version="v",
        type="single",
        stem=stem,
        options=tuple(PrintedOption(LETTERS[i], t) for i, t in enumerate(options)),
        answer="B",
        explanation=explanation,
        score=1.0,
    )
    section = PrintedSection("一", "单项选择题", "single", 1, 1, 1.0, 1.0, (item,))
    return TheoryPaperDoc(
        1, "B1", "2026-12-12", "考点", "A", "6-31-01-03", "电工", "", 4, "四级", "试卷",
        90, 1.0, 0.6, (section,), "0" * 64,
    )  # fmt: skip


SCRIPTED = paper(
    "感抗X_{L}的大小与（ ）成正比。", ["f^{-1}", "f", "f^{2}", "1×10^{-3}"], "X_{L}=2πfL"
)


def test_paper_and_key_print_real_scripts(tmp_path: Path) -> None:
    for name, write in (("paper.docx", write_theory_paper), ("key.docx", write_answer_key)):
        write(SCRIPTED, tmp_path / name)
        runs = vert_aligned(tmp_path / name)
        assert ("L", "subscript") in runs, name
        text = "".join(p.text for p in docx.Document(str(tmp_path / name)).paragraphs)
        assert "_{" not in text and "^{" not in text and "X" + "L" in text
    assert ("-3", "superscript") in vert_aligned(tmp_path / "paper.docx")


def test_add_text_is_one_run_per_stretch() -> None:
    paragraph = new_document(title="t", subject="s").add_paragraph()
    runs = add_text(paragraph, "U_{2}=10^{-3}V")
    assert [(r.text, r.font.subscript, r.font.superscript) for r in runs] == [
        ("U", None, None),
        ("2", True, False),
        ("=10", None, None),
        ("-3", False, True),
        ("V", None, None),
    ]


def test_review_sheet_shows_scripts_as_rich_text(tmp_path: Path) -> None:
    view = ItemView(
        id=1, guid="g", version="v" * 64, seq=1, type="single", stem="感抗X_{L}（ ）",
        options={"A": "f^{2}", "B": "f"}, answer="A", knowledge_point=None, knowledge_path=[],
        importance=None, difficulty=None, score=None, explanation=None, source=None,
        author=None, status="draft", origin=None,
    )  # fmt: skip
    write_review_xlsx([view], tmp_path / "review.xlsx", title="审核表")
    sheet = openpyxl.load_workbook(tmp_path / "review.xlsx", rich_text=True)["审核"]
    values = [c.value for row in sheet.iter_rows() for c in row]
    rich = [v for v in values if isinstance(v, CellRichText)]
    blocks = {(b.text, b.font.vertAlign) for v in rich for b in v if isinstance(b, TextBlock)}
    assert blocks == {("L", "subscript"), ("2", "superscript")}


@needs_office
def test_pdf_paper_prints_no_markup(tmp_path: Path) -> None:
    write_theory_paper(SCRIPTED, tmp_path / "paper.docx")
    write_answer_key(SCRIPTED, tmp_path / "key.docx")
    for pdf in render_pdfs([tmp_path / "paper.docx", tmp_path / "key.docx"], tmp_path / "pdf"):
        flat = compact(pdf_text(pdf))
        assert "XL" in flat and "_{" not in flat and "^{" not in flat and "{" not in flat
