"""The bulk-review workbook: the bank's items as rows an expert reviewer (审题专家) decides on.

The reviewer fills 审核结论 (通过 / 不通过, offered as a drop-down) and 审核意见 on each row and
returns the file; `importers.review_xlsx` reads it back. Every row carries the item's id and the
full SHA-256 of the version shown, so a decision is applied to exactly the text the reviewer
read and never to a version made after the export. The sheet is not protected: reviewers sort,
filter and annotate freely; the reader relies on the id and version cells only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from exporters import expert_sheet, xlsx_scripts
from exporters.expert_sheet import Column, Value
from qbank.items import ItemView
from qbank.text.normalize import DIFFICULTY_WORDS, format_answer, format_number

SHEET = "审核"
NOTES_SHEET = "说明"
TITLE_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3
APPROVE, REJECT = "通过", "不通过"
DECISION_WORDS = (APPROVE, REJECT)

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

COLUMNS = (
    Column("序号", 6, wrap=False),
    Column("试题ID", 8, wrap=False),
    Column("版本", 12, wrap=False),
    Column("题型", 8, wrap=False),
    Column("题干", 50),
    Column("选项", 36),
    Column("答案", 7, wrap=False),
    Column("鉴定点", 14),
    Column("难度", 7, wrap=False),
    Column("解析", 30),
    Column("当前状态", 9, wrap=False),
    Column("审核结论", 10, wrap=False, to_fill=True),
    Column("审核意见", 36, to_fill=True),
)
HEADERS = tuple(c.header for c in COLUMNS)


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
    expert_sheet.title_and_headers(
        sheet, COLUMNS, title, title_row=TITLE_ROW, header_row=HEADER_ROW
    )

    version_font = Font(color="808080", size=9)
    version_column = HEADERS.index("版本") + 1
    for r, item in enumerate(items, start=FIRST_DATA_ROW):
        expert_sheet.data_row(sheet, r, COLUMNS, _row(r - HEADER_ROW, item))
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

    expert_sheet.for_paper(sheet, COLUMNS, header_row=HEADER_ROW, last_row=last_row)


def _notes_sheet(sheet: Worksheet) -> None:
    expert_sheet.notes(sheet, NOTES)


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
