"""Shared page setup for printed Word documents: A4, fonts, headers, page numbers, copies.

Every printed document (theory paper, answer key, answer sheet, practical paper, notices,
scoring record) starts from `new_document`, so they share one look: A4 portrait, 宋体 五号
(10.5 pt) body text and 黑体 headings set as East Asian fonts (Word and LibreOffice use the
East Asian font for Chinese characters; with only a Latin font they fall back to whatever
font they like), Latin text in Times New Roman, Chinese (zh-CN) as the East Asian language
so a renderer without SimSun/SimHei falls back to a Simplified Chinese face (Noto CJK SC).
No font is embedded.

Copies: a print run puts N copies of a paper in one file, one section per copy. Each copy
section restarts its page numbers at 1, and the footer counts pages with the SECTIONPAGES
field (pages of this copy), not NUMPAGES (pages of the whole file). LibreOffice (7.x) does
not compute SECTIONPAGES and prints the field's stored result instead, so a caller that
knows how many pages one copy has passes it as `pages` and it is stored as that result
(Word recomputes it anyway). A file with one copy has one section, where NUMPAGES is the
same number and every renderer computes it: `write_copies` uses NUMPAGES there while the
copy's length is unknown (a blank back for duplex would count in NUMPAGES).

Labels (the page line) are in the document's own language, `lang` (default
`qbank.i18n.DOCUMENT_LANGUAGE`), never the operator's. A theory paper passes a `SealLine`:
the national 密封线, a text box anchored in the header of every odd page that stands in the
left binding margin with its text turned to read upwards (DrawingML `vert270`, which Word and
LibreOffice both render); even pages get the same header and footer without it.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast
from xml.sax.saxutils import escape

import docx
from docx.document import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section, _Footer, _Header
from docx.shared import Cm, Emu, Length, Mm, Pt
from docx.styles.style import ParagraphStyle, _TableStyle
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from qbank.i18n import DOCUMENT_LANGUAGE, tr
from qbank.text import scripts

__all__ = [
    "BODY_FONT",
    "BODY_SIZE",
    "HEADING_FONT",
    "INFO",
    "LATIN_FONT",
    "PAPER_HEADING",
    "PAPER_TITLE",
    "SECTION_HEADING",
    "SealLine",
    "add_field",
    "add_text",
    "breakable",
    "content_widths",
    "corner_marks",
    "fit_columns",
    "header_row",
    "keep_rows_whole",
    "keep_with_next",
    "new_copy_section",
    "new_document",
    "row_height",
    "save",
    "set_cell_text",
    "set_fonts",
    "set_header_footer",
    "table",
    "text_units",
    "text_width",
    "write_copies",
]

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = 10.5  # 五号
EAST_ASIAN_LANGUAGE = "zh-CN"

# Paragraph styles every document made by `new_document` has (name -> size, alignment).
PAPER_TITLE = "Paper Title"  # 黑体 三号, centred
PAPER_HEADING = "Paper Heading"  # 黑体 四号, centred
SECTION_HEADING = "Section Heading"  # 黑体 小四, left, kept with the next paragraph
INFO = "Paper Info"  # body text, centred
_HEADING_STYLES = (
    (PAPER_TITLE, 16.0, WD_ALIGN_PARAGRAPH.CENTER, 0.0),
    (PAPER_HEADING, 14.0, WD_ALIGN_PARAGRAPH.CENTER, 12.0),
    (SECTION_HEADING, 12.0, WD_ALIGN_PARAGRAPH.LEFT, 6.0),
)
_THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def new_document(
    *, title: str, subject: str, keywords: str | None = None, margin_mm: float = 25.0
) -> Document:
    """An empty A4 portrait document with the shared fonts and styles.

    Styles: Normal (宋体 10.5 pt), `PAPER_TITLE`, `PAPER_HEADING`, `SECTION_HEADING` (黑体,
    bold) and `INFO`; the first section restarts page numbering at 1 like every copy section.
    `title`, `subject` and `keywords` go to the document properties.
    """
    document = docx.Document()
    core = document.core_properties
    core.title = title
    core.subject = subject
    if keywords:
        core.keywords = keywords
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(margin_mm)
    section.left_margin = section.right_margin = Mm(margin_mm)
    section.header_distance = section.footer_distance = Mm(min(12.0, margin_mm / 2))
    _restart_page_numbers(section)
    _set_defaults(document)
    styles = document.styles
    normal = cast(ParagraphStyle, styles["Normal"])
    set_fonts(normal, BODY_FONT, BODY_SIZE)
    normal.paragraph_format.space_after = Pt(3)
    for name, size, align, before in _HEADING_STYLES:
        style = cast(ParagraphStyle, styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH))
        style.base_style = normal
        set_fonts(style, HEADING_FONT, size, bold=True)
        style.paragraph_format.alignment = align
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True
    for name in ("Header", "Footer"):  # their tab stops are set for Letter paper
        _drop_tabs(styles[name].element.get_or_add_pPr())
    info = cast(ParagraphStyle, styles.add_style(INFO, WD_STYLE_TYPE.PARAGRAPH))
    info.base_style = normal
    info.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return document


def set_fonts(
    target: ParagraphStyle | Run,
    east_asian: str,
    size: float | None = None,
    *,
    bold: bool | None = None,
) -> None:
    """Latin and East Asian font (and size, bold) of a style or run; theme fonts removed so
    they cannot override the named fonts."""
    font = target.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = target.element if isinstance(target, ParagraphStyle) else target._r
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    for theme in _THEME_FONTS:
        fonts.attrib.pop(qn(theme), None)


def _set_defaults(document: Document) -> None:
    """Document-wide run defaults: named fonts instead of theme fonts, zh-CN East Asian
    language (the default template says en-US, which makes renderers pick a Japanese face
    for CJK fallback)."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    assert defaults is not None, "python-docx's default template has docDefaults"
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    assert rpr is not None, "python-docx's default template has run defaults"
    fonts = rpr.find(qn("w:rFonts"))
    assert fonts is not None, "python-docx's default template names default fonts"
    for theme in _THEME_FONTS:
        fonts.attrib.pop(qn(theme), None)
    for attr, value in (
        ("w:ascii", LATIN_FONT),
        ("w:hAnsi", LATIN_FONT),
        ("w:cs", LATIN_FONT),
        ("w:eastAsia", BODY_FONT),
    ):
        fonts.set(qn(attr), value)
    lang = rpr.find(qn("w:lang"))
    assert lang is not None, "python-docx's default template names a default language"
    lang.set(qn("w:eastAsia"), EAST_ASIAN_LANGUAGE)


