"""Read theory items from a Word (.docx) bank: one reader for the block layouts and tables.

The model, as real Chinese item banks write it::

    电工（四级）理论知识试卷                       ← title, notes (注意事项), 得分 boxes: skipped
    一、判断题（第1题～第20题。每题1分，满分20分。）   ← section heading: 一、/（一）/Ⅰ． or none,
    请将判断结果填入括号中。                         判断/是非, 单选/单项选择, 多选/多项选择…;
                                                 instructions until the first item skipped
    1．（ √ ）电阻的单位是欧姆。                    ← item: `1．` `1.` `1、` `1)` `（1）`, any width;
    二、单项选择题                                   answer in brackets before or after the stem
    21．电阻的单位是（ B ）。                       ← answer inside the stem
    (A)伏特　(B)欧姆　(C)安培　(D)瓦特              ← options `A．` `A、` `A:` `A)` `(A)` `（A）`,
    答案：B                                           any number a line, after the stem or below
    解析：……  难度：中等  鉴定点：B-A-C-012          ← optional lines from exam systems
    参考答案                                       ← answer key (参考答案/答案/标准答案 …)
    一、判断题 1．√ 2．× 3．√                      ← by section and number; several a line,
    二、单项选择题                                   runs `1-5 ABCDA`, 题号/答案 grid tables,
    21．B  22．A、C                                   type headings optional

Answers from the key are matched to items by type heading (the k-th key section of a type to
the k-th item section of that type) and number; a number without an answer and an answer
without an item are problems where they stand. An answer in the stem and a different one in
the key is a problem too.

Lines are matched on `fold_width` (full-width forms as ASCII, one character for one) and the
texts stored are sliced from the line as typed, so Chinese punctuation, Roman numerals, ℃, φ…
reach `clean_text` unchanged. Word's automatic numbering (decimal for items, capital letters
for options) is read as if typed. Tables whose header row names the columns (the vocabulary
and `--map` of `importers.table_items`) are read as sheets, under a type heading without a
题型 column too; other tables are read row by row as lines. Locations: the 1-based paragraph
number (in `document.paragraphs`), or table, row and (for a field) column. Field checks are
the shared ones of `importers.items.build_item`.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.document import CT_Document
from docx.oxml.ns import qn
from docx.oxml.styles import CT_Styles
from lxml import etree

from formats import limits as reading_limits
from formats.item_layout import (
    OPTION_LETTERS,
    is_bracket_answer,
    split_option_line,
    take_stem_answer,
)
from formats.limits import LimitExceeded
from importers import table_items
from importers.items import RawItem, build_item, check_duplicate_numbers
from importers.tables import HEADER_SEARCH_ROWS, Sheet, SheetGuard
from qbank.records import ItemRecord, ItemType, Location, Parsed, Problem, ProblemList
from qbank.text import scripts
from qbank.text.nfkc import nfkc
from qbank.text.normalize import (
    _TYPE_WORDS,
    clean_text,
    fold_width,
    parse_answer,
    parse_item_type,
    parse_judgement,
)

__all__ = ["read_answer_entries", "read_items_docx"]

_CN_NUM = "[一二三四五六七八九十]+"
# Numbering before a section heading: 一、 / (一) / 第一部分 / 第1大题 / II.
_HEADING_PREFIX = re.compile(
    rf"^(?:第\s*(?:{_CN_NUM}|\d+)\s*(?:部分|大题|单元)\s*[、.,:]?|\(\s*{_CN_NUM}\s*\)"
    rf"|{_CN_NUM}\s*[、.,:]|{_CN_NUM}\s+|(?:[IVX]+|[\u2160-\u217f])\s*[.、])\s*"
)
# What may follow the type word: a parenthetical, or instructions after a colon/full stop.
_HEADING_WORD = re.compile(r"^(?P<word>[^\s(\[【:,;。]+?)\s*(?P<rest>[(\[【:,;。].*)?$")
# Item types of other papers, recognised so their sections are reported, not misread.
_OTHER_TYPES = re.compile(
    r"^(?:(?:填空|简答|计算|论述|问答|综合|案例分析|综合分析|识图|绘图|作图|改错|连线|排序|匹配|"
    r"简述|操作)题|名词解释)$"
)
_NUMBERED_OTHER = re.compile(r"^[\u4e00-\u9fff]{1,5}题$")
# A word can name a type only if, once `parse_item_type` has dropped what it drops (closing
# brackets, zero-width spaces, a numbering prefix), one of its type words is left; looking
# for them first spares that full parse for almost every line.
_TYPE_WORD = re.compile("|".join(sorted(map(re.escape, _TYPE_WORDS), key=len, reverse=True)))
_DROPPED_BY_TYPE_PARSE = dict.fromkeys(map(ord, ")]】\u200b\ufeff"))
_GROUP_HEADING = re.compile(rf"^第\s*(?:{_CN_NUM}|\d+)\s*(?:章|节|篇|单元|部分)")
# The fixed notes of a national paper, skipped up to the first section.
_FRONT_MATTER = re.compile(r"^(?:注意事项|考生须知|考试须知|答题须知|答题要求)[:]?$")
_WS = re.compile(r"\s+")
_SCORE_BOX = re.compile(
    r"^(?:[一二三四五六七八九十]|总分|统分人|得分|评分人|核分人|阅卷人|复核人|题号|分数)*"
    r"(?:总分|统分人|得分|评分人|核分人|阅卷人|复核人)(?:[一二三四五六七八九十]|总分|统分人|得分|评分人|核分人|阅卷人|复核人)*$"
)
_TITLE_WORDS = re.compile(r"题库|试卷|职业技能|鉴定|考试")
_INSTRUCTION = re.compile(r"请|将|括号|填入|每题|每小题|满分|得分|不得分|正确的|选择|答题")
_SECTION_SCORE = re.compile(r"每\s*小?\s*题\s*(\d+(?:\.\d+)?)\s*分")

# Item numbers of any width: `1.` `1、` `1 .` `1)`, optionally after a judgement answer
# `(√)1.`; or `(1)`. A width limit here once glued item 10000 onto item 9999.
_ITEM_DOT = re.compile(
    r"^(?:\((?P<pre>[^()]{1,12})\)\s*)?(?P<num>\d+)\s*(?P<sep>[.、)])(?P<gap>\s*)(?P<rest>.*)$"
)
_ITEM_PAREN = re.compile(r"^\(\s*(?P<num>\d+)\s*\)\s*(?P<rest>.*)$")
_RAW_DECIMAL = re.compile(r"^\s*[0-9０-９]+\.[0-9０-９]")

# Options written on the stem's own line: the first marker may also follow `)` or `。`.
_INLINE_OPTION_A = re.compile(r"(?:(?<=\s)|(?<=[)。?]))(?:\(\s*A\s*\)|A\s*[.、:)])")

_META_WORDS: dict[str, str] = {}
for _name, _words in (
    ("answer", "答案 正确答案 参考答案 标准答案"),
    ("explanation", "解析 答案解析 试题解析 题目解析 试题分析 分析 解答"),
    ("difficulty", "难度 难易度 难易程度 难度系数 难度等级"),
    ("knowledge", "鉴定点 鉴定点代码 知识点 考核点 考点"),
    ("score", "分数 分值"),
    ("importance", "重要程度 重要性"),
    ("discrimination", "区分度"),
    ("source", "出处 来源"),
    ("author", "作者 命题人"),
    ("guid", "试题编号 试题ID GUID"),
):
    for _w in _words.split():
        _META_WORDS[_w] = _name
_META_ALT = "|".join(sorted(map(re.escape, _META_WORDS), key=len, reverse=True))
_META = re.compile(
    rf"^(?:【\s*(?P<k1>{_META_ALT})\s*】\s*:?|\[\s*(?P<k2>{_META_ALT})\s*\]\s*:?"
    rf"|(?P<k3>{_META_ALT})\s*:)\s*(?P<value>.*)$"
)
_META_INLINE = re.compile(
    rf"(?<=\S)(?=【\s*(?:{_META_ALT})\s*】)|(?<=\s)(?=【\s*(?:{_META_ALT})\s*】|(?:{_META_ALT})\s*:)"
)

_PUNCTUATION_ONLY = re.compile(r"^[\s.。,，;；:：?？!！()（）]*$")
_PATH_SPLIT = re.compile(r"\s*[/>→\\|]\s*")
_CODE_LIKE = re.compile(r"^[A-Za-z](?:[\s\-_.]*[A-Za-z0-9])*$")
_LATIN_END = re.compile(r"[A-Za-z0-9]$")
_LATIN_START = re.compile(r"[A-Za-z0-9]")
_LINE_BREAKS = re.compile(r"[\n\r\v\f\u2028\u2029]")
_HEADING_STYLES = ("heading", "title", "标题")
_AUTO_OPTION = "option"
_W_VAL, _W_PSTYLE, _W_NUMPR, _W_NUMID, _W_ILVL, _W_JC = (
    qn(f"w:{tag}") for tag in ("val", "pStyle", "numPr", "numId", "ilvl", "jc")
)
_W_P, _W_PPR, _W_TBL, _W_TR, _W_TC, _W_TCPR, _W_GRIDSPAN = (
    qn(f"w:{tag}") for tag in ("p", "pPr", "tbl", "tr", "tc", "tcPr", "gridSpan")
)
_DECIMAL_FORMATS = frozenset(
    {"decimal", "decimalZero", "decimalFullWidth", "decimalFullWidth2", "decimalHalfWidth"}
)


def read_items_docx(
    path: str | Path,
    *,
    display_name: str | None = None,
    mapping: dict[str, str] | None = None,
) -> Parsed[ItemRecord]:
    """Read every item of a .docx bank; a bad file gives problems, never an exception.

    Paragraphs and tables are read in document order. A table whose header row names the
    columns (the vocabulary of `importers.table_items`, and `mapping` as `--map` gives it) is
    read like a sheet; other tables are read row by row as lines.
    """
    name = display_name or Path(path).name
    limits = reading_limits.current()
    refused = reading_limits.check_docx(path, name, limits)
    if refused is not None:
        return Parsed(problems=[refused])
    fields, given, map_problems = table_items.check_mapping(mapping, Location(name))
    try:
        document = _open(path)
        body = document.element.find(qn("w:body"))
        children = list(body) if body is not None else []
    except (
        PackageNotFoundError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        etree.XMLSyntaxError,
        OSError,
    ) as exc:
        reason = str(exc) or type(exc).__name__
        return Parsed(
            problems=[
                Problem(Location(name), "file", "problem.unreadable_file", {"reason": reason})
            ]
        )
    reader = _Reader(name, fields)
    reader.problems.extend(map_problems)
    layout = _Layout(document)
    index = tables = 0
    for child in children:
        if child.tag == _W_P:
            index += 1
            text = _paragraph_text(child)
            refused = reading_limits.check_paragraph(text, name, index, limits)
            if refused is not None:
                return Parsed(problems=[refused])
            p_pr = child.find(_W_PPR)  # read once: each python-docx property looks it up again
            reader.centered = _centered(p_pr)
            heading, auto = layout.describe(p_pr)
            reader.paragraph(index, text, heading, auto)
        elif child.tag == _W_TBL:
            tables += 1
            try:
                rows, cells = _table_rows(child, name, tables, limits)
            except LimitExceeded as error:
                return Parsed(problems=[reading_limits.as_problem(error)])
            reader.table(tables, rows, cells)
    for key, column in given.items():
        if key not in reader.mapped_keys:
            reader.problems.append(
                Problem(Location(name), "header", "problem.unknown_map_column", {"column": column})
            )
    return reader.finish()


def _table_rows(
    tbl: etree._Element, name: str, number: int, limits: reading_limits.Limits
) -> tuple[list[list[str]], list[list[str]]]:
    """A table's rows as cell texts, by grid column (a merged cell repeated over the columns it
    spans) and as the cells are (each once), read under the limits a sheet is read under
    (rows, columns, cells, characters per cell)."""
    guard = SheetGuard(name, None, limits)
    rows: list[list[str]] = []
    own: list[list[str]] = []
    for row_number, tr in enumerate(tbl.iterchildren(_W_TR), start=1):
        cells: list[str] = []
        own.append([])
        for tc in tr.iterchildren(_W_TC):
            text = "\n".join(_paragraph_text(p) for p in tc.iterchildren(_W_P))
            span = tc.find(f"{_W_TCPR}/{_W_GRIDSPAN}")
            try:
                width = int(span.get(_W_VAL) or 1) if span is not None else 1
            except ValueError:
                width = 1
            cells.extend([text] * max(1, min(width, 64)))
            own[-1].append(text)
        try:
            guard.row(row_number, cells)
        except LimitExceeded as error:
            error.location = Location(name, table=number, row=row_number)
            raise
        rows.append(cells)
    return rows, own


def _open(path: str | Path) -> DocxDocument:
    """Open the package and check the shape of the parts we read.

    python-docx trusts each part's XML to have the right root element: a damaged package
    part fails with AttributeError while opening, and a damaged document or styles part
    only later, far from here. Both become ValueError, which the caller reports.
    """
    try:
        document = docx.Document(str(path))
    except AttributeError as exc:
        raise ValueError(f"damaged package: {exc}") from exc
    body = document.element.find(qn("w:body"))
    if not isinstance(document.element, CT_Document) or body is None:
        raise ValueError("word/document.xml has no w:document/w:body")
    if not isinstance(document.styles.element, CT_Styles):
        raise ValueError("word/styles.xml has no w:styles")
    return document


# --- internals -------------------------------------------------------------------------------


def _join(lines: list[str]) -> str:
    """Join a stem's lines; a space only where two Latin words or numbers would merge.

    Linear in the total length: only the last character of the text so far is looked at,
    and the pieces are joined once (an item continued over many paragraphs stays cheap).
    """
    parts: list[str] = []
    for line in lines:
        if not line:
            continue
        if parts and _LATIN_END.match(parts[-1][-1]) and _LATIN_START.match(line):
            parts.append(" ")
        parts.append(line)
    return "".join(parts)


@dataclass
class _Section:
    index: int
    type: ItemType | None  # None: a heading of a type this importer does not read
    score: str | None = None
    style: str | None = None  # "dot" (1.), "close" (1)) or "paren" ((1)): the first item's
    numbers: set[int] = field(default_factory=set)
    last_number: int | None = None
    blocks: list[_Block] = field(default_factory=list)  # built once answer keys are matched
    by_number: dict[int, _Block] = field(default_factory=dict)
    records: list[ItemRecord] = field(default_factory=list)


@dataclass
class _KeyPart:
    """Answers of a 参考答案 section, under one type heading (or none): (number, answer, where)."""

    type: ItemType | None
    heading: str = ""
    entries: list[tuple[int, str, Location]] = field(default_factory=list)


@dataclass
class _Block:
    """An item being collected; `orphan` blocks are outside any readable section."""

    paragraph: int | Location
    number: str
    section: _Section | None
    lead: str | None = None
    stem: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    # Each 答案/解析/… line's value as its lines (a value may continue over paragraphs);
    # the last line of a kind wins.
    meta: dict[str, list[list[str]]] = field(default_factory=dict)
    last: str = "stem"
    last_letter: str = ""
    key: str | None = None  # the answer a 参考答案 section gives this item

    @property
    def orphan(self) -> bool:
        return self.section is None or self.section.type is None


class _Reader:
    """A line-by-line state machine over the document's paragraphs."""

    def __init__(self, name: str, fields: dict[str, str] | None = None) -> None:
        self.name = name
        self.fields = fields or {}  # --map, as `table_items.check_mapping` gives it
        self.mapped_keys: set[str] = set()
        self.problems: list[Problem] = ProblemList()
        self.keys: list[_KeyPart] = []
        self.key: _KeyPart | None = None  # inside a 参考答案 section
        self.table_records: list[ItemRecord] = []
        self.order: dict[Location, int] = {}  # reading order of every location seen
        self.folded_line = self.typed_line = ""  # the line being read, as matched and as typed
        self.cursor = 0
        self.sections: list[_Section] = []
        self.section: _Section | None = None
        self.block: _Block | None = None
        self.title_seen = False
        self.front_matter = False  # inside 注意事项 before the first section
        self.centered = False  # the current paragraph is centred (a title line, before sections)
        self.items_seen = 0

    # -- driving ------------------------------------------------------------------------------

    def paragraph(self, index: int, text: str, heading_style: bool, auto: str | int | None) -> None:
        """Read one paragraph; `auto` is Word's own list number (int) or option marker."""
        raw_lines = [s for s in _LINE_BREAKS.split(text) if s.strip()]
        for number, raw in enumerate(raw_lines):
            if number == 0 and isinstance(auto, int):
                raw = f"{auto}. {raw}"
            elif number == 0 and auto == _AUTO_OPTION:
                raw = f"{self.next_letter()}. {raw}"
            self.line(index, raw, heading_style)

    def next_letter(self) -> str:
        last = self.block.last_letter if self.block is not None else ""
        position = OPTION_LETTERS.find(last) + 1 if last else 0
        return OPTION_LETTERS[min(position, len(OPTION_LETTERS) - 1)]

    def finish(self) -> Parsed[ItemRecord]:
        self.close_block()
        self.match_keys()
        records: list[ItemRecord] = list(self.table_records)
        for section in self.sections:
            for block in section.blocks:
                self.build(block)
            records.extend(section.records)
            self.problems.extend(
                check_duplicate_numbers(section.records, scope=f"section-{section.index}")
            )
        if not self.items_seen:
            self.problems.append(Problem(Location(self.name), "file", "problem.no_items"))
        self.problems.sort(key=lambda p: self.rank(p.location))
        records.sort(key=lambda r: self.rank(r.location))
        return Parsed(records=records, problems=self.problems)

    def rank(self, location: Location) -> int:
        if location.column is not None:
            location = dataclasses.replace(location, column=None)
        return self.order.get(location, -1)

    def problem(
        self, index: int | Location, field_name: str, key: str, /, **params: object
    ) -> None:
        self.problems.append(Problem(self.location(index), field_name, key, dict(params)))

    def location(self, index: int | Location) -> Location:
        """A paragraph's (or a table row's) location, remembered in reading order."""
        where = index if isinstance(index, Location) else Location(self.name, paragraph=index)
        self.order.setdefault(where, len(self.order))
        return where

    def typed(self, piece: str) -> str:
        """`piece` of the folded line as it was typed (full-width punctuation kept)."""
        if self.folded_line == self.typed_line:
            return piece
        at = self.folded_line.find(piece, self.cursor)
        if at < 0:
            at = self.folded_line.find(piece)
            if at < 0:
                return piece
        self.cursor = at + len(piece)
        return self.typed_line[at : self.cursor]

    # -- one line -----------------------------------------------------------------------------

    def line(self, index: int | Location, raw: str, heading_style: bool) -> None:
        text = fold_width(raw).strip()
        if not text:
            return
        self.location(index)
        self.folded_line, self.typed_line, self.cursor = text, raw.strip(), 0
        if self.key is not None:
            if self.key_line(index, text, heading_style):
                return
        elif self.answer_heading(index, text):
            return
        if self.heading(index, text, heading_style):
            return
        if (
            self.sections
            and _LEADING_NUMBER.match(text)
            and (entries := read_answer_entries(text, bracketed=False, apart=True)) is not None
            and len(entries) > 1  # `2．A` alone may be an item whose stem is `A`
            and self.answers_not_item(entries)
        ):
            # `1．√ 2．× 3．√`: an answer key, under a type heading or after the items
            section = self.section
            self.close_block()
            if section is not None and section.type is not None and not section.blocks:
                self.sections.remove(section)
                self.start_key(section.type)
            else:
                self.start_key(None)
            self.add_entries(index, entries)
            return
        if not self.sections and _FRONT_MATTER.match(_WS.sub("", text)):
            self.front_matter = True
        if self.front_matter or _SCORE_BOX.match(_WS.sub("", text)):
            return  # notes before the first section; 得分/评分人 boxes
        if self.centered and self.sections and _TITLE_WORDS.search(text) and "(" not in text:
            self.close_block()  # `职业技能鉴定国家题库` repeated over a later part
            return
        # `D．电抗　答案：B`, `……（ ）。【答案】B` or `难度：中　鉴定点：BAC012` hold several
        # parts; an explanation's own text is never cut.
        start = self.item_start(text, raw)
        if start is not None:
            number, rest, lead = start
            first, *others = _META_INLINE.split(rest)
            self.start_block(index, number, first.strip(), lead)
        else:
            meta = _META.match(text)
            if meta is not None:
                explanation = _META_WORDS[_meta_key(meta)] == "explanation"
            else:
                explanation = self.block is not None and self.block.last == "explanation"
            others = [text] if explanation else _META_INLINE.split(text)
        for segment in others:
            if segment.strip():
                self.segment(index, segment.strip())

    def heading(self, index: int, text: str, heading_style: bool) -> bool:
        """Section or chapter headings; True when `text` was one."""
        prefix = _HEADING_PREFIX.match(text)
        body = text[prefix.end() :] if prefix else text
        word_match = _HEADING_WORD.match(body)
        word = word_match.group("word") if word_match else None
        if word is None and prefix is not None and body:
            word = body.split()[0]  # `一、判断题 正确的打√`: instructions after a space
        if word is not None:
            item_type = _heading_type(word)
            if item_type is not None:
                self.open_section(item_type, text)
                self.after_heading(index, text, body[body.find(word) + len(word) :])
                return True
            numbered_other = prefix is not None and _NUMBERED_OTHER.match(word)
            if numbered_other or _OTHER_TYPES.match(word):
                self.problem(index, "type", "problem.unknown_type", value=clean_text(word))
                self.open_section(None, text)
                return True
        if heading_style or _GROUP_HEADING.match(text):
            # A chapter (第一章 …) or a styled title: closes the section, reads nothing.
            if self.sections:
                self.close_block()
                self.section = None
            return True
        return False

    def after_heading(self, index: int | Location, text: str, rest: str) -> None:
        """`一、判断题 1．（√）……` or `判断题（每题1分）1．√ 2．×`: what follows the heading
        on its line is read when it starts an item (or answers)."""
        rest = _LEADING_NOTE.sub("", rest.strip()).lstrip(":;,。 ")
        if not rest or not (_ITEM_DOT.match(rest) or _ITEM_PAREN.match(rest)):
            return
        typed = self.typed_line[len(text) - len(rest) :]
        self.line(index, typed, False)

    def item_start(self, text: str, raw: str) -> tuple[str, str, str | None] | None:
        """(number, rest of the line, bracket before the number) when `text` opens an item."""
        style = self.section.style if self.section is not None else None
        match = _ITEM_DOT.match(text)
        if match is not None:
            # `1．` `1、` (dot) or `1)` (close): the section's first item fixes which one
            kind = "close" if match.group("sep") == ")" else "dot"
            if style in (None, kind):
                pre = match.group("pre")
                if pre is not None and not (
                    is_bracket_answer(pre, ItemType.JUDGEMENT)
                    or is_bracket_answer(pre, ItemType.SINGLE)
                ):
                    return None
                decimal = match.group("sep") == "." and not match.group("gap")
                if decimal and match.group("rest")[:1].isdigit() and _RAW_DECIMAL.match(raw):
                    return None  # `1.5 mm² …` continues a stem
                if self.section is not None and self.section.style is None:
                    self.section.style = kind
                return match.group("num"), match.group("rest"), pre
        if style in (None, "paren"):
            match = _ITEM_PAREN.match(text)
            if match is not None:
                if self.section is not None and self.section.style is None:
                    self.section.style = "paren"
                return match.group("num"), match.group("rest"), None
        return None

    def segment(self, index: int, text: str) -> None:
        block = self.block
        meta = _META.match(text)
        if meta is not None:
            if block is None:
                self.stray(index, text)
            elif not block.orphan:
                key = _META_WORDS[_meta_key(meta)]
                value = self.typed(meta.group("value").strip())
                block.meta.setdefault(key, []).append([value] if value else [])
                block.last = key
            return
        if block is not None:
            options = split_option_line(text, block.last_letter)
            if options is not None:
                self.add_options(block, options)
                return
            if block.orphan:
                return
            if block.last == "stem":
                self.add_stem_text(block, text)
                return
            values = block.meta.get(block.last)
            if values is not None and (block.last == "explanation" or not values[-1]):
                values[-1].append(self.typed(text))
                return
            self.problem(index, "paragraph", "problem.unrecognised_paragraph", text=text[:40])
            return
        self.stray(index, text)

    def stray(self, index: int, text: str) -> None:
        """Text that belongs to no item: a title, section instructions, or a problem."""
        if self.section is None:
            if not self.sections and (not self.title_seen or self.centered):
                self.title_seen = True
                return
            self.problem(index, "paragraph", "problem.outside_section")
            return
        if self.section.type is None:
            return
        if text.startswith("(") and text.endswith(")"):
            return  # `（第1题～第20题。每题1分，满分20分。）` under its heading
        if (
            not self.section.blocks
            and self.section.last_number is None
            and _INSTRUCTION.search(text)
        ):
            return  # `请将正确答案的代号填入括号中。` between a heading and its first item
        self.problem(index, "paragraph", "problem.unrecognised_paragraph", text=text[:40])

    # -- blocks -------------------------------------------------------------------------------

    def open_section(self, item_type: ItemType | None, heading: str) -> None:
        self.close_block()
        self.front_matter = False
        score = _SECTION_SCORE.search(heading)
        self.section = _Section(
            len(self.sections) + 1, item_type, score.group(1) if score else None
        )
        self.sections.append(self.section)

    def start_block(self, index: int | Location, number: str, rest: str, lead: str | None) -> None:
        self.close_block()
        self.items_seen += 1
        if self.section is None:
            self.problem(index, "paragraph", "problem.outside_section")
        elif self.section.type is not None:
            self.check_sequence(self.section, index, number)
        block = _Block(index, number, self.section, lead=lead)
        self.block = block
        if rest:
            self.add_stem_text(block, rest)

    def check_sequence(self, section: _Section, index: int | Location, number: str) -> None:
        """Items of a section are numbered one after another; a jump means an item was read
        into the one before (a number the reader did not see as one) or is missing. A
        repeated number is left to the duplicate check."""
        value = int(number)
        previous, section.last_number = section.last_number, value
        if previous is None or value == previous + 1 or value in section.numbers:
            section.numbers.add(value)
            return
        section.numbers.add(value)
        self.problem(
            index,
            "number",
            "problem.number_out_of_sequence",
            number=number,
            previous=previous,
            expected=previous + 1,
        )

    def add_stem_text(self, block: _Block, text: str) -> None:
        inline = _inline_options(text) if not block.options else None
        if inline is None:
            block.stem.append(self.typed(text))
            return
        stem, options = inline
        if stem:
            block.stem.append(self.typed(stem))
        self.add_options(block, options)

    def add_options(self, block: _Block, options: list[tuple[str, str]]) -> None:
        for letter, value in options:
            block.options[letter] = self.typed(value)
            block.last_letter = letter
        block.last = "option"

    def close_block(self) -> None:
        block, self.block = self.block, None
        if block is None or block.orphan or block.section is None:
            return
        block.section.blocks.append(block)
        if block.number.isdigit():
            block.section.by_number.setdefault(int(block.number), block)

    def build(self, block: _Block) -> None:
        """The record of a collected item, its answer from the stem, an 答案 line or the key."""
        section = block.section
        assert section is not None and section.type is not None
        item_type = section.type
        location = self.location(block.paragraph)
        meta = {key: _join(values[-1]) for key, values in block.meta.items()}
        stem, bracket = take_stem_answer(_join(block.stem), item_type)
        answer = meta.get("answer", "")
        if not answer:
            answer = bracket or block.lead or ""
        elif bracket is not None and parse_answer(bracket, item_type) != parse_answer(
            answer, item_type
        ):
            # The stem shows one answer and the 答案 line another: keep the stem as written.
            stem = clean_text(_join(block.stem))
            self.problems.append(
                Problem(
                    location,
                    "answer",
                    "problem.answer_conflict",
                    {"inline": clean_text(bracket), "line": clean_text(answer)},
                )
            )
        if block.key is not None:
            if not answer:
                answer = block.key
            elif parse_answer(answer, item_type) != parse_answer(block.key, item_type):
                self.problems.append(
                    Problem(
                        location,
                        "answer",
                        "problem.answer_key_conflict",
                        {"inline": clean_text(answer), "key": clean_text(block.key)},
                    )
                )
        elif not answer and self.keys:
            self.problems.append(
                Problem(location, "answer", "problem.no_key_answer", {"number": block.number})
            )
            return
        code, path = _knowledge([_join(lines) for lines in block.meta.get("knowledge", [])])
        raw = RawItem(
            location=location,
            type=item_type,
            stem=stem,
            options=block.options,
            answer=answer,
            number=block.number,
            guid=meta.get("guid"),
            knowledge_code=code,
            knowledge_path=path,
            importance=meta.get("importance"),
            difficulty=meta.get("difficulty"),
            discrimination=meta.get("discrimination"),
            score=meta.get("score") or section.score,
            explanation=meta.get("explanation"),
            source=meta.get("source"),
            author=meta.get("author"),
        )
        if item_type is ItemType.JUDGEMENT:
            table_items.judgement_from_letter(raw)  # A．正确 B．错误 with 答案：A
        record, problems = build_item(raw)
        self.problems.extend(problems)
        if record is not None:
            section.records.append(record)

    # -- answer keys (参考答案) ------------------------------------------------------------------

    def answer_heading(self, index: int | Location, text: str) -> bool:
        """`参考答案`, `判断题答案`, `理论知识试卷参考答案：1．√ 2．×`: opens the answer key."""
        if not self.sections:
            return False  # `焊工理论知识试题答案` over the items is the title
        prefix = _HEADING_PREFIX.match(text)
        body = text[prefix.end() :] if prefix else text
        match = _ANSWER_HEADING.match(body)
        if match is None:
            return False
        lead, rest = match.group("lead").strip(), match.group("rest").strip()
        rest = _LEADING_NOTE.sub("", rest).lstrip(":;,。 ")  # `参考答案（理论知识）：…`
        item_type = _heading_type(_WS.sub("", lead)) if lead else None
        if lead and item_type is None and not _ANSWER_LEAD.search(lead):
            return False
        entries = read_answer_entries(rest) if rest else []
        if entries is None:
            return False
        bare = body.startswith("答案")
        if match.group("colon") and bare and not rest and self.block is not None:
            return False  # `答案：` with the answer on the next line
        self.close_block()
        self.section = None
        self.start_key(item_type, text)
        self.add_entries(index, entries)
        return True

    def start_key(self, item_type: ItemType | None, heading: str = "") -> None:
        self.key = _KeyPart(item_type, heading)
        self.keys.append(self.key)

    def answers_not_item(self, entries: list[tuple[int, str]]) -> bool:
        """Whether a numbered line outside a 参考答案 section that reads as answers
        (`1．√ 2．× 3．√`) is an answer key: its answers are numbered one after another from 1
        or more, and in a section of items it does not begin with the item expected next (after
        item 4, `5．A 6．B` is item 5 whose stem reads `A 6．B`)."""
        numbers = [number for number, _ in entries]
        if numbers[0] < 1 or any(b != a + 1 for a, b in itertools.pairwise(numbers)):
            return False
        last = self.section.last_number if self.section is not None else None
        return last is None or numbers[0] != last + 1

    def key_line(self, index: int | Location, text: str, heading_style: bool) -> bool:
        """One line of a 参考答案 section; False when it turns out to start items again."""
        key = self.key
        assert key is not None
        if self.answer_heading(index, text):
            return True
        typed = _key_type_heading(text)
        if typed is not None:
            item_type, rest = typed
            entries = read_answer_entries(rest) if rest else []
            if entries is not None:
                if key.entries or key.type is not None:
                    self.start_key(item_type, text)
                else:
                    key.type, key.heading = item_type, text
                self.add_entries(index, entries)
                return True
        entries = read_answer_entries(text)
        if entries is not None:
            self.add_entries(index, entries)
            return True
        if key.type is not None and not key.entries and self.item_start(text, text) is not None:
            # `二、单项选择题` then items: that heading opened items, not their answers
            self.keys.remove(key)
            self.key = None
            self.open_section(key.type, key.heading)
            return False
        if heading_style or _GROUP_HEADING.match(text) or _SCORE_BOX.match(_WS.sub("", text)):
            return True
        if (text.startswith("(") and text.endswith(")")) or _INSTRUCTION.search(text):
            return True  # `（每题1分，共20分）`, notes on marking
        if self.centered and _TITLE_WORDS.search(text):
            return True
        self.problem(index, "paragraph", "problem.unrecognised_paragraph", text=text[:40])
        return True

    def add_entries(self, index: int | Location, entries: list[tuple[int, str]]) -> None:
        assert self.key is not None
        where = self.location(index)
        self.key.entries.extend((number, answer, where) for number, answer in entries)

    def match_keys(self) -> None:
        """Give each item its answer from the key: by type heading and number, in order.

        Without a type heading, an answer's form narrows the sections: √/×/对/错 go to
        judgement sections, letters to choice sections. Each answer takes the first item of
        its number, at or after the section the previous answer of its form went to, that has
        no answer from the key yet (linear: a number's items are looked up, not searched).
        """
        indexes: dict[tuple[ItemType | None, bool], dict[int, list[tuple[int, _Block]]]] = {}
        for part in self.keys:
            positions = {True: 0, False: 0}
            cursors: dict[tuple[bool, int], int] = {}
            for number, answer, where in part.entries:
                form = parse_judgement(answer) is not None and not answer.isalpha()
                form = form or answer in ("正确", "错误", "对", "错")
                index = indexes.get((part.type, form))
                if index is None:
                    index = indexes[(part.type, form)] = self.key_index(part.type, form)
                blocks = index.get(number, [])
                at = cursors.get((form, number))
                if at is None:
                    at = bisect.bisect_left(blocks, positions[form], key=lambda b: b[0])
                while at < len(blocks) and (
                    blocks[at][0] < positions[form] or blocks[at][1].key is not None
                ):
                    at += 1
                cursors[(form, number)] = at
                if at < len(blocks):
                    position, block = blocks[at]
                    block.key = answer
                    positions[form] = position
                else:
                    self.problems.append(
                        Problem(where, "answer", "problem.answer_without_item", {"number": number})
                    )

    def key_index(
        self, item_type: ItemType | None, judgement: bool
    ) -> dict[int, list[tuple[int, _Block]]]:
        """Number → (section position, item) of the sections an answer may go to."""
        index: dict[int, list[tuple[int, _Block]]] = {}
        position = 0
        for section in self.sections:
            if section.type is None:
                continue
            if item_type is not None and section.type is not item_type:
                continue
            if item_type is None and (section.type is ItemType.JUDGEMENT) != judgement:
                continue
            for number, block in section.by_number.items():
                index.setdefault(number, []).append((position, block))
            position += 1
        return index

    # -- tables -------------------------------------------------------------------------------

    def table(self, index: int, rows: list[list[str]], cells: list[list[str]]) -> None:
        """A Word table: items with a header row, an answer grid, or lines row by row."""
        self.centered = False
        if self.key is not None and self.key_grid(index, cells):
            return
        if self.key is None:
            head = [[fold_width(c) for c in row] for row in rows[:HEADER_SEARCH_ROWS]]
            if any(table_items.is_item_header(cells, self.fields) for cells in head):
                self.item_table(index, rows)
                return
            if (
                self.section is None
                and len(rows) > 1
                and max(map(len, rows)) >= 3
                and any(len(c.strip()) >= 10 for row in rows for c in row)
            ):
                # a table outside any section: a bank table whose header was not understood
                self.problem(
                    Location(self.name, table=index, row=1),
                    "header",
                    "problem.header_not_found",
                    required=table_items.REQUIRED_LABEL,
                )
                return
        for number, row in enumerate(cells, start=1):
            where = Location(self.name, table=index, row=number)
            texts = [c.strip() for c in row if c.strip()]
            if self.key is not None and all(
                _WS.sub("", fold_width(t)) in _GRID_NUMBER_WORDS | _GRID_ANSWER_WORDS
                or _heading_type(_WS.sub("", fold_width(t))) is not None
                for t in texts
            ):
                continue  # 题号 | 答案 | 题号 | 答案, or 判断题 | 单选题, over the answers
            if any(_LINE_BREAKS.search(t) for t in texts):
                for text in texts:
                    for raw in _LINE_BREAKS.split(text):
                        self.line(where, raw, False)
            elif texts:
                self.line(where, "  ".join(texts), False)

    def item_table(self, index: int, rows: list[list[str]]) -> None:
        """A table of items (序号 | 题型 | 试题内容 | 选项A … | 答案): read as a sheet would be."""
        self.close_block()
        label = self.section.type.value if self.section and self.section.type else None
        sheet = _WordTable(_TYPE_LABELS.get(label) if label else None, table=index)
        sheet.rows = [(number, list(cells)) for number, cells in enumerate(rows, start=1)]
        for number, _ in sheet.rows:
            self.location(Location(self.name, table=index, row=number))
        records, problems, mapped = table_items.read_sheet(sheet, self.name, self.fields)
        self.mapped_keys |= mapped
        header = next(
            cells for _, cells in sheet.rows if table_items.is_item_header(cells, self.fields)
        )
        for problem in problems:
            column = table_items.column_of(header, self.fields, problem.field)
            if column is not None and problem.location.table is not None:
                where = dataclasses.replace(problem.location, column=column + 1)
                problem = dataclasses.replace(problem, location=where)
            self.problems.append(problem)
        self.table_records.extend(records)
        self.items_seen += len(records) + len(problems)

    def key_grid(self, index: int, rows: list[list[str]]) -> bool:
        """题号 | 1 | 2 | 3 over 答案 | A | B | C (any number of such row pairs)."""
        found = False
        rows = [[_WS.sub("", fold_width(c)) for c in row] for row in rows]
        for number, (top, bottom) in enumerate(itertools.pairwise(rows), start=1):
            labelled = (
                bool(top and bottom)
                and top[0] in _GRID_NUMBER_WORDS
                and bottom[0] in _GRID_ANSWER_WORDS
            )
            numbers, answers = (top[1:], bottom[1:]) if labelled else (top, bottom)
            if not labelled and not (
                any(numbers)
                and all(c.isdigit() or not c for c in numbers)
                and all(not c or _KEY_ANSWER.fullmatch(c) for c in answers)
            ):
                continue
            found = True
            entries = [
                (int(n), a) for n, a in zip(numbers, answers, strict=False) if n.isdigit() and a
            ]
            self.add_entries(Location(self.name, table=index, row=number + 1), entries)
        return found


