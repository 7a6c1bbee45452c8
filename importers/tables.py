"""Read spreadsheet-like files (.xlsx/.xlsm, .csv) into plain rows, as Excel would show them.

Item tables and knowledge trees share the hard parts of reading: a workbook that will not
open, a CSV written as GB18030 by Excel on Chinese Windows or as UTF-8 with a BOM, tab- or
semicolon-separated exports, and header cells typed by hand (`题型 （必填）`, `选项\\nA`).
Readers here return every row with the number Excel shows for it, so problems can point at
the exact row; interpreting the rows is left to the layout readers.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText
from openpyxl.utils.exceptions import InvalidFileException

from formats import limits as reading_limits
from formats.limits import LimitExceeded, Limits
from qbank.records import Location, Problem
from qbank.text import scripts

HEADER_SEARCH_ROWS = 20
"""Headers are looked for in this many rows from the top (title and note rows come first)."""

CSV_DELIMITERS = (",", "\t", ";")

Cell = object
Row = tuple[int, list[Cell]]
"""A row as (row number Excel shows, cell values)."""


@dataclass
class Sheet:
    """One worksheet (or a whole CSV file, `name` None) as numbered rows."""

    name: str | None
    rows: list[Row] = field(default_factory=list)

    def location(self, file: str, row: int | None = None) -> Location:
        return Location(file=file, sheet=self.name, row=row)


def display_name_of(path: Path, display_name: str | None) -> str:
    return display_name or path.name


# --- cells and headers ---------------------------------------------------------------------

_BRACKETED = re.compile(r"[(\[【<《{][^)\]】>》}]*[)\]】>》}]")
_HEADER_JUNK = re.compile(r"[\s*＊:：]+")


def cell_text(value: Cell) -> str:
    """A cell as the text a person sees: `3.0` → `3`, TRUE/FALSE, dates without midnight."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(value, ".15g")  # Excel shows 15 significant digits
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return str(value)


def is_blank(value: Cell) -> bool:
    return not cell_text(value).strip()


def norm_header(value: Cell) -> str:
    """Header cell → comparison key: NFKC, no spaces or line breaks, no `（必填）` or `*` marks.

    `题型 （必填）`, `*题干`, `选项\\nA`, `正确答案(必填)` give `题型`, `题干`, `选项a`, `正确答案`.
    """
    text = unicodedata.normalize("NFKC", cell_text(value)).casefold()
    text = _BRACKETED.sub("", text)
    return _HEADER_JUNK.sub("", text)


def pad(cells: Sequence[Cell], width: int) -> list[Cell]:
    return list(cells) + [None] * (width - len(cells))


# --- workbooks -----------------------------------------------------------------------------


def _excel_value(cell: object) -> Cell:
    """Value of a read-only cell; a number formatted as a percentage reads as Excel shows it,
    rich text with its sub- and superscripts as markup (`qbank.text.scripts`)."""
    value = getattr(cell, "value", None)
    if isinstance(value, CellRichText):  # raised or lowered runs as markup
        return _rich_text(value)
    number_format = getattr(cell, "number_format", None) or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in number_format:
        return format(value * 100, ".12g") + "%"
    return value


def _rich_text(value: CellRichText) -> str:
    """A rich-text cell's text, its subscript and superscript runs as markup; the rest is
    typed text, where markup may be typed too (`qbank.text.scripts`)."""
    runs: list[scripts.Run] = []
    for block in value:
        if isinstance(block, str):
            runs.append((block, scripts.BASELINE))
            continue
        align = getattr(block.font, "vertAlign", None)
        position = align if align in (scripts.SUBSCRIPT, scripts.SUPERSCRIPT) else scripts.BASELINE
        runs.append((block.text, position))
    return scripts.join_typed(runs)


def _read_workbook(path: Path, display: str, limits: Limits) -> list[Sheet]:
    reading_limits.check_zip(path, limits, display=display, text_limit="cell_chars")
    with warnings.catch_warnings():
        # openpyxl warns about styles, data validation etc. it skips; none matter here
        warnings.simplefilter("ignore", UserWarning)
        return _read_workbook_quietly(path, display, limits)


def _read_workbook_quietly(path: Path, display: str, limits: Limits) -> list[Sheet]:
    workbook = load_workbook(path, read_only=True, data_only=True, rich_text=True)
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            worksheet.reset_dimensions()  # some writers store a wrong <dimension>
            sheet = Sheet(worksheet.title)
            guard = _SheetGuard(display, sheet.name, limits)
            for number, cells in enumerate(worksheet.iter_rows(), start=1):
                sheet.rows.append((number, guard.row(number, [_excel_value(c) for c in cells])))
            sheets.append(sheet)
        return sheets
    finally:
        workbook.close()