def text_width(section: Section) -> Length:
    """Width between the margins of `section`."""
    return Length(
        cast(Length, section.page_width)
        - cast(Length, section.left_margin)
        - cast(Length, section.right_margin)
    )


def _restart_page_numbers(section: Section) -> None:
    """Number the pages of `section` from 1 (`w:pgNumType w:start="1"`)."""
    sect_pr = section._sectPr
    number_type = sect_pr.find(qn("w:pgNumType"))
    if number_type is None:
        number_type = OxmlElement("w:pgNumType")
        # Schema order: pgNumType follows pgSz/pgMar/paperSrc/pgBorders/lnNumType.
        anchor = sect_pr.find(qn("w:cols"))
        if anchor is None:
            sect_pr.append(number_type)
        else:
            anchor.addprevious(number_type)
    number_type.set(qn("w:start"), "1")


def add_field(run: Run, code: str, placeholder: str = "1") -> None:
    """Append the field `code` (e.g. "PAGE", "SECTIONPAGES") to `run`, with `placeholder`
    as its cached result until the reader updates it."""
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    result = OxmlElement("w:t")
    result.text = placeholder
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instruction, separate, result, end):
        run._r.append(element)


def add_text(paragraph: Paragraph, text: str) -> list[Run]:
    """Append stored item text to `paragraph`: a run per stretch of `qbank.text.scripts`,
    sub- and superscripts as real ones (`w:vertAlign`), the markup itself never printed.
    Every exporter prints item text (stems, options, answers, explanations) through this."""
    runs = []
    for part, position in scripts.split(text):
        run = paragraph.add_run(part)
        if position == scripts.SUBSCRIPT:
            run.font.subscript = True
        elif position == scripts.SUPERSCRIPT:
            run.font.superscript = True
        runs.append(run)
    return runs