_GRID_NUMBER_WORDS = frozenset({"题号", "序号", "题目", "题次"})
_GRID_ANSWER_WORDS = frozenset({"答案", "参考答案", "标准答案", "正确答案"})
_TYPE_LABELS = {"judgement": "判断题", "single": "单选题", "multiple": "多选题"}


@dataclass
class _WordTable(Sheet):
    """A Word table read as a sheet: locations name the table and its row."""

    table: int = 0

    def location(self, file: str, row: int | None = None) -> Location:
        return Location(file=file, table=self.table, row=row)


# `参考答案`, `答案`, `标准答案`, `参考答案及评分标准`, `判断题答案`, `理论知识试卷参考答案：…`
_ANSWER_HEADING = re.compile(
    r"^(?P<lead>(?!\d)[^:;,。\[【]{0,30}?)\s*(?:参考|标准|试题)?答案"
    r"(?:部分|汇总|及评分标准|与评分标准|及解析|与解析|及评分参考)?\s*(?P<colon>:?)\s*(?P<rest>.*)$"
)
_LEADING_NOTE = re.compile(r"^(?:\([^()]*\)|【[^】]*】|\[[^\]]*\])\s*")
_ANSWER_LEAD = re.compile(r"(?:试卷|试题|题库|考试|知识|练习|习题|模拟题)$")
_LEADING_NUMBER = re.compile(r"^\(?\d")
_JUDGEMENT_KEY = "√✓✔×✗✘对错"
# One answer of a key: `1．√`, `2、A`, `3.ABD`, `4.A、B、D`, `5.（C）`, `6 正确`; or a run
# `1-5 ABCDA`, `1～5：√×√√×`.
_KEY_ENTRY = re.compile(
    rf"\(?(?P<num>\d+)(?:\s*[-~—–至]\s*(?P<to>\d+))?(?P<apart>\s*[.、:)]\s*|\s+)?"
    rf"(?:\(\s*(?P<bracketed>正确|错误|[{_JUDGEMENT_KEY}]|[A-Ha-h](?:[、,/]?[A-Ha-h])*)\s*\)"
    rf"|(?P<word>正确|错误)"
    rf"|(?P<run>[A-Ha-h{_JUDGEMENT_KEY}](?:[ \t、,/]*[A-Ha-h{_JUDGEMENT_KEY}])*))"
)
_KEY_ANSWER = re.compile(rf"正确|错误|[{_JUDGEMENT_KEY}]|[A-Ha-h](?:[、,/]?[A-Ha-h])*")
_KEY_GAP = re.compile(r"[\s;,。、]*")
_KEY_SEPARATORS = re.compile(r"[\s、,/]+")


