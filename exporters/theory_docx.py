"""Print a theory paper (理论知识试卷) and its answer key as Word files.

Two documents from one `TheoryPaperDoc`, never mixed: the paper carries no answer and no
解析; the key (参考答案及评分标准) is a separate file marked 绝密 with the paper's fingerprint.
The answer sheet (答题卡) is `exporters.answer_sheet_docx`.

The paper follows the national layout: 绝密★启用前 in the header; the vertical 密封线 in the
left binding margin of every odd page (地区, 姓名, 准考证号, 单位 to fill in, 考生答题不准超过
此线; `exporters.docx_page.SealLine`); title, occupation (工种), level, paper code, time and
full marks; 注意事项; the score table (题号 / 一 / 二 … / 总分 / 统分人 with a 得分 row); then
each section with its 得分/评分人 box and its heading with the national instruction
(`一、判断题（第1题～第20题。将判断结果填入括号中。正确的填“√”，错误的填“×”。每题1分，满分
20分。）`), items numbered continuously with a hanging indent, judgement items opening with an
empty answer bracket, choice stems with a widened one, and options packed four or two to a
line when they are short enough.

The answer bracket is the two characters `（）` with the opening one's character spacing
widened (`w:spacing`): LibreOffice breaks a Chinese line inside `（` + spaces + `）` whatever
the spaces (no-break, word joiners), never between `（` and `）`.

Labels come from the message catalogue (`doc.*`) in the document's language (`lang`, default
Chinese), never the operator's: `QBANK_LANG=en` prints the same paper.

`serials`: one copy per serial in one file, each its own section with the serial in its
header and footer and page numbers restarting at 1 (`exporters.docx_page.write_copies`).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Pt
from docx.text.paragraph import Paragraph

from exporters.docx_page import (
    BODY_SIZE,
    HEADING_FONT,
    INFO,
    PAPER_HEADING,
    PAPER_TITLE,
    SECTION_HEADING,
    SealLine,
    add_text,
    keep_with_next,
    new_document,
    row_height,
    save,
    set_cell_text,
    table,
    text_width,
    write_copies,
)
from qbank.i18n import DOCUMENT_LANGUAGE, tr
from qbank.printing import PrintedItem, PrintedOption, PrintedSection, TheoryPaperDoc
from qbank.text.scripts import plain

__all__ = [
    "options_per_line",
    "seal_line",
    "section_heading",
    "write_answer_key",
    "write_theory_paper",
]

Target = str | Path | BinaryIO

_EMPTY_BRACKET = re.compile(r"[（(][\s\u3000]*[）)]")
_BLANK = "\x00"  # where `_add_stem` puts the answer bracket
_BLANK_WIDTH = 2  # room inside the bracket, in full-width characters
_OPTION_INDENT_UNITS = 4  # two Chinese characters
_OPTION_GAP_UNITS = 4
_KEY_COLUMNS = 10
_INFO_SEP = "\u3000\u3000"


def write_theory_paper(
    doc: TheoryPaperDoc,
    path: Target,
    *,
    serials: Sequence[str] | None = None,
    pages: int | None = None,
    lang: str = DOCUMENT_LANGUAGE,
) -> None:
    """Write the candidates' paper: no answers, no explanations.

    `serials`: None for one copy without a serial, else one copy per serial in the file.
    `pages`: pages of one copy when known, so renderers that do not compute the SECTIONPAGES
    field (LibreOffice) print the right 共 y 页 (see `exporters.docx_page`). `lang`: the
    language of the labels. Side effects: writes `path` (or the open file) and nothing else.
    """
    paper_code = tr("doc.paper_code", lang=lang, code=doc.paper_code)
    document = _document(doc, f"{doc.title} {paper_code}")
    writer = _PaperWriter(document, doc, lang)
    write_copies(
        document,
        serials,
        header_text=tr("doc.secret", lang=lang),
        write=writer.paper,
        pages=pages,
        lang=lang,
        seal=seal_line(lang),
    )
    save(document, path)


def write_answer_key(doc: TheoryPaperDoc, path: Target, *, lang: str = DOCUMENT_LANGUAGE) -> None:
    """Write the answer key and scoring guide (参考答案及评分标准), one copy, marked 绝密 with
    the paper's fingerprint, labels in `lang`. Side effects: writes `path` (or the open
    file)."""
    document = _document(doc, tr("doc.key_title", lang=lang, title=doc.title, code=doc.paper_code))
    writer = _KeyWriter(document, doc, lang)
    short = tr("doc.fingerprint_short", lang=lang, fingerprint=doc.fingerprint[:16])
    write_copies(
        document,
        [short],
        header_text=tr("doc.secret_key", lang=lang),
        write=writer.key,
        lang=lang,
    )
    save(document, path)


def seal_line(lang: str = DOCUMENT_LANGUAGE) -> SealLine:
    """The 密封线 of the national theory paper: 地区, 姓名, 准考证号, 单位, and the note."""
    return SealLine(
        fields=tuple(
            tr(key, lang=lang)
            for key in ("doc.seal_region", "doc.name", "doc.admission", "doc.unit")
        ),
        words=tuple(tr("doc.seal_line", lang=lang).split(" ")),
        note=tr("doc.seal_note", lang=lang),
    )


def _document(doc: TheoryPaperDoc, title: str) -> Document:
    return new_document(
        title=title,
        subject=f"{doc.occupation_name} {doc.level_name}",
        keywords=f"{doc.batch_code} {doc.paper_code}",
    )


def _score(value: float) -> str:
    """`20`, `2.5`: the shortest text that reads back as the same number."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _units(text: str) -> int:
    """Width of `text` in half-width cells, erring wide: a Chinese (or ambiguous-width, such
    as ²) character takes two, and every switch between Chinese and Latin text one more,
    for the space renderers put between them."""
    wide = [unicodedata.east_asian_width(c) in "WFA" for c in text]
    switches = sum(a != b for a, b in itertools.pairwise(wide))
    return sum(2 if w else 1 for w in wide) + switches