def _tab_stops(paragraph: Paragraph, width: Length) -> None:
    """Centre and right tab stops for a header/footer line `width` wide."""
    stops = paragraph.paragraph_format.tab_stops
    stops.add_tab_stop(Length(width // 2), WD_TAB_ALIGNMENT.CENTER)
    stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)


def _drop_tabs(ppr: BaseOxmlElement) -> None:
    """Remove the tab stops of a paragraph or style's properties."""
    tabs = ppr.find(qn("w:tabs"))
    if tabs is not None:
        ppr.remove(tabs)


@dataclass(frozen=True)
class SealLine:
    """The national 密封线 of a theory paper: `fields` to fill in (地区, 姓名, 准考证号, 单位),
    the dotted line with `words` (密 封 线) along it and the `note` (考生答题不准超过此线)."""

    fields: tuple[str, ...]
    words: tuple[str, ...]
    note: str


def set_header_footer(
    section: Section,
    *,
    header_text: str,
    serial: str | None,
    pages: int | None = None,
    count_field: str = "SECTIONPAGES",
    lang: str = DOCUMENT_LANGUAGE,
    seal: SealLine | None = None,
) -> None:
    """Header and footer of one section (one copy).

    Header: `header_text` on the left, `serial` (when given) on the right. Footer: the page
    line (`doc.page_of` in `lang`: 第 x 页 共 y 页, with the PAGE field and `count_field`)
    centred and the serial on the right. `pages`, when known, is stored as the count field's
    result (what LibreOffice prints for SECTIONPAGES); unknown, the stored result is empty
    rather than a wrong number. The section gets its own header and footer, not its
    predecessor's. With `seal`, odd pages' header also anchors the 密封线 in the left margin
    and even pages get their own header and footer without it (the document must have
    `odd_and_even_pages_header_footer` set, as `write_copies` does).
    """
    if count_field not in ("SECTIONPAGES", "NUMPAGES"):
        raise ValueError(f"count_field must be SECTIONPAGES or NUMPAGES, not {count_field!r}")
    parts: list[tuple[_Header, _Footer]] = [(section.header, section.footer)]
    if seal is not None:
        parts.append((section.even_page_header, section.even_page_footer))
    for header, footer in parts:
        header.is_linked_to_previous = False
        footer.is_linked_to_previous = False
        _fill_header(header.paragraphs[0], text_width(section), header_text, serial)
        _fill_footer(footer.paragraphs[0], text_width(section), serial, pages, count_field, lang)
    if seal is not None:
        number = len(section._sectPr.xpath("preceding::w:sectPr")) + 1
        section.header.paragraphs[0].add_run()._r.append(_seal_shape(seal, section, number))


def _fill_header(head: Paragraph, width: Length, text: str, serial: str | None) -> None:
    _tab_stops(head, width)
    head.add_run(text)
    if serial:
        head.add_run(f"\t\t{serial}")


def _fill_footer(
    foot: Paragraph,
    width: Length,
    serial: str | None,
    pages: int | None,
    count_field: str,
    lang: str,
) -> None:
    _tab_stops(foot, width)
    foot.add_run("\t")
    cached = {"PAGE": "1", count_field: str(pages) if pages else ""}
    template = tr("doc.page_of", lang=lang, page="\x00PAGE\x00", pages=f"\x00{count_field}\x00")
    for index, part in enumerate(template.split("\x00")):
        if index % 2:
            add_field(foot.add_run(), part, cached[part])
        elif part:
            foot.add_run(part)
    if serial:
        foot.add_run(f"\t{serial}")


_SEAL_OFFSET = Mm(4)  # from the page's left edge to the 密封线 box
_SEAL_GAP = Mm(3)  # between the box and the text area
_SEAL_SIZE = 10.5
_SEAL_BLANK = 8  # ideographic spaces of underlined room after each field label
_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
)


