"""The 鉴定点 suggestion workbook (`formats.points_sheet`): one row per item, for an expert.

Rows come in the order `qbank.point_coding.propose_points` gives: uncoded items first, then
coded items the model doubts, then the rest, so the work is at the top. Each row shows the
item (shortened stem), its current code, three suggestions with their probabilities and
names, a 采纳 cell to fill (a drop-down of 1/2/3 that also accepts a typed code) and a 提示
saying why the row needs attention. Laid out for paper: landscape A4 fitted to the page
width, header repeated, cells wrapped; the version column, which only the reader needs, is
hidden.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from exporters import expert_sheet
from exporters.expert_sheet import Column, Value
from formats.points_sheet import (
    ACCEPT,
    FIRST_DATA_ROW,
    GUID,
    HEADER_ROW,
    LEVEL_LABEL,
    NOTES_SHEET,
    OCCUPATION_LABEL,
    SHEET,
    SUGGESTIONS,
    TITLE_ROW,
    VERSION,
)
from qbank.i18n import DOCUMENT_LANGUAGE, tr
from qbank.point_coding import OUTSIDE_TREE, UNLIKELY, PointOption, PointProposal
from qbank.text.numbers import format_percent

LINE_POINTS = 14.0
"""Height of one line of 11-point text in a row, in points."""
STEM_CHARS = 60
"""A stem is cut to this many characters: enough to recognise the item on paper."""

NOTES = (
    "填写说明",
    "1. “鉴定点建议”表每行一道试题：未编码的试题在前，其次是模型认为当前鉴定点很可能有误的试题（见“提示”列），其余在后。",
    "2. “采纳”列填 1、2 或 3 表示采用对应的建议；也可以直接填写鉴定点代码（如 B-A-C-012）。留空表示不作修改。",
    "3. 导入：qbank import points 鉴定点建议.xlsx（可先加 --dry-run 检查）。只有填写了“采纳”的行会生成试题的新版本，"
    "新版本只改鉴定点，其余内容不变。",
    "4. 请勿修改“试题编号”和“版本”两列：导入时据此确认试题在生成本表后没有改动；已改动的试题会被拒绝，请重新生成本表。",
    "5. “可能性”是模型的估计，仅供参考；鉴定点以细目表为准，采纳的代码必须在题库当前的细目表中。",
)

_FLAG_FONT = Font(color="C00000")

COLUMNS = (
    Column("序号", 5, wrap=False),
    Column(GUID, 12, small=True),
    Column(VERSION, 10, wrap=False, small=True, hidden=True),
    Column("题型", 7, wrap=False),
    Column("题干", 34),
    Column("当前鉴定点", 11, wrap=False),
    *(Column(header, 22) for header in SUGGESTIONS),
    Column(ACCEPT, 8, wrap=False, to_fill=True),
    Column("提示", 22),
)
HEADERS = tuple(c.header for c in COLUMNS)


def _stem(stem: str) -> str:
    line = " ".join(stem.split())
    return line if len(line) <= STEM_CHARS else line[: STEM_CHARS - 1] + "…"


def _percent(score: float) -> str:
    """A probability to one decimal of a percent; never a bare 0% or 100% (the model is
    never certain)."""
    if score < 0.001:
        return "<0.1%"
    if score > 0.999:
        return ">99.9%"
    return format_percent(round(score, 3))


def _note(proposal: PointProposal) -> str | None:
    """Why the row needs the expert's eye, or None."""
    if proposal.flag == UNLIKELY and proposal.code_score is not None:
        best = proposal.suggestions[0]
        return (
            f"存疑：模型认为当前鉴定点的可能性仅 {_percent(proposal.code_score)}"
            f"（首选 {best.code}，{_percent(best.score)}）"
        )
    if proposal.flag == OUTSIDE_TREE:
        return "当前鉴定点不在细目表中"
    if proposal.code is None:
        return "未编码"
    return None


def _suggestion(option: PointOption | None) -> str | None:
    """`B-A-C-002  67.1%`, the point's name, and the range it is in: the code first, where
    the reader takes it from."""
    if option is None:
        return None
    lines = [f"{option.code}  {_percent(option.score)}", option.name]
    if len(option.path) > 1:
        lines.append(f"（{option.path[-2]}）")
    return "\n".join(lines)


