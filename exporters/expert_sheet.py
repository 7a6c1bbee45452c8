"""The house style of the workbooks an expert fills in and returns (审核表, 鉴定点建议):
ruled cells, a merged title row, a shaded header row, the columns to fill shaded, frozen
header, filter, and a page set up for landscape A4 one page wide.

The review and the 鉴定点 workbooks differ in their columns and rows only; both use this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MAX_CELL_CHARS = 32767  # Excel refuses longer cell text

Value = str | int | float | None

_THIN = Side(style="thin", color="999999")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
SMALL_FONT = Font(color="808080", size=8)
_TOP = Alignment(wrap_text=True, vertical="top")
_TOP_NO_WRAP = Alignment(wrap_text=False, vertical="top")
_CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    wrap: bool = True
    to_fill: bool = False  # the expert's columns, shaded
    small: bool = False  # identifiers: the reader needs them, a person hardly reads them
    hidden: bool = False  # kept for the reader, neither shown nor printed


def cell_text(value: Value) -> Value:
    """Cell-safe value: no control characters (.xlsx cannot hold them), within Excel's limit."""
    if isinstance(value, str):
        cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", value)
        return cleaned[:MAX_CELL_CHARS]
    return value


def put(sheet: Worksheet, row: int, column: int, value: Value) -> Cell:
    cell = sheet.cell(row=row, column=column, value=cell_text(value))
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # item text that looks like a formula stays text
    return cell


def title_and_headers(
    sheet: Worksheet, columns: Sequence[Column], title: str, *, title_row: int, header_row: int
) -> None:
    """The title merged across the columns, then the shaded, ruled header row; widths set."""
    title_cell = put(sheet, title_row, 1, title)
    sheet.merge_cells(f"A{title_row}:{get_column_letter(len(columns))}{title_row}")
    title_cell.font = Font(bold=True, size=14)
    title_cell.alignment = _CENTRED
    sheet.row_dimensions[title_row].height = 28
    for c, column in enumerate(columns, start=1):
        cell = sheet.cell(row=header_row, column=c, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = INPUT_FILL if column.to_fill else HEADER_FILL
        cell.border = BORDER
        cell.alignment = _CENTRED
        dimension = sheet.column_dimensions[get_column_letter(c)]
        dimension.width = column.width
        dimension.hidden = column.hidden


def data_row(
    sheet: Worksheet, row: int, columns: Sequence[Column], values: Sequence[Value]
) -> None:
    """One ruled row of values, wrapped where the column wraps, the expert's cells shaded."""
    for c, (column, value) in enumerate(zip(columns, values, strict=True), 1):
        cell = put(sheet, row, c, value)
        cell.alignment = _TOP if column.wrap else _TOP_NO_WRAP
        cell.border = BORDER
        if column.small:
            cell.font = SMALL_FONT
        if column.to_fill:
            cell.fill = INPUT_FILL


def for_paper(
    sheet: Worksheet, columns: Sequence[Column], *, header_row: int, last_row: int
) -> None:
    """Frozen header, a filter over the rows, the header repeated on every printed page,
    landscape A4 fitted to one page wide."""
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{last_row}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def notes(sheet: Worksheet, lines: Sequence[str], *, column: int = 1, first_row: int = 1) -> None:
    """The 说明 sheet's lines, wrapped, in a wide column; the first line is the heading."""
    sheet.column_dimensions[get_column_letter(column)].width = 100
    for r, line in enumerate(lines, start=first_row):
        cell = sheet.cell(row=r, column=column, value=line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if r == first_row:
            cell.font = Font(bold=True, size=12)
