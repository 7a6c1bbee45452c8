"""The national layout of the printed documents, from small in-memory papers (no database).

Theory paper: the vertical 密封线 in the left binding margin of every odd page, section
headings with the national instruction sentences, answer brackets that cannot break,
hanging indents (paper and key). Practical documents: column widths from the content, rows
never split, title rows repeated, 考场 and 考生 notices as documents of their own. 印制清单:
landscape A4 one page wide, title rows repeated, 宋体, short SHA-256 on paper. Then the same
rendered by LibreOffice: text, page numbers and where the 密封线's ink is.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import docx
import numpy as np
import openpyxl
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Pt, Twips
from docx.text.paragraph import Paragraph
from pdf_tools import compact, needs_office, pdf_pages, pdf_text, render_pdfs
from print_samples import practical_paper, print_run, theory_paper

from exporters.docx_page import breakable, content_widths, fit_columns, text_units
from exporters.practical_docx import write_practical_docx
from exporters.practical_paper_docx import write_preparation_notice, write_scoring_record
from exporters.print_run import ALL_KINDS, PRINT_LIST_JSON, PRINT_LIST_XLSX, render_print_run
from exporters.theory_docx import write_answer_key, write_theory_paper

SERIALS = ["20261212-01-A-001", "20261212-01-A-002"]
VERT = "{http://schemas.openxmlformats.org/drawingml/2006/main}bodyPr"
WPS_BODY = "{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}bodyPr"
ANCHOR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}anchor"
INSTRUCTIONS = {
    "judgement": "将判断结果填入括号中。正确的填“√”，错误的填“×”。",
    "single": "选择一个正确的答案，将相应的字母填入题内的括号中。",
    "multiple": "选择正确的答案，将相应的字母填入题内的括号中。错选、少选、多选均不得分。",
}
ITEM = re.compile(r"^(\d+)．")


def written(write, *args, **kwargs) -> Document:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    write(*args, out, **kwargs)
    return docx.Document(io.BytesIO(out.getvalue()))


def item_paragraphs(document: Document) -> list[Paragraph]:
    """The numbered items of a paper (not the numbered 注意事项 before them)."""
    items, inside = [], False
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Section Heading":
            inside = paragraph.text.startswith(("一、", "二、", "三、"))
        elif inside and ITEM.match(paragraph.text):
            items.append(paragraph)
    return items


@pytest.fixture(scope="module")
def paper() -> Document:
    return written(write_theory_paper, theory_paper(), serials=SERIALS)


# --- theory paper ------------------------------------------------------------------------------


def test_seal_line_is_in_every_odd_page_header_only(paper: Document) -> None:
    assert paper.settings.odd_and_even_pages_header_footer
    assert len(paper.sections) == len(SERIALS)
    for section, serial in zip(paper.sections, SERIALS, strict=True):
        odd, even = section.header._element, section.even_page_header._element
        (anchor,) = odd.iter(ANCHOR)
        assert anchor.find(f".//{WPS_BODY}").get("vert") == "vert270"
        position = anchor.find(qn("wp:positionH"))
        assert position.get("relativeFrom") == "page"
        offset = int(position.find(qn("wp:posOffset")).text)
        width = int(anchor.find(qn("wp:extent")).get("cx"))
        assert offset > 0 and offset + width < section.left_margin  # inside the binding margin
        text = "".join(anchor.itertext())
        for label in (
            "地　　区",
            "姓　　名",
            "准考证号",
            "单　　位",
            "考 生 答 题 不 准 超 过 此 线",
        ):
            assert label in text
        assert re.search("…+密…+封…+线…+", text)
        assert list(even.iter(ANCHOR)) == []
        for header in (section.header, section.even_page_header):
            assert header.paragraphs[0].text == f"绝密★启用前\t\t{serial}"
        fields = [t.text.strip() for t in section.even_page_footer._element.iter(qn("w:instrText"))]
        assert fields == ["PAGE", "SECTIONPAGES"]
    body = [p.text for p in paper.paragraphs]
    assert not any("密 封 线" in p or "此 线" in p for p in body)  # no longer a line on page 1


def test_section_headings_carry_the_national_instructions(paper: Document) -> None:
    doc = theory_paper()
    headings = [p.text for p in paper.paragraphs if p.style.name == "Section Heading"]
    for section in doc.sections:
        expected = (
            f"{section.ordinal}、{section.title}（第{section.first}题～第{section.last}题。"
            f"{INSTRUCTIONS[section.type]}每题1分，满分{section.total:g}分。）"
        )
        assert headings.count(expected) == len(SERIALS)


def test_answer_brackets_are_two_characters_held_apart_by_spacing(paper: Document) -> None:
    items = item_paragraphs(paper)
    assert len(items) == len(theory_paper().items) * len(SERIALS)
    for paragraph in items:
        assert paragraph.text.count("（）") == 1 and "\u00a0" not in paragraph.text
        runs = paragraph.runs
        opening = next(i for i, r in enumerate(runs) if r.text == "（")
        spacing = runs[opening]._r.rPr.find(qn("w:spacing"))
        assert int(spacing.get(qn("w:val"))) == 420  # two characters of 10.5 pt, in twips
        assert runs[opening + 1].text.startswith("）")


def test_items_and_explanations_hang_under_their_text(paper: Document) -> None:
    key = written(write_answer_key, theory_paper())
    explained = [p for p in key.paragraphs if ITEM.match(p.text)]
    assert len(explained) == sum(1 for i in theory_paper().items if i.explanation)
    for paragraph in item_paragraphs(paper) + explained:
        digits = len(ITEM.match(paragraph.text).group(1))  # type: ignore[union-attr]
        fmt = paragraph.paragraph_format
        assert fmt.left_indent == Pt(10.5 * (digits / 2 + 1)) == -fmt.first_line_indent


# --- practical documents ------------------------------------------------------------------------


def test_widths_keep_every_token_whole() -> None:
    columns = [
        ["序号", "1", "20"],
        ["规格型号", "JR36-20", "CJX2-1210 线圈电压380V"],
        ["备注", "KM1、KM2", "整定电流按电动机额定电流调整"],
    ]
    widths = content_widths(columns, 8.0)
    assert sum(widths) == pytest.approx(8.0)
    per_unit = 10.5 / 2 / 72 * 2.54
    assert widths[1] >= text_units("CJX2-1210") * per_unit
    assert widths[2] >= text_units("KM1、KM2") * per_unit
    roomy = content_widths([["序号", "1"], ["名称", "万用表"]], 16.0)
    assert roomy[1] > roomy[0] and sum(roomy) == pytest.approx(16.0)
    cramped = content_widths([["A", "x" * 80], ["B", "y" * 80]], 4.0)
    assert cramped == pytest.approx([2.0, 2.0])


CROWDED = [  # a 备注 list and 规格型号 too long to stand side by side on A4 as whole runs
    ["序号", "1"],
    ["名称", "双速异步电动机"],
    ["规格型号", "YD112M-4/2-3.3kW/4kW-380V/50Hz-Δ/YY"],
    ["数量", "1台"],
    ["备注", "KM1、KM2、KM3、KM4、KM5、KM6、KM7、KM8、KM9、KM10、KM11、KM12、KM13"],
]


def test_widths_split_lists_rather_than_tokens_when_runs_do_not_fit() -> None:
    per_unit = 10.5 / 2 / 72 * 2.54
    widths, split = fit_columns(CROWDED, 16.0)
    assert split and sum(widths) == pytest.approx(16.0)
    assert widths[4] >= text_units("KM10、") * per_unit  # a piece stays whole
    assert widths[1] >= text_units("双速异步") * per_unit  # a name takes at most two lines
    assert breakable("KM1、KM2、KM3") == "KM1、\u200bKM2、\u200bKM3"
    assert breakable("红、黄") == "红、\u200b黄" and breakable("a、 b") == "a、 b"
    _, roomy = fit_columns([["备注", "KM1、KM2"]], 16.0)
    assert not roomy  # whole runs fit: nothing marked, "KM1、KM2" stays on one line


@needs_office
def test_rendered_crowded_notice_breaks_only_after_separators(tmp_path: Path) -> None:
    from dataclasses import replace

    from qbank.records import PrepRow

    doc = practical_paper(rows=1)
    crowded = PrepRow(*(column[1] for column in CROWDED[1:4]), CROWDED[4][1], "设备")
    doc = replace(doc, record=replace(doc.record, venue_prep=(crowded, *doc.record.venue_prep)))
    path = tmp_path / "venue.docx"
    write_preparation_notice(doc, path, "venue")
    (pdf,) = render_pdfs([path], tmp_path)
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found = set(re.findall(r"KM\d+", text))  # a token broken inside loses its whole form
    assert {f"KM{n}" for n in range(1, 14)} <= found
    assert not re.search(r"KM?$", text, re.M)  # no line ends inside a KMn


def test_notice_tables_fit_tokens_keep_rows_and_repeat_titles() -> None:
    doc = practical_paper(rows=6)
    for audience, rows in (
        ("venue", doc.record.venue_prep),
        ("candidate", doc.record.candidate_prep),
    ):
        document = written(write_preparation_notice, doc, audience=audience)
        (grid,) = document.tables
        widths = [Twips(int(c.get(qn("w:w")))) for c in grid._tbl.tblGrid]
        assert sum(w.cm for w in widths) == pytest.approx(16.0, abs=0.05)
        titles = [c.text for c in grid.rows[0].cells]
        for column, title in enumerate(titles):
            if title not in ("规格型号", "备注"):
                continue
            for token in ("JR36-20", "KM1、KM2", "SB1、SB2、SB3", "LA4-3H"):
                if any(token in grid.rows[r].cells[column].text for r in range(1, len(rows) + 1)):
                    assert widths[column].pt >= text_units(token) * 10.5 / 2
        check_rows(grid, repeat=True)
        assert len(document.sections) == 1


def test_scoring_tables_keep_rows_and_repeat_titles() -> None:
    document = written(write_scoring_record, practical_paper(), serials=["P-001"])
    assert len(document.tables) == 2  # the task's rubric and the summary
    for grid in document.tables:
        check_rows(grid, repeat=True)


def test_bank_export_of_a_set_has_the_same_tables(tmp_path: Path) -> None:
    path = tmp_path / "set.docx"
    write_practical_docx(practical_paper().record, path, occupation_name="电工", level=4)
    document = docx.Document(str(path))
    assert len(document.tables) == 3  # 考场, 考生, the task's 评分记录表
    for grid in document.tables:
        check_rows(grid, repeat=True)
    widths = [Twips(int(c.get(qn("w:w")))) for c in document.tables[0]._tbl.tblGrid]
    assert widths[-1].pt >= text_units("SB1、SB2、SB3") * 10.5 / 2  # 备注
    assert sum(w.cm for w in widths) == pytest.approx(16.0, abs=0.05)


def check_rows(grid: docx.table.Table, *, repeat: bool) -> None:
    for index, row in enumerate(grid.rows):
        properties = row._tr.trPr
        assert properties is not None and properties.find(qn("w:cantSplit")) is not None
        assert (properties.find(qn("w:tblHeader")) is not None) == (repeat and index == 0)


def test_print_run_writes_each_notice_for_its_audience() -> None:
    documents = render_print_run(print_run(), copies=2, kinds=("notices",))
    assert set(documents) == {
        "考场准备通知单-P.docx",
        "考生准备通知单-P.docx",
        PRINT_LIST_JSON,
        PRINT_LIST_XLSX,
    }


# --- 印制清单.xlsx -----------------------------------------------------------------------------


def test_print_list_prints_on_one_landscape_page_wide() -> None:
    documents = render_print_run(print_run(), copies=3, kinds=ALL_KINDS)
    book = openpyxl.load_workbook(io.BytesIO(documents[PRINT_LIST_XLSX]))
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, str(setup.paperSize)) == ("landscape", sheet.PAPERSIZE_A4)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows == "$1:$3"
        last = sheet.max_column
        assert sheet.column_dimensions[openpyxl.utils.get_column_letter(last)].hidden
        shown = [openpyxl.utils.get_column_letter(c) for c in range(1, last)]
        assert not any(sheet.column_dimensions[c].hidden for c in shown)
        assert sheet.print_area == f"'{sheet.title}'!$A$1:${shown[-1]}${sheet.max_row}"
        fonts = {cell.font.name for row in sheet.iter_rows() for cell in row}
        assert fonts == {"宋体"}
        assert "第 &P 页 共 &N 页" in sheet.oddFooter.center.text
        titles = [c.value for c in sheet[3]]
        short, full = titles.index("SHA-256（前 16 位）"), titles.index("SHA-256")
        assert full == last - 1
        for row in sheet.iter_rows(min_row=4, values_only=True):
            assert len(row[full]) == 64 and row[short] == row[full][:16]
    copies = book["印制清单"]
    titles = [c.value for c in copies[3]]
    assert titles[-3:-1] == ["印制人（签名）", "核对人（签名）"]  # within the printed columns
    on_paper = sum(
        copies.column_dimensions[openpyxl.utils.get_column_letter(c)].width
        for c in range(1, copies.max_column)
    )
    assert on_paper <= 140  # fits one landscape page at a readable scale


# --- rendered by LibreOffice -------------------------------------------------------------------


def grey_page(pdf: Path, page: int, folder: Path, dpi: int = 36) -> np.ndarray:
    """Page `page` of `pdf` as a grey image (rows × columns, 0 black … 255 white)."""
    prefix = folder / f"{pdf.stem}-{page}"
    subprocess.run(
        ["pdftoppm", "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf), prefix],
        check=True,
        timeout=60,
    )
    (image,) = folder.glob(f"{prefix.name}*.pgm")
    data = image.read_bytes()
    magic, width, height, _, pixels = data.split(maxsplit=4)
    assert magic == b"P5"
    return np.frombuffer(pixels[: int(width) * int(height)], np.uint8).reshape(
        int(height), int(width)
    )


@needs_office
def test_rendered_paper_seal_line_brackets_and_page_totals(tmp_path: Path) -> None:
    doc = theory_paper(per_section=30)
    single = tmp_path / "paper.docx"
    write_theory_paper(doc, single)
    (pdf,) = render_pdfs([single], tmp_path)
    pages = pdf_pages(pdf)
    assert pages >= 4
    dpi, mm = 36, 36 / 25.4
    strip = slice(int(5 * mm), int(22 * mm))  # the 密封线 box: 4–22 mm from the left edge
    for page in (1, 2, 3):
        image = grey_page(pdf, page, tmp_path, dpi)
        inked = int((image[int(30 * mm) : int(267 * mm), strip] < 128).sum())
        assert (inked > 200) == (page % 2 == 1), (page, inked)
    raw = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    for number, text in enumerate(raw[:pages], start=1):
        flat = compact(text)
        assert ("考生答题不准超过此线" in flat) == (number % 2 == 1)
        assert f"第{number}页共{pages}页" in flat
    body = pdf_text(pdf, skip_left=70)
    assert not re.search(r"（\s*$", body, re.MULTILINE)  # no bracket left open at a line end
    assert compact(body).count("（）") == len(doc.items)


@needs_office
def test_rendered_notice_keeps_tokens_and_repeats_titles(tmp_path: Path) -> None:
    path = tmp_path / "venue.docx"
    write_preparation_notice(practical_paper(rows=8), path, "venue")
    (pdf,) = render_pdfs([path], tmp_path)
    pages = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")[:-1]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        flat = compact(page)
        assert "序号类别名称规格型号数量备注" in flat  # the title row on every page
        assert f"第{number}页共{len(pages)}页" in flat
        for token in ("JR36-20", "KM1、KM2", "LA4-3H"):
            assert token in page  # whole, on one line