def _seal_shape(seal: SealLine, section: Section, number: int) -> BaseOxmlElement:
    """The 密封线 as a run's content: a borderless text box from the top to the bottom
    margin, in the left margin, anchored to the page; its text reads upwards, the fields on
    the outside, the note and the dotted line nearest the text. Wrapped the way Word writes
    a text box (`mc:AlternateContent`, choice `wps`), which LibreOffice reads too."""
    left = cast(Length, section.left_margin)
    top = cast(Length, section.top_margin)
    width = Emu(left - _SEAL_OFFSET - _SEAL_GAP)
    height = Emu(cast(Length, section.page_height) - top - cast(Length, section.bottom_margin))
    per_line = int(height / Pt(_SEAL_SIZE))  # full-width characters along the box
    dots = max(2, (per_line - len(seal.words) - 2) // (len(seal.words) + 1))
    blank = "\u3000" * _SEAL_BLANK
    fields = "".join(
        _seal_run(label) + _seal_run(blank, underline=True) + _seal_run("\u3000\u3000")
        for label in seal.fields
    )
    line = _seal_run("…" * dots) + "".join(
        _seal_run(word) + _seal_run("…" * dots) for word in seal.words
    )
    paragraphs = "".join(
        f'<w:p><w:pPr><w:spacing w:before="0" w:after="0"/><w:jc w:val="center"/></w:pPr>'
        f"{runs}</w:p>"
        for runs in (fields, _seal_run(seal.note), line)
    )
    return _anchored_shape(
        number,
        f"seal-line-{number}",
        (_SEAL_OFFSET, top, width, height),
        shape='<wps:cNvSpPr txBox="1"/>',
        look="<a:noFill/>",
        body=(
            f"<wps:txbx><w:txbxContent>{paragraphs}</w:txbxContent></wps:txbx>"
            '<wps:bodyPr rot="0" vert="vert270" wrap="square" lIns="0" tIns="0" rIns="0" '
            'bIns="0" anchor="ctr" anchorCtr="0"><a:noAutofit/></wps:bodyPr>'
        ),
    )


def _seal_run(text: str, *, underline: bool = False) -> str:
    """One run of the 密封线 box: 宋体 at the box's size, `text` XML-escaped (run properties
    in the schema's order, which Word insists on)."""
    size = round(_SEAL_SIZE * 2)
    mark = '<w:u w:val="single"/>' if underline else ""
    return (
        f'<w:r><w:rPr><w:rFonts w:ascii="{LATIN_FONT}" w:hAnsi="{LATIN_FONT}" '
        f'w:eastAsia="{BODY_FONT}" w:hint="eastAsia"/><w:sz w:val="{size}"/>'
        f'<w:szCs w:val="{size}"/>{mark}</w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
    )


_MARK_SIZE = Mm(6)
_MARK_INSET = Mm(7)  # from the page's edges: inside what every printer prints


def corner_marks(
    section: Section, *, size: Length = _MARK_SIZE, inset: Length = _MARK_INSET
) -> None:
    """Solid black squares `size` wide, `inset` from the edges at the four corners of every
    page of `section`, for a scanner or a marker's overlay to line the page up with.

    They are anchored to the page in the section's (default) header, so every page of the
    section has them; a section with separate even-page headers gets them on odd pages only.
    """
    number = len(section._sectPr.xpath("preceding::w:sectPr")) + 1
    right = Emu(cast(Length, section.page_width) - inset - size)
    bottom = Emu(cast(Length, section.page_height) - inset - size)
    corners = ((inset, inset), (right, inset), (inset, bottom), (right, bottom))
    run = section.header.paragraphs[0].add_run()
    for corner, (x, y) in enumerate(corners):
        shape_id = 1000 + 4 * number + corner  # docPr ids: unique in the document
        run._r.append(_square(shape_id, Emu(x), Emu(y), Emu(size)))


def _square(shape_id: int, x: Emu, y: Emu, size: Emu) -> BaseOxmlElement:
    """A black-filled square shape anchored to the page at (`x`, `y`), as Word writes one."""
    return _anchored_shape(
        shape_id,
        f"corner-mark-{shape_id}",
        (x, y, size, size),
        shape="<wps:cNvSpPr/>",
        look='<a:solidFill><a:srgbClr val="000000"/></a:solidFill>',
        body="<wps:bodyPr/>",
    )


def _anchored_shape(
    shape_id: int,
    name: str,
    box: tuple[Length, Length, Length, Length],
    *,
    shape: str,
    look: str,
    body: str,
) -> BaseOxmlElement:
    """A rectangle anchored to the page at `box` (x, y, width, height), in front of the text
    and not moving it, wrapped the way Word writes a shape (`mc:AlternateContent`, choice
    `wps`), which LibreOffice reads too; `shape` its non-visual properties, `look` its fill,
    `body` its text box and body properties."""
    x, y, cx, cy = (int(v) for v in box)
    xml = f"""<mc:AlternateContent {_NS}><mc:Choice Requires="wps"><w:drawing>
  <wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="{shape_id}"
      behindDoc="0" locked="1" layoutInCell="1" allowOverlap="1">
    <wp:simplePos x="0" y="0"/>
    <wp:positionH relativeFrom="page"><wp:posOffset>{x}</wp:posOffset></wp:positionH>
    <wp:positionV relativeFrom="page"><wp:posOffset>{y}</wp:posOffset></wp:positionV>
    <wp:extent cx="{cx}" cy="{cy}"/>
    <wp:effectExtent l="0" t="0" r="0" b="0"/>
    <wp:wrapNone/>
    <wp:docPr id="{shape_id}" name="{name}"/>
    <wp:cNvGraphicFramePr/>
    <a:graphic>
      <a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
        <wps:wsp>
          {shape}
          <wps:spPr>
            <a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>
            <a:prstGeom prst="rect"><a:avLst/></a:prstGeom>
            {look}
            <a:ln><a:noFill/></a:ln>
          </wps:spPr>
          {body}
        </wps:wsp>
      </a:graphicData>
    </a:graphic>
  </wp:anchor>
</w:drawing></mc:Choice></mc:AlternateContent>"""
    return parse_xml(xml)


def new_copy_section(document: Document) -> Section:
    """Start a new section on a new page whose page numbers restart at 1.

    python-docx ends the previous section with an extra empty paragraph; it is shrunk to
    nothing so it cannot push the previous copy onto one more page.
    """
    section = document.add_section(WD_SECTION.NEW_PAGE)
    _restart_page_numbers(section)
    body = document.element.body
    breaker = Paragraph(body[-2], document._body)
    fmt = breaker.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(1)
    mark = breaker._p.get_or_add_pPr()
    rpr = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "2")
    rpr.append(size)
    _insert_mark_rpr(mark, rpr)
    return section