def read_answer_entries(
    text: str, *, bracketed: bool = True, apart: bool = False
) -> list[tuple[int, str]] | None:
    """The (number, answer) pairs of an answer-key line, or None when it is not one.

    `1．√ 2．× 3．√`, `1.A 2.B`, `1-5 ABCDA`, `21．ABD 22．A、C`: the whole line must be
    answers. A run (`1-5`) needs one answer per number (letters or marks one by one, or
    separated by spaces or 、 for several letters each). With `apart`, each single answer's
    number must be set off from it (`1．A`, `1 A`; not `1A`): outside a 参考答案 section a
    line like `5．A0A` is item 5, not answers for 5 and 0.
    """
    text = fold_width(text).strip()
    entries: list[tuple[int, str]] = []
    gap = _KEY_GAP.match(text)
    assert gap is not None  # the pattern matches the empty string
    position = gap.end()
    while position < len(text):
        match = _KEY_ENTRY.match(text, position)
        if match is None:
            return None
        first = int(match.group("num"))
        if match.group("bracketed") and not bracketed:
            return None  # outside a 参考答案 section `1．（ √ ）` is an item without a stem
        answer = match.group("bracketed") or match.group("word") or match.group("run")
        if match.group("to") is None:
            if apart and match.group("apart") is None:
                return None
            entries.append((first, answer))
        else:
            last = int(match.group("to"))
            parts = (
                _KEY_SEPARATORS.split(answer.strip())
                if _KEY_SEPARATORS.search(answer.strip())
                else list(answer)
            )
            if last < first or len(parts) != last - first + 1:
                return None
            entries.extend(zip(range(first, last + 1), parts, strict=True))
        gap = _KEY_GAP.match(text, match.end())
        assert gap is not None
        position = gap.end()
    return entries or None


