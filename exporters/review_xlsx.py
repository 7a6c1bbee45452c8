"""The bulk-review workbook: the bank's items as rows an expert reviewer (审题专家) decides on.

The reviewer fills 审核结论 (通过 / 不通过, offered as a drop-down) and 审核意见 on each row and
returns the file; `importers.review_xlsx` reads it back. Every row carries the item's id and the
full SHA-256 of the version shown, so a decision is applied to exactly the text the reviewer
read and never to a version made after the export. The sheet is not protected: reviewers sort,
filter and annotate freely; the reader relies on the id and version cells only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from exporters import xlsx_scripts
from qbank.items import ItemView
from qbank.text.normalize import DIFFICULTY_WORDS, format_answer, format_number

SHEET = "审核"
NOTES_SHEET = "说明"
TITLE_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3
APPROVE, REJECT = "通过", "不通过"
DECISION_WORDS = (APPROVE, REJECT)

MAX_CELL_CHARS = 32767  # Excel refuses longer cell text

TYPE_NAMES = {"judgement": "判断题", "single": "单选题", "multiple": "多选题"}
STATUS_NAMES = {"draft": "待审核", "approved": "已通过", "rejected": "未通过"}

# One word per difficulty value, the first the normaliser lists for it (0.5 → 中等).
_DIFFICULTY_NAMES: dict[float, str] = {}
for _word, _value in DIFFICULTY_WORDS.items():
    _DIFFICULTY_NAMES.setdefault(_value, _word)

NOTES = (
    "填写说明",
    "1. 请在“审核”工作表的“审核结论”列逐题填写“通过”或“不通过”（可从下拉列表中选择）。",
    "2. 审核结论为“不通过”时，必须在“审核意见”列写明理由或修改意见；“通过”时可不填。",
    "3. 请勿修改“试题ID”和“版本”两列：程序据此确认您审核的正是表中所列版本的试题。",
    "4. “审核结论”留空表示本次暂不作结论，该题保持原状态；留空的行请不要只填写审核意见。",
    "5. 可以排序、筛选、调整列宽，但请勿删除表头行，也不要把同一道试题复制成多行。",
    "6. 题干、选项、答案等内容仅供审阅，在本表中修改不会改变题库；需修改的试题请在审核意见中说明。",
)

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_TOP = Alignment(wrap_text=True, vertical="top")
_TOP_NO_WRAP = Alignment(wrap_text=False, vertical="top")

Value = str | int | float | None


@dataclass(frozen=True)
class _Column:
    header: str
    width: float
    wrap: bool = True
    to_fill: bool = False  # the reviewer's columns, shaded


COLUMNS = (
    _Column("序号", 6, wrap=False),
    _Column("试题ID", 8, wrap=False),
    _Column("版本", 12, wrap=False),
    _Column("题型", 8, wrap=False),
    _Column("题干", 50),
    _Column("选项", 36),
    _Column("答案", 7, wrap=False),
    _Column("鉴定点", 14),
    _Column("难度", 7, wrap=False),
    _Column("解析", 30),
    _Column("当前状态", 9, wrap=False),
    _Column("审核结论", 10, wrap=False, to_fill=True),
    _Column("审核意见", 36, to_fill=True),
)
HEADERS = tuple(c.header for c in COLUMNS)


def _text(value: Value) -> Value:
    """Cell-safe value: no control characters (.xlsx cannot hold them), within Excel's limit."""
    if isinstance(value, str):
        cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", value)
        return cleaned[:MAX_CELL_CHARS]
    return value


def _put(sheet: Worksheet, row: int, column: int, value: Value) -> Cell:
    cell = sheet.cell(row=row, column=column, value=_text(value))
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # item text that looks like a formula stays text
    return cell


def _difficulty(value: float | None) -> str | None:
    if value is None:
        return None
    return _DIFFICULTY_NAMES.get(value) or format_number(value)


def _options(options: dict[str, str]) -> str:
    return "\n".join(f"{letter}．{text}" for letter, text in sorted(options.items()))


def _row(number: int, item: ItemView) -> list[Value]:
    return [
        number,
        item.id,
        item.version,
        TYPE_NAMES.get(item.type, item.type),
        item.stem,
        _options(item.options) or None,
        format_answer(item.answer),
        item.knowledge_point,
        _difficulty(item.difficulty),
        item.explanation,
        STATUS_NAMES.get(item.status, item.status),
        None,
        None,
    ]


def _review_sheet(sheet: Worksheet, items: Sequence[ItemView], title: str) -> None:
    last_column = get_column_letter(len(COLUMNS))
    title_cell = _put(sheet, TITLE_ROW, 1, title)
    sheet.merge_cells(f"A{TITLE_ROW}:{last_column}{TITLE_ROW}")
    title_cell.font = Font(bold=True, size=14)
    title_cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[TITLE_ROW].height = 28

    for c, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=c, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = _INPUT_FILL if column.to_fill else _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(c)].width = column.width

    version_font = Font(color="808080", size=9)
    version_column = HEADERS.index("版本") + 1
    for r, item in enumerate(items, start=FIRST_DATA_ROW):
        for c, (column, value) in enumerate(
            zip(COLUMNS, _row(r - HEADER_ROW, item), strict=True), 1
        ):
            cell = _put(sheet, r, c, value)
            cell.alignment = _TOP if column.wrap else _TOP_NO_WRAP
            cell.border = _BORDER
            if column.to_fill:
                cell.fill = _INPUT_FILL
        sheet.cell(row=r, column=version_column).font = version_font

    last_row = max(FIRST_DATA_ROW, HEADER_ROW + len(items))
    decision_column = get_column_letter(HEADERS.index("审核结论") + 1)
    validation = DataValidation(
        type="list",
        formula1='"{}"'.format(",".join(DECISION_WORDS)),
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="审核结论",
        error="请填写“通过”或“不通过”。",
        promptTitle="审核结论",
        prompt="通过 / 不通过；留空表示暂不作结论",
        showInputMessage=True,
    )
    validation.add(f"{decision_column}{FIRST_DATA_ROW}:{decision_column}{last_row}")
    sheet.add_data_validation(validation)

    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=1)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last_column}{last_row}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _notes_sheet(sheet: Worksheet) -> None:
    sheet.column_dimensions["A"].width = 100
    for r, line in enumerate(NOTES, start=1):
        cell = sheet.cell(row=r, column=1, value=line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if r == 1:
            cell.font = Font(bold=True, size=12)


def write_review_xlsx(items: Sequence[ItemView], path: str | Path, *, title: str) -> None:
    """Write the review workbook for `items`: sheet 审核 to fill in, sheet 说明 explaining how.

    `title` goes in the merged first row, e.g. `电工（6-31-01-03）四级 理论试题审核表`.

    Side effects: creates or overwrites `path`.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    _review_sheet(sheet, items, title)
    _notes_sheet(workbook.create_sheet(NOTES_SHEET))
    xlsx_scripts.save(workbook, path)  # sub- and superscripts shown as such
