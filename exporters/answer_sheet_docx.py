"""Print the answer sheet (答题卡) of a theory paper as a Word file laid out page by page.

One A4 page holds a 100-item paper: the title, the paper's line (occupation, level, paper,
batch, date, site), the candidate box (姓名, 试卷编号 to copy from the paper, and one box per
digit of the 准考证号), the marking note, then each section as a short heading (题型 and item
range: the paper's instruction sentences are about its brackets, not the sheet) over rows of
five items, each its number and the marks to circle: [√][×] for 判断, [A][B][C][D] (and E…
when an item has more options) for choices; a section whose items carry so many options
that five do not fit a row gets fewer per row. Solid squares in the four corners of every
page (`exporters.docx_page.corner_marks`) let a scanner or a marker's overlay line up.

The pages are laid out here, not by the renderer: every line has an exact height (exact line
spacing, exact row heights), the rows are filled into pages of a known height with room to
spare, and a longer paper continues on a new page that repeats the title and the candidate
box (a page that strays from its copy still names the candidate) and marks a continued
section's heading 续. So the page count of one copy is known without rendering, and it is
what the footer's 共 y 页 says unless the caller passes a counted one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row, CT_Tbl
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from exporters.docx_page import (
    BODY_FONT,
    BODY_SIZE,
    HEADING_FONT,
    INFO,
    PAPER_HEADING,
    PAPER_TITLE,
    SECTION_HEADING,
    corner_marks,
    new_document,
    save,
    set_cell_text,
    set_fonts,
    table,
    text_units,
    text_width,
    write_copies,
)
from qbank.i18n import DOCUMENT_LANGUAGE, tr
from qbank.printing import PrintedItem, PrintedSection, TheoryPaperDoc

__all__ = ["ADMISSION_DIGITS", "ITEMS_PER_ROW", "sheet_pages", "write_answer_sheet"]

Target = str | Path | BinaryIO

ITEMS_PER_ROW = 5
ADMISSION_DIGITS = 16
"""Boxes for the 准考证号, one digit each: room for the longest numbers in use."""

_MARGIN_MM = 20.0  # top and bottom
_SIDE_MARGIN_MM = 15.0  # left and right: a fifth of the line holds [A]…[E], clear of the marks
_PAGE_HEIGHT_PT = (297.0 - 2 * _MARGIN_MM) / 25.4 * 72
_SLACK = 0.93  # of the page the layout fills at most: room for borders and rounding
_MARK_SIZE = 10.0  # pt, the marks and item numbers
_MARK_CM = 0.48  # one "[A]" at _MARK_SIZE in Times/Liberation Serif (13.9 pt at the widest)
_NUMBER_CM = 0.8  # an item number up to 3 digits, bold
_CELL_MARGIN_CM = 0.08
_ROW_CM = 0.7  # a row of items: room to circle a mark
_CANDIDATE_ROW_CM = 0.9
_NAME_COLUMNS = 7  # digit columns the 姓名 blank spans; the rest holds 试卷编号 and its blank
_SERIAL_LABEL_COLUMNS = 3
_PT_PER_CM = 72 / 2.54

# Exact line heights and spacing (pt) of the paragraphs the sheet writes: (line, before, after).
_TITLE = (24.0, 0.0, 0.0)
_SUBTITLE = (20.0, 0.0, 4.0)
_INFO = (15.0, 0.0, 0.0)
_NOTICE = (15.0, 4.0, 2.0)
_HEADING = (18.0, 6.0, 3.0)


def write_answer_sheet(
    doc: TheoryPaperDoc,
    path: Target,
    *,
    serials: Sequence[str] | None = None,
    pages: int | None = None,
    lang: str = DOCUMENT_LANGUAGE,
) -> None:
    """Write the candidates' answer sheet numbered as the paper, one copy per serial.

    `serials`: None for one copy without a serial. `pages`: pages of one copy when counted
    from a rendering; by default the layout's own count (`sheet_pages`). `lang`: the
    language of the labels. Side effects: writes `path` (or the open file) and nothing else.
    """
    document = new_document(
        title=tr("doc.sheet_title", lang=lang, title=doc.title, code=doc.paper_code),
        subject=f"{doc.occupation_name} {doc.level_name}",
        keywords=f"{doc.batch_code} {doc.paper_code}",
        margin_mm=_MARGIN_MM,
    )
    _side_margins(document)
    writer = _SheetWriter(document, doc, lang)
    layout = writer.layout()
    write_copies(
        document,
        serials,
        header_text=tr("doc.sheet_header", lang=lang, code=doc.paper_code),
        write=lambda: writer.write(layout),
        pages=pages if pages is not None else len(layout),
        lang=lang,
    )
    for section in document.sections:
        corner_marks(section)
    save(document, path)


def sheet_pages(doc: TheoryPaperDoc, lang: str = DOCUMENT_LANGUAGE) -> int:
    """Pages of one copy of the answer sheet of `doc`."""
    document = new_document(title="", subject="", margin_mm=_MARGIN_MM)
    _side_margins(document)
    return len(_SheetWriter(document, doc, lang).layout())


def _side_margins(document: Document) -> None:
    section = document.sections[0]
    section.left_margin = section.right_margin = Mm(_SIDE_MARGIN_MM)


@dataclass(frozen=True)
class _Block:
    """Rows of one section on one page; `continued` when the section began on a page before."""

    section: PrintedSection
    index: int  # 1-based, for the English heading
    per_row: int
    rows: tuple[tuple[PrintedItem, ...], ...]
    continued: bool


def _height(spacing: tuple[float, float, float], lines: int = 1) -> float:
    line, before, after = spacing
    return line * lines + before + after


def _marks(item: PrintedItem) -> str:
    marks = ["√", "×"] if item.type == "judgement" else [o.letter for o in item.options]
    return "".join(f"[{m}]" for m in marks)


class _SheetWriter:
    def __init__(self, document: Document, doc: TheoryPaperDoc, lang: str) -> None:
        self.document = document
        self.doc = doc
        self.lang = lang
        self.width_cm: float = text_width(document.sections[0]).cm

    def tr(self, key: str, **params: object) -> str:
        return tr(key, lang=self.lang, **params)

    # --- the layout: which rows go on which page --------------------------------------------

    def info_texts(self) -> list[str]:
        doc = self.doc
        name = doc.occupation_name
        if doc.work_type and doc.work_type != name:
            name = f"{name}（{doc.work_type}）"
        return [
            "\u3000\u3000".join(
                (
                    self.tr("doc.occupation", name=name),
                    self.tr("doc.level", level=doc.level, name=doc.level_name),
                    self.tr("doc.paper", code=doc.paper_code),
                )
            ),
            "\u3000\u3000".join(
                (
                    self.tr("doc.batch", code=doc.batch_code),
                    self.tr("doc.exam_date", date=doc.exam_date),
                    self.tr("doc.site", site=doc.site),
                )
            ),
        ]

    def lines(self, text: str, size: float = BODY_SIZE) -> int:
        """Lines `text` takes across the page at `size` pt, erring high."""
        per_line = self.width_cm * _PT_PER_CM / (size / 2)
        return max(1, math.ceil(text_units(text) * 1.05 / per_line))

    def header_height(self, first: bool) -> float:
        height = _height(_TITLE) + _height(_SUBTITLE)
        height += 2 * _CANDIDATE_ROW_CM * _PT_PER_CM + 4
        if first:
            height += sum(_height(_INFO, self.lines(t)) for t in self.info_texts())
            height += _height(_NOTICE, self.lines(self.tr("doc.sheet_notice")))
        return height

    def per_row(self, section: PrintedSection) -> int:
        """Items a row of `section` holds: five unless their marks are too wide for a fifth of
        the line."""
        widest = max((len(_marks(i)) // 3 for i in section.items), default=2)
        needed = _NUMBER_CM + widest * _MARK_CM + 4 * _CELL_MARGIN_CM
        return max(1, min(ITEMS_PER_ROW, int(self.width_cm // needed)))

    def layout(self) -> list[list[_Block]]:
        """The pages of one copy, each the blocks of rows on it."""
        pages: list[list[_Block]] = [[]]
        room = _PAGE_HEIGHT_PT * _SLACK - self.header_height(first=True)
        row = _ROW_CM * _PT_PER_CM
        for index, section in enumerate(self.doc.sections, start=1):
            per_row = self.per_row(section)
            items = section.items
            rows = [tuple(items[i : i + per_row]) for i in range(0, len(items), per_row)]
            done = 0
            while done < len(rows):
                fits = int((room - _height(_HEADING)) // row)
                if fits < 1:
                    pages.append([])
                    room = _PAGE_HEIGHT_PT * _SLACK - self.header_height(first=False)
                    continue
                taken = tuple(rows[done : done + fits])
                pages[-1].append(_Block(section, index, per_row, taken, done > 0))
                room -= _height(_HEADING) + len(taken) * row
                done += len(taken)
        return pages

    # --- writing ---------------------------------------------------------------------------

    def line(
        self, text: str, spacing: tuple[float, float, float], style: str | None = None
    ) -> Paragraph:
        paragraph = self.document.add_paragraph(text, style=style)
        fmt = paragraph.paragraph_format
        line, before, after = spacing
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
        fmt.space_before, fmt.space_after = Pt(before), Pt(after)
        return paragraph

    def write(self, pages: list[list[_Block]]) -> None:
        """One copy: each page its header, then its blocks."""
        for number, blocks in enumerate(pages):
            self.header(first=number == 0)
            for block in blocks:
                self.block(block)

    def header(self, *, first: bool) -> None:
        doc = self.doc
        title = self.line(doc.title, _TITLE, PAPER_TITLE)
        title.paragraph_format.page_break_before = not first
        subtitle = self.tr("doc.sheet_subtitle", code=doc.paper_code)
        if not first:
            subtitle += self.tr("doc.sheet_continued")
        self.line(subtitle, _SUBTITLE, PAPER_HEADING)
        if first:
            for text in self.info_texts():
                self.line(text, _INFO, INFO)
        self.candidate_box()
        if first:
            self.line(self.tr("doc.sheet_notice"), _NOTICE)

    def candidate_box(self) -> None:
        """姓名 and 试卷编号 with room to write; 准考证号 with a box per digit."""
        label = 2.2
        digit = (self.width_cm - label) / ADMISSION_DIGITS
        rows = table(self.document, [label] + [digit] * ADMISSION_DIGITS, 2)
        first, second = rows
        serial_from = 1 + _NAME_COLUMNS
        blank_from = serial_from + _SERIAL_LABEL_COLUMNS
        first[1].merge(first[serial_from - 1])
        serial_label = first[serial_from].merge(first[blank_from - 1])
        first[blank_from].merge(first[-1])
        set_cell_text(first[0], self.tr("doc.name"), font=HEADING_FONT)
        set_cell_text(serial_label, self.tr("doc.sheet_serial"), font=HEADING_FONT)
        set_cell_text(second[0], self.tr("doc.admission"), font=HEADING_FONT)
        for cells in rows:
            _exact_height(cells[0], _CANDIDATE_ROW_CM)

    def block(self, block: _Block) -> None:
        section = block.section
        heading = self.tr(
            "doc.sheet_section",
            ordinal=section.ordinal,
            index=block.index,
            title=section.title,
            first=section.first,
            last=section.last,
        )
        if block.continued:
            heading += self.tr("doc.sheet_continued")
        self.line(heading, _HEADING, SECTION_HEADING)
        mark = (self.width_cm / block.per_row) - _NUMBER_CM
        rows = table(self.document, [_NUMBER_CM, mark] * block.per_row, len(block.rows))
        _cell_margins(rows[0][0], _CELL_MARGIN_CM)
        for items, cells in zip(block.rows, rows, strict=True):
            for item, number, marks in zip(items, cells[0::2], cells[1::2], strict=False):
                set_cell_text(
                    number,
                    str(item.number),
                    bold=True,
                    size=_MARK_SIZE,
                    align=WD_ALIGN_PARAGRAPH.RIGHT,
                )
                paragraph = set_cell_text(marks, "", align=WD_ALIGN_PARAGRAPH.LEFT)
                set_fonts(paragraph.add_run(_marks(item)), BODY_FONT, _MARK_SIZE)
            _exact_height(cells[0], _ROW_CM)


def _exact_height(cell: _Cell, height_cm: float) -> None:
    """The row holding `cell` exactly `height_cm` tall (the page layout counts on it)."""
    properties = cast(CT_Row, cell._tc.getparent()).get_or_add_trPr()
    height = OxmlElement("w:trHeight")
    height.set(qn("w:val"), str(round(Cm(height_cm).twips)))
    height.set(qn("w:hRule"), "exact")
    properties.append(height)


def _cell_margins(cell: _Cell, margin_cm: float) -> None:
    """Left and right cell margins of the table holding `cell` (`w:tblCellMar`)."""
    row = cast(CT_Row, cell._tc.getparent())
    tbl_pr = cast(CT_Tbl, row.getparent()).tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(round(Cm(margin_cm).twips)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    look = tbl_pr.find(qn("w:tblLook"))  # the schema puts the margins before it
    if look is None:
        tbl_pr.append(margins)
    else:
        look.addprevious(margins)