def _key_type_heading(text: str) -> tuple[ItemType, str] | None:
    """`一、判断题`, `判断题：1．√ …`, `(二)单项选择题答案`: the type, and what follows it."""
    prefix = _HEADING_PREFIX.match(text)
    body = text[prefix.end() :] if prefix else text
    word = re.match(r"[^\s\d(\[【:;,。]+", body)
    if word is None:
        return None
    item_type = _heading_type(word.group(0))
    if item_type is None:
        return None
    rest = body[word.end() :].strip()
    rest = re.sub(r"^(?:\([^()]*\)|【[^】]*】|\[[^\]]*\])", "", rest).strip()
    return item_type, rest.lstrip(":;,。 ")


def _heading_type(word: str) -> ItemType | None:
    """`判断题`, also with a count glued on: `判断题共20题`, `单选20题`."""
    folded = nfkc(word).casefold()
    if not _TYPE_WORD.search(folded.translate(_DROPPED_BY_TYPE_PARSE)):
        return None  # the candidates below are prefixes of `word`: none can name a type
    candidates = (word, word[: word.find("题") + 1], re.split(r"[\d共每]", word)[0])
    for candidate in dict.fromkeys(candidates):
        if candidate and (item_type := parse_item_type(candidate)) is not None:
            return item_type
    return None


