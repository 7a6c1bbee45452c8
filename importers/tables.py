"""Read spreadsheet-like files (.xlsx/.xlsm, .csv) into plain rows, as Excel would show them.

Item tables and knowledge trees share the hard parts of reading: a workbook that will not
open, a CSV written as GB18030 by Excel on Chinese Windows or as UTF-8 with a BOM, tab- or
semicolon-separated exports, and header cells typed by hand (`题型 （必填）`, `选项\\nA`).
Readers here return every row with the number Excel shows for it, so problems can point at
the exact row; interpreting the rows is left to the layout readers.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from qbank.records import Location, Problem

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
    """Value of a read-only cell; a number formatted as a percentage reads as Excel shows it."""
    value = getattr(cell, "value", None)
    number_format = getattr(cell, "number_format", None) or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in number_format:
        return format(value * 100, ".12g") + "%"
    return value


def _read_workbook(path: Path) -> list[Sheet]:
    with warnings.catch_warnings():
        # openpyxl warns about styles, data validation etc. it skips; none matter here
        warnings.simplefilter("ignore", UserWarning)
        return _read_workbook_quietly(path)


def _read_workbook_quietly(path: Path) -> list[Sheet]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            worksheet.reset_dimensions()  # some writers store a wrong <dimension>
            rows = [
                (number, [_excel_value(c) for c in cells])
                for number, cells in enumerate(worksheet.iter_rows(), start=1)
            ]
            sheets.append(Sheet(worksheet.title, rows))
        return sheets
    finally:
        workbook.close()


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


def _csv_records(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(CSV_DELIMITERS)).delimiter
    except csv.Error:
        return ","


def _read_csv_text(text: str, looks_like_header: Callable[[Sequence[Cell]], bool] | None) -> Sheet:
    """Parse with the delimiter under which a header row appears; the sniffed one otherwise.

    The sniffer alone guesses wrong on Chinese text with commas inside quoted stems, so each
    candidate is confirmed by finding the header in the first rows.
    """
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
    records = _csv_records(text, chosen)
    return Sheet(None, [(n, list(r)) for n, r in enumerate(records, start=1)])


# --- entry point ---------------------------------------------------------------------------


def read_sheets(
    path: Path,
    display: str,
    looks_like_header: Callable[[Sequence[Cell]], bool] | None = None,
) -> tuple[list[Sheet], list[Problem]]:
    """Every sheet of a workbook, or a CSV file as one sheet; or the problem that stops reading.

    `looks_like_header` helps pick the CSV delimiter; it is not used for workbooks.
    """
    where = Location(file=display)
    try:
        if path.suffix.lower() == ".csv":
            text = decode_csv(path.read_bytes())
            if text is None:
                return [], [Problem(where, "file", "problem.unknown_encoding")]
            return [_read_csv_text(text, looks_like_header)], []
        return _read_workbook(path), []
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