def options_per_line(options: Sequence[PrintedOption], line_units: int) -> int:
    """How many options share a line: 4 when every option fits a quarter of the line, 2 when
    every one fits half of it, else 1 (`line_units`: half-width cells after the indent)."""
    if not options:
        return 1
    widest = max(_units(plain(_option_text(o))) for o in options) + _OPTION_GAP_UNITS
    for per_line in (4, 2):
        if len(options) >= per_line and widest <= line_units / per_line:
            return per_line
    return 1


def _option_text(option: PrintedOption) -> str:
    return f"{option.letter}．{option.text}"


def _printed_stem(item: PrintedItem) -> str:
    """The stem as the paper shows it, `_BLANK` where the answer bracket goes: judgement
    items open with it; a choice stem's empty bracket becomes it (or it is added at the end
    when the stem has none)."""
    if item.type == "judgement":
        return f"{_BLANK}{item.stem}"
    if _EMPTY_BRACKET.search(item.stem):
        return _EMPTY_BRACKET.sub(_BLANK, item.stem)
    return f"{item.stem}{_BLANK}"


def _add_stem(paragraph: Paragraph, text: str) -> None:
    """`text` as runs (sub- and superscripts raised and lowered), each `_BLANK` an answer
    bracket `（）` whose opening half is widened by character spacing (an unbreakable blank;
    see the module notes)."""
    for index, part in enumerate(text.split(_BLANK)):
        if index:
            opening = paragraph.add_run("（")
            spacing = OxmlElement("w:spacing")
            spacing.set(qn("w:val"), str(round(BODY_SIZE * _BLANK_WIDTH * 20)))  # twips
            opening._r.get_or_add_rPr().append(spacing)
            paragraph.add_run("）")
        add_text(paragraph, part)