def _insert_mark_rpr(ppr: BaseOxmlElement, rpr: BaseOxmlElement) -> None:
    """Place the paragraph mark's run properties where the schema wants them: before
    `w:sectPr` (and after every other paragraph property)."""
    sect_pr = ppr.find(qn("w:sectPr"))
    if sect_pr is None:
        ppr.append(rpr)
    else:
        sect_pr.addprevious(rpr)


def write_copies(
    document: Document,
    serials: Sequence[str] | None,
    *,
    header_text: str,
    write: Callable[[], None],
    pages: int | None = None,
    lang: str = DOCUMENT_LANGUAGE,
    seal: SealLine | None = None,
) -> None:
    """Write one copy per serial into `document`, each in its own section.

    `write()` adds the body of one copy to the (empty) document once; the other copies are
    exact copies of that body, each after a section break with restarted page numbers and
    its own serial in the header and footer. `serials` None: one copy, no serial. `pages`:
    pages of one copy when known (see the module notes on SECTIONPAGES). `lang`: the page
    line's language; `seal`: the 密封线 on every odd page (see `set_header_footer`).
    """
    body = document.element.body
    start = len(body) - 1  # the body's closing sectPr stays last
    write()
    copy = list(body)[start:-1]
    labels: Sequence[str | None] = list(serials) if serials is not None else [None]
    if not labels:
        raise ValueError("serials must name at least one copy")
    if seal is not None:
        document.settings.odd_and_even_pages_header_footer = True
    # one copy of unknown length: NUMPAGES, which every renderer computes; known, the stored
    # SECTIONPAGES, which a blank back (`exporters.print_run`) does not change
    count_field = "NUMPAGES" if len(labels) == 1 and pages is None else "SECTIONPAGES"
    section = document.sections[-1]
    for index, serial in enumerate(labels):
        if index:
            section = new_copy_section(document)
            closing = body[-1]
            for element in copy:
                closing.addprevious(deepcopy(element))
        set_header_footer(
            section,
            header_text=header_text,
            serial=serial,
            pages=pages,
            count_field=count_field,
            lang=lang,
            seal=seal,
        )