def _meta_key(match: re.Match[str]) -> str:
    return match.group("k1") or match.group("k2") or match.group("k3")


def _inline_options(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """Options written after the stem on the same line: `……是（ ）。A．x B．y C．z`."""
    for mark in _INLINE_OPTION_A.finditer(text):
        options = split_option_line(text[mark.start() :])
        if (
            options is not None
            and len(options) >= 2
            and all(v and not _PUNCTUATION_ONLY.match(v) for _, v in options)
        ):
            return text[: mark.start()].strip(), options
    return None


def _knowledge(values: list[str]) -> tuple[str | None, list[str]]:
    """鉴定点/知识点 lines → (code, path of names): `B-A-C-012`, `基本要求/职业道德`, or both."""
    code: str | None = None
    path: list[str] = []
    for value in values:
        if not value:
            continue
        head, _, tail = value.partition(" ")
        if _CODE_LIKE.match(value):
            code = value
        elif _CODE_LIKE.match(head) and any(c.isdigit() for c in head) and tail.strip():
            code = head
            path = path or [p for p in _PATH_SPLIT.split(tail.strip()) if p]
        else:
            path = [p for p in _PATH_SPLIT.split(value) if p]
    return code, path


class _Layout:
    """What paragraph styles and Word's automatic numbering say about each paragraph.

    Styles are read once from the styles part (python-docx's `paragraph.style` searches it on
    every call, which dominates the time for a large bank). Decimal lists number items,
    letter lists number options.
    """

    def __init__(self, document: DocxDocument) -> None:
        self.styles: dict[str | None, tuple[bool, etree._Element | None]] = {}
        self.formats: dict[tuple[str, str], tuple[str, int]] = {}
        self.counters: dict[tuple[str, str], int] = {}
        self._read_styles(document.styles.element)
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, ValueError):
            return
        self._read_numbering(numbering)

    def describe(self, p_pr: etree._Element | None) -> tuple[bool, int | str | None]:
        """Whether a paragraph (by its `w:pPr`) is styled as a heading, and `kind`."""
        style = self._style(p_pr)
        return style[0], self.kind(p_pr, style[1])

    def kind(
        self, p_pr: etree._Element | None, style_num_pr: etree._Element | None
    ) -> int | str | None:
        """Word's list number for an item paragraph, `_AUTO_OPTION` for a lettered one."""
        key = self._num_key(p_pr, style_num_pr)
        if key is None or key not in self.formats:
            return None
        fmt, first = self.formats[key]
        count = self.counters.get(key, first - 1) + 1
        self.counters[key] = count
        for other in [k for k in self.counters if k[0] == key[0] and k[1] > key[1]]:
            del self.counters[other]
        if fmt in _DECIMAL_FORMATS:
            return count
        if fmt in ("upperLetter", "lowerLetter"):
            return _AUTO_OPTION
        return None

    def _style(self, p_pr: etree._Element | None) -> tuple[bool, etree._Element | None]:
        p_style = p_pr.find(_W_PSTYLE) if p_pr is not None else None
        style_id = p_style.get(_W_VAL) if p_style is not None else None
        return self.styles.get(style_id, self.styles.get(None, (False, None)))

    def _read_styles(self, root: etree._Element) -> None:
        own: dict[str, tuple[str, str | None, etree._Element | None]] = {}
        default = None
        for style in root.findall(qn("w:style")):
            if style.get(qn("w:type")) != "paragraph":
                continue
            style_id = style.get(qn("w:styleId")) or ""
            name = style.find(qn("w:name"))
            based = style.find(qn("w:basedOn"))
            p_pr = style.find(qn("w:pPr"))
            own[style_id] = (
                (name.get(qn("w:val")) or "") if name is not None else "",
                based.get(qn("w:val")) if based is not None else None,
                p_pr.find(qn("w:numPr")) if p_pr is not None else None,
            )
            if style.get(qn("w:default")) in ("1", "true", "on"):
                default = style_id
        for style_id in own:
            heading, num_pr, current, depth = False, None, style_id, 0
            while current in own and depth < 10:  # basedOn chains may loop in a bad file
                name, based, own_num_pr = own[current]
                heading = heading or name.casefold().startswith(_HEADING_STYLES)
                num_pr = num_pr if num_pr is not None else own_num_pr
                current, depth = based, depth + 1
            self.styles[style_id] = (heading, num_pr)
        if default is not None:
            self.styles[None] = self.styles[default]

    def _read_numbering(self, numbering: etree._Element) -> None:
        abstract = {a.get(qn("w:abstractNumId")): a for a in numbering.findall(qn("w:abstractNum"))}
        for num in numbering.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            definition = abstract.get(ref.get(qn("w:val")) if ref is not None else None)
            if definition is None:
                continue
            for level in definition.findall(qn("w:lvl")):
                fmt = level.find(qn("w:numFmt"))
                start = level.find(qn("w:start"))
                key = (num.get(qn("w:numId")) or "", level.get(qn("w:ilvl")) or "0")
                try:
                    first = int(start.get(qn("w:val")) or 1) if start is not None else 1
                except ValueError:
                    first = 1
                value = fmt.get(qn("w:val")) if fmt is not None else "decimal"
                self.formats[key] = (value or "decimal", first)

    def _num_key(
        self, p_pr: etree._Element | None, style_num_pr: etree._Element | None
    ) -> tuple[str, str] | None:
        num_pr = p_pr.find(_W_NUMPR) if p_pr is not None else None
        if num_pr is None:
            num_pr = style_num_pr
        if num_pr is None:
            return None
        num_id = num_pr.find(_W_NUMID)
        ilvl = num_pr.find(_W_ILVL)
        value = num_id.get(_W_VAL) if num_id is not None else None
        if not value or value == "0":
            return None
        return value, (ilvl.get(_W_VAL) if ilvl is not None else None) or "0"