def _hang(paragraph: Paragraph, number: int) -> None:
    """Wrap the lines of `paragraph` under the text after its number `n．` (a hanging indent
    as wide as the number: half a character per digit and a full-width stop)."""
    width = Pt(BODY_SIZE * (len(str(number)) / 2 + 1))
    paragraph.paragraph_format.left_indent = width
    paragraph.paragraph_format.first_line_indent = -width


def section_heading(section: PrintedSection, index: int, lang: str = DOCUMENT_LANGUAGE) -> str:
    """`一、判断题（第1题～第20题。将判断结果填入括号中。…每题1分，满分20分。）`, with the
    national instruction sentence of the section's item type."""
    return tr(
        "doc.section",
        lang=lang,
        ordinal=section.ordinal,
        index=index,
        title=section.title,
        first=section.first,
        last=section.last,
        instruction=tr(f"doc.section_instruction.{section.type}", lang=lang),
        each=_score(section.score_each),
        total=_score(section.total),
    )


class _Writer:
    """Shared pieces of the paper and the key; labels in `lang`."""

    def __init__(self, document: Document, doc: TheoryPaperDoc, lang: str) -> None:
        self.document = document
        self.doc = doc
        self.lang = lang
        self.width = text_width(document.sections[0])

    def tr(self, key: str, **params: object) -> str:
        return tr(key, lang=self.lang, **params)

    def line(self, text: str, style: str | None = None) -> Paragraph:
        return self.document.add_paragraph(text, style=style)

    def info_lines(self, *, with_time: bool) -> None:
        doc = self.doc
        name = doc.occupation_name
        if doc.work_type and doc.work_type != name:
            name = f"{name}（{doc.work_type}）"
        self.line(
            _INFO_SEP.join(
                (
                    self.tr("doc.occupation", name=name),
                    self.tr("doc.level", level=doc.level, name=doc.level_name),
                    self.tr("doc.paper", code=doc.paper_code),
                )
            ),
            INFO,
        )
        if with_time:
            self.line(
                _INFO_SEP.join(
                    (
                        self.tr("doc.duration", minutes=doc.duration_minutes),
                        self.tr("doc.total_score", score=_score(doc.total_score)),
                    )
                ),
                INFO,
            )
        self.line(
            _INFO_SEP.join(
                (
                    self.tr("doc.batch", code=doc.batch_code),
                    self.tr("doc.exam_date", date=doc.exam_date),
                    self.tr("doc.site", site=doc.site),
                )
            ),
            INFO,
        )

    def heading(self, section: PrintedSection, index: int) -> Paragraph:
        return self.line(section_heading(section, index, self.lang), SECTION_HEADING)