def keep_with_next(paragraph: Paragraph) -> Paragraph:
    """Keep `paragraph` on the same page as the next one (a heading with its first item)."""
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def set_cell_text(
    cell: _Cell,
    text: str,
    *,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.CENTER,
    font: str | None = None,
    size: float | None = None,
) -> Paragraph:
    """Replace `cell`'s text with `text` (one run), vertically centred; `font` an East Asian
    font for this run (e.g. `HEADING_FONT`). Returns the cell's paragraph."""
    cell.text = ""
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    if bold:
        run.bold = True
    if font is not None or size is not None:
        set_fonts(run, font or BODY_FONT, size)
    if align is not None:
        paragraph.alignment = align
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    return paragraph


def table(
    document: Document,
    widths_cm: Sequence[float],
    rows: int,
    *,
    align: WD_TABLE_ALIGNMENT = WD_TABLE_ALIGNMENT.CENTER,
) -> list[list[_Cell]]:
    """A bordered ("Table Grid") table of `rows` rows with the given column widths; its
    cells row by row (python-docx recomputes the cell grid on every `table.cell()`)."""
    grid_style = cast(_TableStyle, document.styles["Table Grid"])
    made: Table = document.add_table(rows=rows, cols=len(widths_cm))
    made.style = grid_style
    made.alignment = align
    made.autofit = False
    for column, width in zip(made._tbl.tblGrid.gridCol_lst, widths_cm, strict=True):
        column.w = Cm(width)
    cells = [list(row.cells) for row in made.rows]
    for row in cells:
        for cell, width in zip(row, widths_cm, strict=True):
            cell.width = Cm(width)
    return cells


_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(f"[{_IDEOGRAPH}]|[^\\s{_IDEOGRAPH}]+")
_SEPARATORS = "、，；,;/"
_PIECE = re.compile(
    f"[{_IDEOGRAPH}]|[^\\s{_IDEOGRAPH}{_SEPARATORS}]*[{_SEPARATORS}]|[^\\s{_IDEOGRAPH}{_SEPARATORS}]+"
)
"""Tokens that may end at a list separator (the line may break after it, once marked)."""
_AFTER_SEPARATOR = re.compile(f"[{_SEPARATORS}](?=\\S)")
_MIN_LINE_UNITS = 8  # four Chinese characters
_CELL_PADDING_CM = 0.45  # Word's default cell margins (2 × 0.19 cm) and a little slack


def text_units(text: str) -> int:
    """Width of `text` in half-width cells: a Chinese (wide or ambiguous-width) character
    counts two, anything else one."""
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in text)


def content_widths(
    columns: Sequence[Sequence[str]], total_cm: float, *, size: float = BODY_SIZE
) -> list[float]:
    """Column widths (cm, adding up to `total_cm`) for cells of text at `size` pt; see
    `fit_columns` (this is its widths when the caller cannot mark break points)."""
    return fit_columns(columns, total_cm, size=size)[0]