_RUN_TEXT = {
    qn("w:cr"): "\n",
    qn("w:noBreakHyphen"): "-",
    qn("w:ptab"): "\t",
    qn("w:tab"): "\t",
}
_W_R, _W_HYPERLINK, _W_T, _W_BR, _W_TYPE, _W_RPR, _W_VERT_ALIGN = (
    qn(f"w:{tag}") for tag in ("r", "hyperlink", "t", "br", "type", "rPr", "vertAlign")
)
_SCRIPTS = frozenset((scripts.SUBSCRIPT, scripts.SUPERSCRIPT))


def _paragraph_text(p: etree._Element) -> str:
    """python-docx's `Paragraph.text`, read by walking the children once, with subscript and
    superscript runs (`w:vertAlign` set on the run) written as markup, `U_{2}`, and literal
    `_{`/`^{` escaped (`qbank.text.scripts`): without scripts it is exactly the text.

    python-docx compiles an XPath expression for every paragraph and every run, which makes
    it most of the time of reading a large bank; a test holds the two to the same result.
    Only direct run formatting is read: a character style that raises text is not.
    """
    runs: list[scripts.Run] = []
    for child in p:
        if child.tag == _W_R:
            _run_text(child, runs)
        elif child.tag == _W_HYPERLINK:
            for run in child:
                if run.tag == _W_R:
                    _run_text(run, runs)
    if all(position == scripts.BASELINE for _, position in runs):
        text = "".join(part for part, _ in runs)
        if "{" not in text:  # nothing to escape: the common case, kept cheap
            return text
    return scripts.join(runs)


def _run_text(run: etree._Element, runs: list[scripts.Run]) -> None:
    position = scripts.BASELINE
    properties = run.find(_W_RPR)
    if properties is not None:
        vert_align = properties.find(_W_VERT_ALIGN)
        value = vert_align.get(_W_VAL) if vert_align is not None else None
        if value in _SCRIPTS:
            position = scripts.SUBSCRIPT if value == "subscript" else scripts.SUPERSCRIPT
    parts: list[str] = []
    for child in run:
        tag = child.tag
        if tag == _W_T:
            parts.append(child.text or "")
        elif tag == _W_BR:
            if child.get(_W_TYPE, "textWrapping") == "textWrapping":
                parts.append("\n")
        elif tag in _RUN_TEXT:
            parts.append(_RUN_TEXT[tag])
    runs.append(("".join(parts), position))


def _centered(p_pr: etree._Element | None) -> bool:
    """The paragraph's own alignment is centre (the attribute read as text: python-docx's
    `alignment` raises on values it has no name for, such as `start`)."""
    jc = p_pr.find(_W_JC) if p_pr is not None else None
    return jc is not None and jc.get(_W_VAL) == "center"
