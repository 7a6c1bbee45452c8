"""How far a workbook's cells reach, checked before calamine reads it.

calamine builds each sheet as one dense block from its first to its last cell, 32 bytes a
cell: two cells at A1 and XFD1048576 ask for 512 GiB and abort the process. So before calamine
sees a workbook, the area its sheets span is bounded here without parsing them:

- .xlsx: every row and cell must carry its reference first (`<row r="…"`, `<c r="…"`, what
  Excel, WPS, LibreOffice and openpyxl write), rows must come in order (no reference past the
  last row seen so far), and the area up to the last row and the widest column must be within
  the rows, columns and cells limits. A sheet that does not answer all of that, or a workbook
  with a percentage number format (calamine gives values, not formats), is read by openpyxl,
  which checks the limits row by row. The checks are byte counts and regular-expression
  searches for a reference past a bound, so a 70 MB sheet costs a fraction of its parse.
- .ods: `content.xml` is walked with expat (no tree kept), counting repeated rows and cells as
  calamine expands them; a sheet beyond the limits is refused with LimitExceeded. The walk
  also notes the percentage cells, whose format calamine drops.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
import zipfile
from xml.parsers import expat

from formats.limits import LimitExceeded, Limits
from qbank.records import Location

_CHUNK = 1 << 20
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_PERCENT_BUILTIN = {"9", "10"}


def calamine_reads_xlsx(archive: zipfile.ZipFile, names: set[str], limits: Limits) -> bool:
    """True when calamine gives the layouts all they need from this .xlsx, within limits."""
    sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    return not (_has_percent_format(archive, names) or _has_script_runs(archive, names)) and all(
        _sheet_within(archive, name, limits) for name in sheets
    )


def _has_percent_format(archive: zipfile.ZipFile, names: set[str]) -> bool:
    """A cell style of the workbook shows numbers as percentages (builtin 9/10, or a format
    code with `%`, the test openpyxl's reader applied)."""
    if "xl/styles.xml" not in names:
        return False
    root = ElementTree.fromstring(archive.read("xl/styles.xml"))  # counted by check_zip
    percent = set(_PERCENT_BUILTIN)
    for number_format in root.iter(f"{_MAIN}numFmt"):
        if "%" in number_format.get("formatCode", ""):
            percent.add(number_format.get("numFmtId", ""))
    cell_styles = root.find(f"{_MAIN}cellXfs")
    if cell_styles is None:
        return False
    return any(xf.get("numFmtId", "0") in percent for xf in cell_styles.iter(f"{_MAIN}xf"))


def _has_script_runs(archive: zipfile.ZipFile, names: set[str]) -> bool:
    """Rich text with raised or lowered runs (`<vertAlign val="subscript"/>`) in the shared
    strings: calamine reads rich text as plain text, which would lose them."""
    name = "xl/sharedStrings.xml"
    return name in names and b"vertAlign" in archive.read(name)  # counted by check_zip


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _greater(bound: str, digit: str) -> bytes:
    """A regular expression for a string of `digit` characters (`[0-9]` or `[A-Z]`) that
    compares greater than `bound` as a number (longer, or as long and greater at the first
    difference)."""
    top = digit[-2]
    alternatives = [f"{digit}{{{len(bound) + 1},}}"]
    for i, char in enumerate(bound):
        if char != top:
            low = chr(ord(char) + 1)
            alternatives.append(f"{bound[:i]}[{low}-{top}]{digit}{{{len(bound) - i - 1}}}")
    return ("(?:" + "|".join(alternatives) + ")").encode()


def _sheet_within(archive: zipfile.ZipFile, name: str, limits: Limits) -> bool:
    """Every row and cell names its reference, rows come in order (no reference lies past the
    last row seen so far), and the area up to the last row and the widest column is within
    the limits."""
    rows = columns = 0
    tail = b""
    with archive.open(name) as member:
        while True:
            chunk = member.read(_CHUNK)
            data = tail + chunk
            cut = data.rfind(b"<") if chunk else len(data)
            tail, data = data[cut:], data[:cut]
            if not _references_first(data):
                return False
            last = data.rfind(b'<row r="')
            if last >= 0:
                found = _ROW_AT.match(data, last)
                rows = max(rows, int(found.group(1))) if found else rows
            if re.search(rb'r="[A-Z]*' + _greater(str(rows), "[0-9]") + rb'"', data):
                return False
            columns = _widest(data, columns)
            if rows > limits.rows or columns > limits.columns or rows * columns > limits.cells:
                return False
            if not chunk:
                return True


_ROW_AT = re.compile(rb'<row r="(\d+)"')
_COLUMN_AT = re.compile(rb'r="([A-Z]+)[0-9]')


def _widest(data: bytes, columns: int) -> int:
    """The widest column referenced in `data` or before (`columns`): each search looks only
    for a column past the widest so far, so a sheet costs as many searches as its width grows."""
    position = 0
    while found := re.compile(rb'r="' + _greater(_letters(columns), "[A-Z]") + rb"[0-9]").search(
        data, position
    ):
        letters = _COLUMN_AT.match(data, found.start())
        assert letters is not None  # the search matched the same shape
        columns = _column_number(letters.group(1).decode())
        position = found.end()
    return columns


def _letters(column: int) -> str:
    """Column number → Excel letters (0 → "", 1 → A, 27 → AA)."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_UNREFERENCED = (
    re.compile(rb'<c(?! r=")[\s>/]'),  # a cell whose reference is missing or not first
    re.compile(rb'<row(?! r=")[\s>/]'),
    re.compile(rb":(?:c|row)[\s>/]"),  # a prefixed tag (`<x:c`): not the shape looked for
)


def _references_first(data: bytes) -> bool:
    """Every row and cell tag in `data` starts with its reference (no namespace prefix)."""
    return not any(pattern.search(data) for pattern in _UNREFERENCED)


Percentages = dict[str | None, list[tuple[int, int, int, int]]]
"""Sheet name → blocks of percentage cells (first row, first column, rows, columns; from 0)."""

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


class _OdsExtent:
    """expat handlers following rows and cells of each table, as calamine expands repeats."""

    def __init__(self, display: str, limits: Limits) -> None:
        self.display, self.limits = display, limits
        self.sheet: str | None = None
        self.row = self.row_repeat = self.column = 0
        self.cell: tuple[int, bool, bool] | None = None  # (columns repeated, value, percent)
        self.percent: Percentages = {}
        self.first_row = self.last_row = self.first_column = self.last_column = -1

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if self.cell is not None:  # anything inside a cell (text:p) makes it a value
            self.cell = (self.cell[0], True, self.cell[2])
        if tag == f"{_TABLE} table":
            self.sheet = attributes.get(f"{_TABLE} name")
            self.row = 0
            self.first_row = self.last_row = self.first_column = self.last_column = -1
        elif tag == f"{_TABLE} table-row":
            self.row_repeat = _repeat(attributes, "number-rows-repeated")
            self.column = 0
        elif tag in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell"):
            kind = attributes.get(f"{_OFFICE} value-type")
            repeat = _repeat(attributes, "number-columns-repeated")
            self.cell = (repeat, kind is not None, kind == "percentage")

    def end(self, tag: str) -> None:
        if tag in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell") and self.cell:
            repeat, value, percent = self.cell
            self.cell = None
            if value:
                self._reach(self.row, self.column, self.row_repeat, repeat)
            if percent:
                cells = (self.row, self.column, self.row_repeat, repeat)
                self.percent.setdefault(self.sheet, []).append(cells)
            self.column += repeat
        elif tag == f"{_TABLE} table-row":
            self.row += self.row_repeat

    def _reach(self, row: int, column: int, rows: int, columns: int) -> None:
        if self.first_row < 0:
            self.first_row, self.first_column = row, column
        self.first_column = min(self.first_column, column)
        self.last_row = max(self.last_row, row + rows - 1)
        self.last_column = max(self.last_column, column + columns - 1)
        height = self.last_row + 1  # rows before the first are read too (numbers as shown)
        width = self.last_column + 1
        for name, value in (("rows", height), ("columns", width), ("cells", height * width)):
            if value > getattr(self.limits, name):
                error = LimitExceeded(
                    file=self.display,
                    where="",
                    limit=name,
                    value=value,
                    maximum=getattr(self.limits, name),
                )
                error.location = Location(self.display, self.sheet, min(height, row + 1))
                raise error


def _repeat(attributes: dict[str, str], name: str) -> int:
    text = attributes.get(f"{_TABLE} {name}", "1")
    return int(text) if text.isdigit() and int(text) > 0 else 1


def check_ods(archive: zipfile.ZipFile, display: str, limits: Limits) -> Percentages:
    """Refuse an .ods whose sheets calamine would expand beyond the limits; return where its
    percentage cells are (calamine reads `25%` as 0.25)."""
    extent = _OdsExtent(display, limits)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = extent.start
    parser.EndElementHandler = extent.end
    with archive.open("content.xml") as member:
        while chunk := member.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    return extent.percent