def fit_columns(
    columns: Sequence[Sequence[str]], total_cm: float, *, size: float = BODY_SIZE
) -> tuple[list[float], bool]:
    """Column widths (cm, adding up to `total_cm`) for cells of text at `size` pt, `columns`
    holding each column's texts, its title first; and whether the caller must mark the
    break points after list separators (`breakable`) for the widths to hold.

    Every column is at least as wide as its longest unbreakable token, so no token breaks
    inside: a run of Latin letters, digits and punctuation such as "KM1、KM2" or "JR36-20"
    (a Chinese character stands alone, as lines may break around it); the title counts as
    one token. A column of Chinese text is at least `_MIN_LINE_UNITS` wide (a name such as
    双速异步电动机 takes two lines, not four). When the whole runs do not fit side by side,
    runs are split after their list separators ("KM1、" "KM2"), which `breakable` turns
    into break points, rather than letting a renderer break a token inside. The room left
    goes to the columns whose longest line does not fit on one line, in proportion to what
    they lack, and what is left after every line fits goes to all columns in proportion to
    their widths. When even the tokens do not fit, the widths shrink in proportion.
    """
    split = False
    least = _least_widths(columns, _TOKEN, size)
    if sum(least) >= total_cm:
        split = True
        least = _least_widths(columns, _PIECE, size)
    cm_per_unit = size / 2 / 72 * 2.54
    most = [
        max(map(text_units, _lines(texts))) * cm_per_unit + _CELL_PADDING_CM for texts in columns
    ]
    if sum(least) >= total_cm:
        return [w * total_cm / sum(least) for w in least], split
    lacking = [m - w for w, m in zip(least, most, strict=True)]
    room = total_cm - sum(least)
    if sum(lacking) > room:
        widths = [w + room * lack / sum(lacking) for w, lack in zip(least, lacking, strict=True)]
        return widths, split
    return [m * total_cm / sum(most) for m in most], split


def _lines(texts: Sequence[str]) -> list[str]:
    title, cells = (texts[0], texts[1:]) if texts else ("", [])
    return [title, *(line for text in cells for line in text.split("\n"))]


def _least_widths(
    columns: Sequence[Sequence[str]], token: re.Pattern[str], size: float
) -> list[float]:
    cm_per_unit = size / 2 / 72 * 2.54
    least = []
    for texts in columns:
        title, cells = (texts[0], texts[1:]) if texts else ("", [])
        tokens = [title, *(t for text in cells for t in token.findall(text))]
        longest_line = max(map(text_units, _lines(texts)))
        units = max(max(map(text_units, tokens)), min(longest_line, _MIN_LINE_UNITS))
        least.append(units * cm_per_unit + _CELL_PADDING_CM)
    return least


def breakable(text: str) -> str:
    """`text` with a zero-width space after each list separator followed by more text, so
    that Word and LibreOffice may break the line there ("KM1、KM2" → "KM1、" "KM2") instead of
    inside a token. For printed documents only: never for text that is read back."""
    return _AFTER_SEPARATOR.sub("\\g<0>\u200b", text)


def row_height(cells: Sequence[_Cell], height_cm: float) -> None:
    """Make the table row holding `cells` at least `height_cm` tall (room to write)."""
    row = _Row(cells[0]._tc.getparent(), cells[0]._parent)
    row.height = Cm(height_cm)
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST


def keep_rows_whole(rows: Sequence[Sequence[_Cell]], *, repeat_header: bool = True) -> None:
    """No row of the table split across a page break (`w:cantSplit`), and with
    `repeat_header` its first row repeated at the top of every page it continues on."""
    for index, cells in enumerate(rows):
        properties = cells[0]._tc.getparent().get_or_add_trPr()
        flags = ["w:cantSplit"] + (["w:tblHeader"] if repeat_header and index == 0 else [])
        for flag in flags:
            if properties.find(qn(flag)) is None:
                properties.append(OxmlElement(flag))


def header_row(cells: Sequence[_Cell], titles: Sequence[str]) -> None:
    """Bold, centred column titles in the first row of a table."""
    for cell, title in zip(cells, titles, strict=True):
        set_cell_text(cell, title, bold=True)


def save(document: Document, target: str | Path | BinaryIO) -> None:
    """Save `document` to a path or an open binary file.

    A path is written through a temporary file in the same folder and renamed into place, so
    a failure never leaves a partial document behind; the file is readable by its owner
    only (mode 0600), as befits an unreleased paper. Side effects: writes `target`.
    """
    if not isinstance(target, str | Path):
        document.save(target)
        return
    path = Path(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            document.save(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
