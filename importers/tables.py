"""Read spreadsheet-like files (.xlsx/.xlsm, .xls/.et, .ods, .csv) into plain rows, as Excel
would show them.

Item tables and knowledge trees share the hard parts of reading: a workbook that will not
open, a CSV written as GB18030 by Excel on Chinese Windows or as UTF-8 with a BOM, tab- or
semicolon-separated exports, and header cells typed by hand (`题型 （必填）`, `选项\\nA`).
Readers here return every row with the number Excel shows for it, so problems can point at
the exact row; interpreting the rows is left to the layout readers.

Workbooks are read by calamine (python-calamine), several times faster than openpyxl and the
one reader of .xls and .ods; `importers.workbook_extent` says when openpyxl reads an .xlsx
instead. calamine gives values without their number formats: a percentage cell of an .xls
reads as its fraction (`25%` → 0.25; an .xlsx with percentage formats is read by openpyxl and
an .ods's percentage cells are found while its extent is checked, so both read as shown).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import functools
import io
import itertools
import os
import re
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import charset_normalizer

from formats import limits as reading_limits
from formats.limits import LimitExceeded, Limits
from importers import workbook_extent
from qbank.records import Location, Problem
from qbank.text import scripts
from qbank.text.nfkc import nfkc

if TYPE_CHECKING:
    import python_calamine
    from openpyxl.cell.rich_text import CellRichText

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
    text = nfkc(cell_text(value)).casefold()
    text = _BRACKETED.sub("", text)
    return _HEADER_JUNK.sub("", text)


def is_header(value: Cell, key: str) -> bool:
    """`norm_header(value) == key`, answered without normalising `value` where it cannot be:
    when `key` begins with a CJK ideograph that `value`, a string, does not hold, and `value`
    holds no character whose NFKC could give one (`IDEOGRAPH_SOURCES`). Casefolding and the
    removals of `norm_header` never give an ideograph, and NFKC gives one only from itself or
    from such a character (an ideograph has no decomposition, so composing never makes one).
    tests/test_header_cells.py holds the sources to every code point's NFKD and casefold. A
    data row's stem: 0.37 µs against 2.4 µs to normalise it (a 26-character stem); a
    million-row CSV read in 21.8 s against 23.5-24.0 s (2026-12-05)."""
    initial = _ideograph_initial(key)
    if (
        initial
        and type(value) is str
        and initial not in value
        and not IDEOGRAPH_SOURCES.search(value)
    ):
        return False
    return norm_header(value) == key


@functools.cache
def _ideograph_initial(key: str) -> str:
    """The first character of `key` when it is a CJK ideograph, else ""."""
    return key[0] if key and _IDEOGRAPH.fullmatch(key[0]) else ""


_IDEOGRAPH = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002f7ff\U00030000-\U0003ffff]")
"""CJK unified ideographs: extension A, the main block, the supplementary planes' extensions
(not the compatibility ideographs among them)."""

IDEOGRAPH_SOURCES = re.compile(
    "[\u2e80-\u2fdf\u3038-\u303a\u3190-\u319f\u3200-\u33ff\uf900-\ufaff"
    "\U0001f200-\U0001f2ff\U0002f800-\U0002fa1f]"
)
"""Where every character whose NFKC holds a CJK ideograph other than itself lies: the
radicals, the Hangzhou numerals, kanbun, the enclosed CJK letters and months,
compatibility ideographs, the enclosed ideographic supplement (a superset: some of these
give none). Not the CJK punctuation (`。、「」`), which stems are full of."""


def pad(cells: Sequence[Cell], width: int) -> list[Cell]:
    return list(cells) + [None] * (width - len(cells))


# --- workbooks -----------------------------------------------------------------------------


def _excel_value(cell: object) -> Cell:
    """Value of a read-only cell; a number formatted as a percentage reads as Excel shows it,
    rich text with its sub- and superscripts as markup (`qbank.text.scripts`)."""
    from openpyxl.cell.rich_text import CellRichText  # loaded with openpyxl's reader

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


_ZIP_MAGIC = b"PK\x03\x04"


def _read_workbook(path: Path, display: str, limits: Limits) -> list[Sheet]:
    """Sheets of an .xlsx/.xlsm, .ods or .xls/.et workbook, told apart by content.

    calamine reads all of them. openpyxl reads an .xlsx only when calamine cannot give what
    the layouts need or cannot be trusted with the file's size: a workbook with a percentage
    format (calamine gives no number formats, and `0.25` shown as `25%` must read as 25%), a
    workbook with subscript or superscript runs (calamine gives rich text as plain text, and
    `U₂` must read as `U_{2}`), or
    a sheet whose cells reach beyond its declared `<dimension>`, lack it, or lack a cell
    reference (calamine allocates the whole area between the first and the last cell, so its
    extent is checked before it reads; openpyxl checks the limits row by row instead).
    """
    with open(path, "rb") as handle:
        head = handle.read(len(_ZIP_MAGIC))
    if not head.startswith(_ZIP_MAGIC):  # .xls/.et (a compound file) or not a workbook at all
        reading_limits.check_file_size(path, limits, display)
        return _read_calamine(path, display, limits)
    reading_limits.check_zip(path, limits, display=display, text_limit="cell_chars")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names and "content.xml" in names:
            percent = workbook_extent.check_ods(archive, display, limits)
            return _read_calamine(path, display, limits, percent)
        fast = workbook_extent.calamine_reads_xlsx(archive, names, limits)
    if fast:
        return _read_calamine(path, display, limits)
    with warnings.catch_warnings():
        # openpyxl warns about styles, data validation etc. it skips; none matter here
        warnings.simplefilter("ignore", UserWarning)
        return _read_openpyxl(path, display, limits)


def reads_directly(path: Path) -> bool:
    """An .xls/.et that calamine opens (a BIFF workbook, or a zip package under the old name),
    so no conversion is needed; an HTML or RTF export, an old WPS format or a damaged file is
    left to LibreOffice. FileTooLarge when over the file size limit."""
    from python_calamine import CalamineWorkbook

    reading_limits.check_file_size(path, reading_limits.current(), path.name)
    with open(path, "rb") as handle:
        if handle.read(len(_ZIP_MAGIC)).startswith(_ZIP_MAGIC):
            return True
        handle.seek(0)
        try:
            with _calamine_failures(), CalamineWorkbook.from_filelike(handle):
                return True
        except ValueError:
            return False


def _read_calamine(
    path: Path, display: str, limits: Limits, percent: workbook_extent.Percentages | None = None
) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    with (
        open(path, "rb") as handle,
        _calamine_failures(),
        CalamineWorkbook.from_filelike(handle) as workbook,
    ):
        return _calamine_sheets(workbook, display, limits, percent or {})


@contextlib.contextmanager
def _calamine_failures() -> Iterator[None]:
    """calamine's refusal of a damaged or encrypted workbook as ValueError (its reason kept).

    On some damaged .xls its compound-file reader indexes past the data and panics: pyo3
    raises PanicException, a BaseException, and Rust's panic hook writes the panic to the
    process's stderr. That stderr is set aside while calamine runs, so the user reads one
    located problem, not a Rust backtrace.
    """
    from python_calamine import CalamineError

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    except CalamineError as error:
        raise ValueError(str(error) or type(error).__name__) from None
    except BaseException as error:
        if type(error).__name__ != "PanicException":
            raise
        raise ValueError(str(error) or "PanicException") from None
    finally:
        os.close(saved)


def _calamine_sheets(
    workbook: python_calamine.CalamineWorkbook,
    display: str,
    limits: Limits,
    percent: workbook_extent.Percentages,
) -> list[Sheet]:
    from python_calamine import SheetTypeEnum

    sheets = []
    for meta in workbook.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        # empty rows and columns before the first cell kept: row numbers as Excel shows them
        rows = workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
        sheet = Sheet(meta.name)
        guard = _SheetGuard(display, sheet.name, limits)
        for number, cells in enumerate(rows, start=1):
            sheet.rows.append((number, guard.row(number, _calamine_cells(cells))))
        _show_percentages(sheet, percent.get(meta.name, []))
        sheets.append(sheet)
    return sheets


def _show_percentages(sheet: Sheet, blocks: list[tuple[int, int, int, int]]) -> None:
    """Numbers in percentage cells as Excel shows them (`0.25` → `25%`), as openpyxl's
    reader gives them from an .xlsx."""
    for first_row, first_column, height, width in blocks:
        for _, cells in sheet.rows[first_row : first_row + height]:
            for column in range(first_column, min(first_column + width, len(cells))):
                value = cells[column]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    cells[column] = format(value * 100, ".12g") + "%"


def _calamine_cells(cells: Sequence[Cell]) -> list[Cell]:
    """A calamine row as openpyxl gives it: empty cells None (none after the last value),
    whole numbers int (calamine reads every .xlsx number as float: 试题编号 1 → 1.0)."""
    out: list[Cell] = []
    for value in cells:
        if value == "":
            out.append(None)
        elif type(value) is float and value.is_integer() and abs(value) < _EXACT_INT:
            out.append(int(value))
        else:
            out.append(value)
    while out and out[-1] is None:
        out.pop()
    return out


_EXACT_INT = 2.0**53


def _read_openpyxl(path: Path, display: str, limits: Limits) -> list[Sheet]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True, rich_text=True)
    except InvalidFileException as error:
        raise ValueError(str(error) or type(error).__name__) from None
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
