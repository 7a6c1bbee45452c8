"""Write theory items as a Word (.docx) bank in the national block layout.

The output is what `importers.docx_items.read_items_docx` reads back to the same records:
sections 一、判断题 / 二、单项选择题 / 三、多项选择题, items numbered `1．`, judgement
answers `（ √ ）` before the stem, choice answers inside the stem's `（ ）` or on an `答案：`
line, short options packed several to a line with full-width spaces, then the optional
解析/难度/鉴定点/… lines. Body text is 宋体 (set as the East Asian font, which is what Word
uses for Chinese characters), headings 黑体.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.shared import Cm, Pt
from docx.text.run import Run

from exporters.docx_page import add_text
from formats.item_layout import split_option_line, take_stem_answer
from qbank.records import ItemRecord, ItemType
from qbank.text.normalize import format_answer, parse_answer
from qbank.text.scripts import plain

__all__ = ["write_items_docx"]

AnswerMode = Literal["inline", "line", "none"]
Numbering = Literal["continuous", "section", "keep"]

_SECTION_ORDER = (ItemType.JUDGEMENT, ItemType.SINGLE, ItemType.MULTIPLE)
_SECTION_NAMES = {
    ItemType.JUDGEMENT: "判断题",
    ItemType.SINGLE: "单项选择题",
    ItemType.MULTIPLE: "多项选择题",
}
_CN_NUMERALS = "一二三四五六七八九十"
_BODY_FONT = ("Times New Roman", "宋体")
_HEADING_FONT = ("Times New Roman", "黑体")
_BODY_SIZE = Pt(10.5)  # 五号
_HEADING_SIZE = Pt(12)  # 小四
_TITLE_SIZE = Pt(16)  # 三号
_LINE_UNITS = 76  # half-width character cells on one A4 line at 五号
_OPTION_GAP = "\u3000\u3000"
_EMPTY_BRACKET = re.compile(r"[（(][\s\u3000]*[）)]")
_JUDGEMENT_BLANK = "（\u3000\u3000）"


def write_items_docx(
    items: Iterable[ItemRecord],
    path: str | Path,
    *,
    title: str | None = None,
    answers: AnswerMode = "inline",
    options_per_line: int | None = None,
    numbering: Numbering = "continuous",
) -> None:
    """Write `items` to `path` as a .docx bank.

    `answers`: "inline" puts them in the stem's brackets (a choice stem without an empty
    `（ ）` gets an `答案：` line instead), "line" on an `答案：` line, "none" leaves them out
    (a paper for candidates; no 解析/难度/… lines either). `options_per_line` forces how many
    options share a line; by default short options are packed and long ones get a line each.
    `numbering`: "continuous" across sections (national papers), "section" restarts at 1,
    "keep" writes each record's own number when it is a plain number.
    """
    if answers not in ("inline", "line", "none"):
        raise ValueError(f"answers must be 'inline', 'line' or 'none', not {answers!r}")
    if options_per_line is not None and options_per_line < 1:
        raise ValueError("options_per_line must be at least 1")
    document = docx.Document()
    page = document.sections[0]
    page.page_width, page.page_height = Cm(21), Cm(29.7)  # A4, as Chinese papers are printed
    _set_styles(document)
    if title:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(paragraph.add_run(title), _HEADING_FONT, _TITLE_SIZE, bold=True)

    records = list(items)
    running = 0
    sections = [(t, [r for r in records if r.type is t]) for t in _SECTION_ORDER]
    for position, (item_type, section) in enumerate(s for s in sections if s[1]):
        if numbering == "section":
            running = 0
        numbers = []
        for record in section:
            running += 1
            own = record.number if numbering == "keep" else None
            numbers.append(own if own and own.isdigit() else str(running))
        scores = {r.score for r in section}
        uniform = scores.pop() if len(scores) == 1 else None
        heading = f"{_CN_NUMERALS[position]}、{_SECTION_NAMES[item_type]}"
        notes = []
        if numbering != "keep":
            span = f"第{numbers[0]}题" + (f"～第{numbers[-1]}题" if len(numbers) > 1 else "")
            notes.append(f"{span}。")
        if uniform is not None:
            notes.append(f"每题{_num(uniform)}分，满分{_num(round(uniform * len(section), 4))}分。")
        if notes:
            heading += f"（{''.join(notes)}）"
        paragraph = document.add_paragraph()
        _font(paragraph.add_run(heading), _HEADING_FONT, _HEADING_SIZE, bold=True)
        for record, number in zip(section, numbers, strict=True):
            for line in _item_lines(record, number, answers, options_per_line, uniform is None):
                add_text(document.add_paragraph(), line)
    document.save(str(path))


def _item_lines(
    record: ItemRecord,
    number: str,
    answers: AnswerMode,
    per_line: int | None,
    own_score: bool,
) -> list[str]:
    """The paragraphs of one item: stem line, option lines, then the 答案/解析/… lines."""
    answer = format_answer(record.answer)
    answer_line = answers == "line"
    if record.type is ItemType.JUDGEMENT:
        if answers == "inline":
            stem = f"（ {answer} ）{record.stem}"
        elif answers == "none":
            stem = f"{_JUDGEMENT_BLANK}{record.stem}"
        else:
            stem = record.stem
    elif answers == "inline":
        filled = _fill_answer(record.stem, record.type, record.answer)
        stem = filled if filled is not None else record.stem
        answer_line = filled is None
    else:
        stem = record.stem
    lines = [f"{number}．{stem}"]
    if record.type is not ItemType.JUDGEMENT:
        lines.extend(_option_lines(record.options, per_line))
    if answers == "none":
        return lines
    if answer_line:
        lines.append(f"答案：{answer}")
    fields: list[tuple[str, object]] = [
        ("解析", record.explanation),
        ("难度", _num(record.difficulty)),
        ("鉴定点", record.knowledge_code),
        ("知识点", " / ".join(record.knowledge_path)),
        ("重要程度", record.importance.value if record.importance else None),
        ("区分度", _num(record.discrimination)),
        ("分数", _num(record.score) if own_score else None),
        ("出处", record.source),
        ("作者", record.author),
        ("试题编号", record.guid),
    ]
    lines.extend(f"{label}：{value}" for label, value in fields if value)
    return lines


def _fill_answer(stem: str, item_type: ItemType, answer: str | bool) -> str | None:
    """The stem with the answer in its last empty bracket, if it reads back unchanged."""
    brackets = list(_EMPTY_BRACKET.finditer(stem))
    if not brackets:
        return None
    match = brackets[-1]
    blank = match.group(0)
    filled = f"{stem[: match.start()]}{blank[0]} {format_answer(answer)} {blank[-1]}"
    filled += stem[match.end() :]
    back, text = take_stem_answer(filled, item_type)
    if back != stem or text is None or parse_answer(text, item_type) != answer:
        return None
    return filled


def _option_lines(options: dict[str, str], per_line: int | None) -> list[str]:
    """Options packed `per_line` to a line (or as many as fit), aligned with full-width spaces."""
    texts = [f"{letter}．{value}" for letter, value in options.items()]
    if not texts:
        return []
    count = per_line or _fitting_per_line(texts)
    widths = [_width(t) for t in texts]
    column = max(widths)
    lines = []
    for start in range(0, len(texts), count):
        row = texts[start : start + count]
        parts = [
            text + "\u3000" * math.ceil((column - _width(text)) / 2) + _OPTION_GAP
            for text in row[:-1]
        ]
        lines.append("".join(parts) + row[-1])
    expected = list(options.items())
    read: list[tuple[str, str]] = []
    for line in lines:
        read.extend(split_option_line(line, read[-1][0] if read else "") or [])
    if count > 1 and read != expected:
        return texts  # an option's own text looks like a marker: one per line is safest
    return lines


def _fitting_per_line(texts: list[str]) -> int:
    column = max(_width(t) for t in texts)
    gap = _width(_OPTION_GAP)
    for count in range(min(len(texts), 5), 1, -1):
        if len(texts) % count == 0 and count * column + (count - 1) * gap <= _LINE_UNITS:
            return count
    return 1


def _width(text: str) -> int:
    """Display width in half-width cells: Chinese and full-width characters count two; the
    markup of sub- and superscripts takes no room."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in plain(text))


def _num(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _set_styles(document: DocxDocument) -> None:
    """宋体 for Chinese and Times New Roman for Latin text throughout, in the Normal style."""
    normal = document.styles["Normal"]
    normal.font.size = _BODY_SIZE
    r_pr = normal.element.get_or_add_rPr()
    _set_fonts(r_pr, _BODY_FONT)
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _font(run: Run, fonts: tuple[str, str], size: Pt, *, bold: bool = False) -> None:
    run.font.size = size
    run.font.bold = bold
    _set_fonts(run._r.get_or_add_rPr(), fonts)


def _set_fonts(r_pr: CT_RPr, fonts: tuple[str, str]) -> None:
    """Set Latin and East Asian typefaces; theme font attributes would override them."""
    latin, east_asian = fonts
    r_fonts = r_pr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if qn(theme) in r_fonts.attrib:
            del r_fonts.attrib[qn(theme)]
    r_fonts.set(qn("w:ascii"), latin)
    r_fonts.set(qn("w:hAnsi"), latin)
    r_fonts.set(qn("w:eastAsia"), east_asian)