class _PaperWriter(_Writer):
    def paper(self) -> None:
        """One copy of the paper (the 密封线 is in the odd pages' header)."""
        doc = self.doc
        self.line(doc.title, PAPER_TITLE)
        self.info_lines(with_time=True)
        self.notices()
        self.score_table()
        for index, section in enumerate(doc.sections, start=1):
            self.section_box()
            self.heading(section, index)
            for item in section.items:
                self.item(item)

    def notices(self) -> None:
        heading = self.line(self.tr("doc.notice_title"), SECTION_HEADING)
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        keys = ("time", "identity", "read", "marks", "clean")
        for number, key in enumerate(keys, start=1):
            text = self.tr(f"doc.notice.{key}", minutes=self.doc.duration_minutes)
            paragraph = self.line(f"{number}．{text}")
            paragraph.paragraph_format.first_line_indent = Pt(BODY_SIZE * 2)

    def score_table(self) -> None:
        """题号 | 一 | 二 | … | 总分 | 统分人, and the 得分 row below."""
        sections = self.doc.sections
        titles = [self.tr("doc.score_part")]
        titles += [
            self.tr("doc.section_ordinal", ordinal=s.ordinal, index=i)
            for i, s in enumerate(sections, start=1)
        ]
        titles += [self.tr("doc.score_total"), self.tr("doc.score_totaller")]
        width = min(2.4, self.width.cm / len(titles))
        rows = table(self.document, [width] * len(titles), 2)
        for cell, title in zip(rows[0], titles, strict=True):
            set_cell_text(cell, title, font=HEADING_FONT)
        set_cell_text(rows[1][0], self.tr("doc.score"), font=HEADING_FONT)
        row_height(rows[1], 1.0)
        self.line("")

    def section_box(self) -> None:
        """The small 得分 / 评分人 box before each section, kept with its heading."""
        rows = table(self.document, [1.8, 2.2], 2, align=WD_TABLE_ALIGNMENT.LEFT)
        for cells, key in zip(rows, ("doc.score", "doc.marker"), strict=True):
            keep_with_next(set_cell_text(cells[0], self.tr(key), font=HEADING_FONT))
            keep_with_next(cells[1].paragraphs[0])

    def item(self, item: PrintedItem) -> None:
        stem = self.line("")
        _add_stem(stem, f"{item.number}．{_printed_stem(item)}")
        _hang(stem, item.number)
        stem.paragraph_format.keep_together = True
        if not item.options:
            return
        keep_with_next(stem)
        indent = Pt(BODY_SIZE * _OPTION_INDENT_UNITS / 2)
        usable = self.width - indent
        per_line = options_per_line(item.options, int(usable / Pt(BODY_SIZE / 2)))
        column = usable // per_line
        rows = [item.options[i : i + per_line] for i in range(0, len(item.options), per_line)]
        for number, row in enumerate(rows, start=1):
            paragraph = self.line("")
            for index, option in enumerate(row):
                add_text(paragraph, ("\t" if index else "") + _option_text(option))
            fmt = paragraph.paragraph_format
            fmt.left_indent = indent
            fmt.keep_together = True
            for k in range(1, per_line):
                fmt.tab_stops.add_tab_stop(Length(indent + k * column), WD_TAB_ALIGNMENT.LEFT)
            if number < len(rows):
                keep_with_next(paragraph)


class _KeyWriter(_Writer):
    def key(self) -> None:
        """The answer key: answers per section in a 题号/答案 grid, scoring rules, 解析."""
        doc = self.doc
        self.line(doc.title, PAPER_TITLE)
        self.line(self.tr("doc.key_subtitle", code=doc.paper_code), PAPER_HEADING)
        self.info_lines(with_time=False)
        self.line(self.tr("doc.fingerprint", fingerprint=doc.fingerprint), INFO)
        for index, section in enumerate(doc.sections, start=1):
            self.heading(section, index)
            self.answers(section.items)
            self.line(self.tr(f"doc.scoring.{section.type}", each=_score(section.score_each)))
        explained = [i for i in doc.items if i.explanation]
        if explained:
            self.line(self.tr("doc.explanations"), SECTION_HEADING)
            for item in explained:
                paragraph = self.line("")
                add_text(paragraph, f"{item.number}．{item.answer}　{item.explanation}")
                _hang(paragraph, item.number)

    def answers(self, items: Sequence[PrintedItem]) -> None:
        """Rows of ten: 题号 then 答案, the label in the first column."""
        blocks = [items[i : i + _KEY_COLUMNS] for i in range(0, len(items), _KEY_COLUMNS)]
        label = 1.6
        each = (self.width.cm - label) / _KEY_COLUMNS
        rows = table(self.document, [label] + [each] * _KEY_COLUMNS, 2 * len(blocks))
        for block, numbers, answers in zip(blocks, rows[0::2], rows[1::2], strict=True):
            set_cell_text(numbers[0], self.tr("doc.key_number"), font=HEADING_FONT)
            set_cell_text(answers[0], self.tr("doc.key_answer"), font=HEADING_FONT)
            for item, number, answer in zip(block, numbers[1:], answers[1:], strict=False):
                set_cell_text(number, str(item.number))
                set_cell_text(answer, item.answer, bold=True)
        self.line("")
