"""Theory items out as a spreadsheet (.xlsx) or CSV, in the two layouts the importer reads.

- `national`: the column set of national-style banks (题号, 试题编号, 题型, 题干, 选项A…,
  答案 as letters or √/×, 知识点一级…, 鉴定点 code, 重要程度, 难度, 区分度, 分数, 解析, 出处,
  作者), the form a bank is filed in;
- `app`: the import template of common exam apps (题干（必填）, 题型 （必填）, 选项 A…,
  正确答案（必填） with 正确/错误 for judgements, 解析, 章节, 难度), for practice platforms.

Difficulty is written as a number on the 0–1 scale so it reads back unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from exporters import xlsx_scripts
from formats.item_layout import OPTION_LETTERS
from qbank.records import ItemRecord, ItemType

Style = Literal["national", "app"]

MIN_OPTIONS = 4
_LEVEL_NAMES = "一二三四五六"
_TYPE_NAMES: dict[Style, dict[ItemType, str]] = {
    "national": {
        ItemType.JUDGEMENT: "判断题",
        ItemType.SINGLE: "单项选择题",
        ItemType.MULTIPLE: "多项选择题",
    },
    "app": {ItemType.JUDGEMENT: "判断题", ItemType.SINGLE: "单选题", ItemType.MULTIPLE: "多选题"},
}
_JUDGEMENT_WORDS: dict[Style, tuple[str, str]] = {"national": ("√", "×"), "app": ("正确", "错误")}

Value = str | float | int | None


@dataclass(frozen=True)
class _Column:
    header: str
    width: float
    wrap: bool = False


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _answer(item: ItemRecord, style: Style) -> str:
    if isinstance(item.answer, bool):
        yes, no = _JUDGEMENT_WORDS[style]
        return yes if item.answer else no
    return item.answer


def _option_count(items: list[ItemRecord]) -> int:
    used = [OPTION_LETTERS.index(k) + 1 for i in items for k in i.options if k in OPTION_LETTERS]
    return max([MIN_OPTIONS, *used])


def _table(items: list[ItemRecord], style: Style) -> tuple[list[_Column], list[list[Value]]]:
    """Columns and rows of `items` in `style`; options and knowledge levels as many as used."""
    letters = OPTION_LETTERS[: _option_count(items)]
    if style == "app":
        columns = [
            _Column("题干（必填）", 60, wrap=True),
            _Column("题型 （必填）", 12),
            *(_Column(f"选项 {c}", 24, wrap=True) for c in letters),
            _Column("正确答案（必填）", 16),
            _Column("解析", 40, wrap=True),
            _Column("章节", 24),
            _Column("难度", 8),
        ]
        rows = [
            [
                item.stem,
                _TYPE_NAMES[style][item.type],
                *(item.options.get(c) for c in letters),
                _answer(item, style),
                item.explanation,
                "/".join(item.knowledge_path) or None,
                _number(item.difficulty),
            ]
            for item in items
        ]
        return columns, rows
    depth = max([1, *(len(i.knowledge_path) for i in items)])
    columns = [
        _Column("题号", 8),
        _Column("试题编号", 20),
        _Column("题型", 12),
        _Column("题干", 60, wrap=True),
        *(_Column(f"选项{c}", 24, wrap=True) for c in letters),
        _Column("答案", 8),
        *(_Column(f"知识点{_LEVEL_NAMES[n]}级", 18) for n in range(depth)),
        _Column("鉴定点", 14),
        _Column("重要程度", 10),
        _Column("难度", 8),
        _Column("区分度", 8),
        _Column("分数", 8),
        _Column("解析", 40, wrap=True),
        _Column("出处", 20),
        _Column("作者", 12),
    ]
    rows = [
        [
            item.number,
            item.guid,
            _TYPE_NAMES[style][item.type],
            item.stem,
            *(item.options.get(c) for c in letters),
            _answer(item, style),
            *(
                item.knowledge_path[n] if n < len(item.knowledge_path) else None
                for n in range(depth)
            ),
            item.knowledge_code,
            item.importance.value if item.importance else None,
            _number(item.difficulty),
            _number(item.discrimination),
            _number(item.score),
            item.explanation,
            item.source,
            item.author,
        ]
        for item in items
    ]
    return columns, rows


def _cell_value(value: Value) -> Value:
    """Control characters cannot be stored in .xlsx; they carry no meaning in an item."""
    if isinstance(value, str):
        cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", value)
        return cleaned
    return value


def write_items_xlsx(
    items: Iterable[ItemRecord], path: str | Path, *, style: Style = "national"
) -> None:
    """Write `items` to an .xlsx workbook, one item per row under a frozen header row.

    Side effects: creates or overwrites `path`.
    """
    columns, rows = _table(list(items), style)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "试题"
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrapped = [i for i, c in enumerate(columns, start=1) if c.wrap]
    for row_number, row in enumerate(rows, start=2):
        for column_number, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column_number, value=_cell_value(value))
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula stays text
        for column_number in wrapped:
            sheet.cell(row=row_number, column=column_number).alignment = Alignment(
                wrap_text=True, vertical="top"
            )
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = "A2"
    xlsx_scripts.save(workbook, path)  # sub- and superscripts shown as such, read back as markup


def write_items_csv(
    items: Iterable[ItemRecord],
    path: str | Path,
    *,
    style: Style = "national",
    encoding: Literal["utf-8-sig", "gb18030"] = "utf-8-sig",
) -> None:
    """Write `items` as CSV; `utf-8-sig` opens correctly in Excel, `gb18030` in old Excel too.

    Side effects: creates or overwrites `path`.
    """
    columns, rows = _table(list(items), style)
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in columns])
        writer.writerows([["" if v is None else v for v in row] for row in rows])