class _SheetGuard:
    """Rows, cells per row, cells per sheet and characters per cell, checked row by row."""

    def __init__(self, display: str, sheet: str | None, limits: Limits) -> None:
        self.display, self.sheet, self.limits = display, sheet, limits
        self.cells = 0

    def row(self, number: int, cells: list[Cell]) -> list[Cell]:
        limits = self.limits
        self.cells += len(cells)
        if number > limits.rows or len(cells) > limits.columns or self.cells > limits.cells:
            where = Location(self.display, self.sheet, number)
            self._check("rows", number, where)
            self._check("columns", len(cells), where)
            self._check("cells", self.cells, where)
        for value in cells:
            if isinstance(value, str) and len(value) > limits.cell_chars:
                self._check("cell_chars", len(value), Location(self.display, self.sheet, number))
        return cells

    def _check(self, name: str, value: int, where: Location) -> None:
        try:
            self.limits.check(name, value, self.display)
        except LimitExceeded as error:
            error.location = where
            raise


SheetGuard = _SheetGuard
"""The row-by-row limits, for other table readers (Word tables)."""


# --- CSV -----------------------------------------------------------------------------------


def decode_csv(data: bytes) -> str | None:
    """Text of a CSV file whatever Excel or a script saved it as; None if no encoding fits.

    UTF-8 (with or without BOM) is tried strictly first because GB18030 would also accept many
    UTF-8 byte strings; then GB18030 (a superset of GBK/GB2312, what Excel on Chinese Windows
    writes); UTF-16 with a BOM (Excel's "Unicode text"); charset-normalizer for anything else.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(data).best()
    return None if best is None else str(best)


def _check_lines(text: str, display: str, limits: Limits) -> None:
    """Refuse a CSV text with a line over `line_chars` or more lines than `rows` allows.

    Checked on the text before the csv module builds a single record, so a one-line file of
    millions of fields costs a scan, not millions of strings.
    """
    start = line = 0
    end = len(text)
    while start < end:
        line += 1
        stop = text.find("\n", start)
        if stop < 0:
            stop = end
        length = stop - start
        if length > limits.line_chars or line > limits.rows:
            name, value = ("line_chars", length) if length > limits.line_chars else ("rows", line)
            try:
                limits.check(name, value, display)
            except LimitExceeded as error:
                error.location = Location(display, row=line)
                raise
        start = stop + 1


_SNIFF_CHARS = 64 * 1024


def _sniff_delimiter(text: str) -> str:
    head = itertools.islice(io.StringIO(text[:_SNIFF_CHARS], newline=""), HEADER_SEARCH_ROWS)
    sample = "".join(head)
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(CSV_DELIMITERS)).delimiter
    except csv.Error:
        return ","


def _read_csv_text(
    text: str,
    looks_like_header: Callable[[Sequence[Cell]], bool] | None,
    display: str = "",
    limits: Limits | None = None,
) -> Sheet:
    """Parse with the delimiter under which a header row appears; the sniffed one otherwise.

    The sniffer alone guesses wrong on Chinese text with commas inside quoted stems, so each
    candidate is confirmed by finding the header in the first rows.
    """
    limits = limits or reading_limits.current()
    _check_lines(text, display, limits)
    sniffed = _sniff_delimiter(text)
    candidates = [sniffed, *(d for d in CSV_DELIMITERS if d != sniffed)]
    chosen = sniffed
    if looks_like_header is not None:
        for delimiter in candidates:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            head = itertools.islice(reader, HEADER_SEARCH_ROWS)
            if any(looks_like_header(record) for record in head):
                chosen = delimiter
                break
    sheet = Sheet(None)
    guard = _SheetGuard(display, None, limits)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=chosen)
    number = 0
    with _csv_field_limit(limits.cell_chars):
        try:
            for number, record in enumerate(reader, start=1):
                sheet.rows.append((number, guard.row(number, list(record))))
        except csv.Error as error:
            if "field larger than field limit" not in str(error):
                raise
            guard._check("cell_chars", limits.cell_chars + 1, Location(display, row=number + 1))
    return sheet


@contextlib.contextmanager
def _csv_field_limit(chars: int) -> Iterator[None]:
    """csv's field size limit (process-wide) set to the cell limit while one file is read."""
    previous = csv.field_size_limit(chars)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


# --- entry point ---------------------------------------------------------------------------


def read_sheets(
    path: Path,
    display: str,
    looks_like_header: Callable[[Sequence[Cell]], bool] | None = None,
    limits: Limits | None = None,
) -> tuple[list[Sheet], list[Problem]]:
    """Every sheet of a workbook, or a CSV file as one sheet; or the problem that stops reading.

    `looks_like_header` helps pick the CSV delimiter; it is not used for workbooks. Reading
    stops at the first limit exceeded (`formats.limits`, default `limits.current()`), with
    that one problem.
    """
    where = Location(file=display)
    limits = limits or reading_limits.current()
    try:
        if path.suffix.lower() == ".csv":
            reading_limits.check_file_size(path, limits, display)
            text = decode_csv(path.read_bytes())
            if text is None:
                return [], [Problem(where, "file", "problem.unknown_encoding")]
            return [_read_csv_text(text, looks_like_header, display, limits)], []
        return _read_workbook(path, display, limits), []
    except LimitExceeded as error:
        return [], [reading_limits.as_problem(error, where)]
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        ValueError,
        TypeError,
        IndexError,
        SyntaxError,  # malformed XML inside the package (ElementTree's and lxml's errors)
        OSError,
        EOFError,
        csv.Error,
    ) as error:
        reason = str(error) or type(error).__name__
        return [], [Problem(where, "file", "problem.unreadable_file", {"reason": reason})]