def _row(number: int, proposal: PointProposal) -> list[Value]:
    cells: list[Value] = [
        number,
        proposal.guid,
        proposal.version,
        tr(f"type.{proposal.type}", lang=DOCUMENT_LANGUAGE),
        _stem(proposal.stem),
        proposal.code,
    ]
    options: list[PointOption | None] = [*proposal.suggestions]
    options += [None] * (len(SUGGESTIONS) - len(options))
    cells += [_suggestion(option) for option in options[: len(SUGGESTIONS)]]
    return [*cells, None, _note(proposal)]


def _lines(text: str, width: float) -> int:
    """Lines `text` takes in a wrapped cell `width` characters wide (a CJK character is two)."""
    total = 0
    for line in text.split("\n"):
        units = sum(2 if ord(c) > 0x2E7F else 1 for c in line)
        total += max(1, math.ceil(units / max(width - 2, 1)))
    return total


def _row_height(values: Sequence[Value]) -> float:
    """Points enough for the tallest wrapped cell: spreadsheet programs do not re-measure
    rows of a file they open, so wrapped text would print clipped."""
    lines = max(
        (
            _lines(value, column.width)
            for column, value in zip(COLUMNS, values, strict=True)
            if column.wrap and not column.hidden and isinstance(value, str)
        ),
        default=1,
    )
    return LINE_POINTS * lines + 2


def _suggestion_sheet(sheet: Worksheet, proposals: Sequence[PointProposal], title: str) -> None:
    expert_sheet.title_and_headers(
        sheet, COLUMNS, title, title_row=TITLE_ROW, header_row=HEADER_ROW
    )

    note_column = len(COLUMNS)
    for r, proposal in enumerate(proposals, start=FIRST_DATA_ROW):
        values = _row(r - HEADER_ROW, proposal)
        sheet.row_dimensions[r].height = _row_height(values)
        expert_sheet.data_row(sheet, r, COLUMNS, values)
        if proposal.flag is not None:
            sheet.cell(row=r, column=note_column).font = _FLAG_FONT

    last_row = max(FIRST_DATA_ROW, HEADER_ROW + len(proposals))
    accept_column = get_column_letter(HEADERS.index(ACCEPT) + 1)
    validation = DataValidation(
        type="list",
        formula1='"1,2,3"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="information",  # a typed code is allowed after the notice
        errorTitle=ACCEPT,
        error="填 1、2、3 采用对应的建议，或填写细目表中的鉴定点代码。",
        promptTitle=ACCEPT,
        prompt="1、2、3 = 采用对应建议；也可填鉴定点代码；留空 = 不修改",
        showInputMessage=True,
    )
    validation.add(f"{accept_column}{FIRST_DATA_ROW}:{accept_column}{last_row}")
    sheet.add_data_validation(validation)

    expert_sheet.for_paper(sheet, COLUMNS, header_row=HEADER_ROW, last_row=last_row)


def _notes_sheet(sheet: Worksheet, occupation: str, level: int) -> None:
    sheet.column_dimensions["A"].width = 12
    for r, (label, value) in enumerate(((OCCUPATION_LABEL, occupation), (LEVEL_LABEL, level)), 1):
        sheet.cell(row=r, column=1, value=label).font = Font(bold=True)
        sheet.cell(row=r, column=2, value=value).alignment = Alignment(horizontal="left")
    expert_sheet.notes(sheet, NOTES, column=2, first_row=4)


def write_points_xlsx(
    proposals: Sequence[PointProposal],
    path: str | Path,
    *,
    title: str,
    occupation: str,
    level: int,
) -> None:
    """Write the suggestion workbook for the bank `occupation` at `level`: sheet 鉴定点建议 to
    fill in, sheet 说明 naming the bank and explaining the sheet.

    Side effects: creates or overwrites `path`.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    _suggestion_sheet(sheet, proposals, title)
    _notes_sheet(workbook.create_sheet(NOTES_SHEET), occupation, level)
    workbook.save(path)
