"""The answer sheet (答题卡) as the print room gets it: rendered by LibreOffice and looked at.

Papers are built in memory (no database: the sheet reads only the printed document): a
national 100-item paper (判断 20, 单选 60, 多选 20 with five options) must fit one A4 page; a
150-item one takes two, the title and candidate box repeated on the second; item numbers
come out 1…N in order; solid squares sit at the four corners of every page.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Sequence
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from pdf_tools import compact, needs_office, out_of_order, pdf_pages, pdf_text, render_pdfs
from print_samples import theory_doc

from exporters.answer_sheet_docx import ADMISSION_DIGITS, sheet_pages, write_answer_sheet
from qbank.i18n import set_language
from qbank.printing import LETTERS, PrintedItem, PrintedOption, PrintedSection, TheoryPaperDoc

SERIALS = ["20261212-01-A-001", "20261212-01-A-002"]
DPI = 72
MM = DPI / 25.4


def paper(counts: Sequence[tuple[str, int, int]]) -> TheoryPaperDoc:
    """A paper of sections (type, items, options per item), numbered continuously."""
    titles = {"judgement": "判断题", "single": "单项选择题", "multiple": "多项选择题"}
    sections, number = [], 1
    for index, (kind, count, options) in enumerate(counts):
        items = tuple(
            PrintedItem(
                number=number + k,
                item_id=number + k,
                version="v",
                type=kind,
                stem=f"第{number + k}题",
                options=tuple(PrintedOption(LETTERS[i], f"选项{i}") for i in range(options)),
                answer="√" if kind == "judgement" else "A",
                explanation=None,
                score=1.0,
            )
            for k in range(count)
        )
        sections.append(
            PrintedSection(
                "一二三四五"[index],
                titles[kind],
                kind,
                number,
                number + count - 1,
                1.0,
                count,
                items,
            )
        )
        number += count
    return theory_doc(
        sections,
        title="电工（四级）理论知识试卷",
        total_score=100.0,
        pass_score=60.0,
        fingerprint="0" * 64,
    )


NATIONAL = paper([("judgement", 20, 0), ("single", 60, 4), ("multiple", 20, 5)])
LONG = paper([("judgement", 40, 0), ("single", 80, 4), ("multiple", 30, 5)])
WIDE = paper([("single", 12, 7)])


def sheet_texts(data: bytes) -> list[str]:
    """The text of every table cell, row by row, table by table."""
    document = docx.Document(io.BytesIO(data))
    return [c.text for t in document.tables for row in t.rows for c in row.cells]


def written(doc: TheoryPaperDoc, **options: object) -> bytes:
    out = io.BytesIO()
    write_answer_sheet(doc, out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def test_marks_and_numbers_in_rows_of_five() -> None:
    document = docx.Document(io.BytesIO(written(NATIONAL)))
    grids = document.tables[1:]
    numbers, marks = [], []
    for grid in grids:
        assert len(grid.columns) == 10  # five items: number, marks
        for row in grid.rows:
            cells = [c.text for c in row.cells]
            numbers += [int(n) for n in cells[0::2] if n]
            marks += [m for m in cells[1::2] if m]
    assert numbers == list(range(1, 101))
    assert marks[:20] == ["[√][×]"] * 20
    assert marks[20:80] == ["[A][B][C][D]"] * 60
    assert marks[80:] == ["[A][B][C][D][E]"] * 20
    texts = [p.text for p in document.paragraphs]
    assert "一、判断题（第1题～第20题）" in texts and "三、多项选择题（第81题～第100题）" in texts


def test_candidate_box_has_a_box_per_admission_digit() -> None:
    document = docx.Document(io.BytesIO(written(NATIONAL)))
    box = document.tables[0]
    first = [c.text for c in box.rows[0].cells]
    assert first[0] == "姓　　名" and "试卷编号" in first
    admission = box.rows[1]._tr.findall(qn("w:tc"))
    assert len(admission) == 1 + ADMISSION_DIGITS
    assert box.rows[1].cells[0].text == "准考证号"


def test_many_options_take_fewer_items_a_row() -> None:
    document = docx.Document(io.BytesIO(written(WIDE)))
    assert len(document.tables[1].columns) == 8  # four items of [A]…[G]


def test_page_count_is_the_layout_s_own() -> None:
    assert (sheet_pages(NATIONAL), sheet_pages(LONG)) == (1, 2)
    footer = docx.Document(io.BytesIO(written(LONG, serials=SERIALS))).sections[0].footer
    cached = [t.text for t in footer._element.iter(qn("w:t"))]
    assert "2" in cached  # 共 2 页 stored for renderers that do not count SECTIONPAGES


def test_sheet_is_chinese_under_an_english_operator() -> None:
    set_language("en")
    texts = sheet_texts(written(NATIONAL))
    assert "准考证号" in texts and "Name" not in texts


# --- rendered by LibreOffice ----------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sheet")
    files = {
        "national": folder / "national.docx",
        "long": folder / "long.docx",
        "copies": folder / "copies.docx",
    }
    files["national"].write_bytes(written(NATIONAL))
    files["long"].write_bytes(written(LONG))
    files["copies"].write_bytes(written(LONG, serials=SERIALS))
    pdfs = render_pdfs(list(files.values()), folder / "pdf")
    return dict(zip(files, pdfs, strict=True))


def numbers_in_order(text: str, last: int) -> bool:
    return out_of_order(text, [f"{n}[" for n in range(1, last + 1)]) is None


@needs_office
def test_pdf_hundred_items_on_one_page(rendered: dict[str, Path]) -> None:
    pdf = rendered["national"]
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    assert numbers_in_order(text, 100)
    flat = compact(text)
    assert "第1页共1页" in flat and "准考证号" in flat and "试卷编号" in flat
    assert "[A][B][C][D][E]" in flat


@needs_office
def test_pdf_longer_paper_continues_with_the_header(rendered: dict[str, Path]) -> None:
    pdf = rendered["long"]
    assert pdf_pages(pdf) == 2
    pages = pdf_text(pdf).split("\f")[:2]
    assert numbers_in_order("".join(pages), 150)
    for number, page in enumerate(pages, start=1):
        flat = compact(page)
        assert "电工（四级）理论知识试卷" in flat and "A卷答题卡" in flat
        assert "姓名" in flat and "准考证号" in flat and "试卷编号" in flat
        assert f"第{number}页共2页" in flat
    assert "（续）" in pages[1]
    copies = rendered["copies"]
    assert pdf_pages(copies) == 4
    for index, page in enumerate(pdf_text(copies).split("\f")[:4]):
        assert f"第{index % 2 + 1}页共2页" in compact(page)
        assert SERIALS[index // 2] in page


def page_pixels(pdf: Path, page: int) -> tuple[int, int, bytes]:
    """Width, height and grey bytes of one page at `DPI` (pdftoppm's PGM)."""
    data = subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-gray", "-f", str(page), "-l", str(page), str(pdf)],
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout
    fields = data.split(maxsplit=4)
    assert fields[0] == b"P5" and fields[3] == b"255"
    width, height = int(fields[1]), int(fields[2])
    return width, height, fields[4][-width * height :]


def dark_share(pixels: tuple[int, int, bytes], x_mm: float, y_mm: float, size_mm: float) -> float:
    """Share of dark pixels in the square at (`x_mm`, `y_mm`) `size_mm` wide."""
    width, _, grey = pixels
    x0, y0, side = round(x_mm * MM), round(y_mm * MM), round(size_mm * MM)
    values = [grey[(y0 + dy) * width + x0 + dx] for dy in range(side) for dx in range(side)]
    return sum(v < 96 for v in values) / len(values)


@needs_office
@pytest.mark.parametrize(("name", "page"), [("national", 1), ("long", 2), ("copies", 3)])
def test_pdf_corner_marks(rendered: dict[str, Path], name: str, page: int) -> None:
    pixels = page_pixels(rendered[name], page)
    width_mm, height_mm = pixels[0] / MM, pixels[1] / MM
    assert (round(width_mm), round(height_mm)) == (210, 297)
    inside = (8.0, width_mm - 12.0)  # the marks: 6 mm squares 7 mm in from the edges
    for x in inside:
        for y in (8.0, height_mm - 12.0):
            assert dark_share(pixels, x, y, 4.0) > 0.95, (x, y)
    for x in (1.0, width_mm - 5.0):  # the margin outside them stays white
        for y in (1.0, height_mm - 5.0):
            assert dark_share(pixels, x, y, 4.0) == 0.0, (x, y)
    assert dark_share(pixels, 40.0, 16.0, 4.0) < 0.5  # no square where none was drawn
