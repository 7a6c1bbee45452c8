"""Write a practical paper set (操作技能考核试卷) as a Word document in the national layout.

The layout is the one `importers.practical_docx` reads, so a set survives export and
re-import unchanged: title, 试卷编号, 考场/考生准备通知单 tables, the tasks with 考核要求,
配分 and 考核时间, then a 评分记录表 per task followed by three 考评员 signature lines.
Page, fonts and tables come from `exporters.docx_page`: A4 portrait, 宋体 body text and
黑体 headings set as East Asian fonts, tables in the bordered "Table Grid" style with column
widths from their content (no 规格型号 such as "JR36-20" broken inside), rows never split
across pages and the title row repeated. The wording is the national form's, in Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.styles.style import ParagraphStyle
from docx.table import _Cell

from exporters.docx_page import (
    INFO,
    PAPER_HEADING,
    PAPER_TITLE,
    SECTION_HEADING,
    content_widths,
    header_row,
    keep_rows_whole,
    new_document,
    table,
    text_width,
)
from qbank.errors import InvalidInput
from qbank.records import PracticalSetRecord, PracticalTask, PrepRow

LEVEL_NAMES = {
    5: "五级/初级工",
    4: "四级/中级工",
    3: "三级/高级工",
    2: "二级/技师",
    1: "一级/高级技师",
}

_SIGNATURE = "考评员（签名）：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日"
_PREP_COLUMNS = ("序号", "名称", "规格型号", "数量", "备注")
_RUBRIC_COLUMNS = ("序号", "评分要素", "配分", "评分标准", "扣分", "得分")


def write_practical_docx(
    record: PracticalSetRecord, path: str | Path, *, occupation_name: str, level: int
) -> None:
    """Write `record` to `path` (.docx) for the occupation and level (1–5) it belongs to.

    Side effects: creates or overwrites `path`. Raises InvalidInput for a level outside 1–5.
    """
    if level not in LEVEL_NAMES:
        raise InvalidInput("bank.bad_level", level=level)
    level_name = LEVEL_NAMES[level]
    writer = _Writer(
        f"{occupation_name}（{level_name}）操作技能考核",
        title=record.title,
        subject=f"{occupation_name} {level_name}",
    )
    core = writer.document.core_properties
    core.identifier = record.code
    core.category = "操作技能考核试卷"
    if record.author:
        core.author = record.author

    writer.line(record.title, PAPER_TITLE)
    writer.line(f"试卷编号：{record.code}", INFO)
    writer.line(f"职业（工种）：{occupation_name}　　等级：{level_name}", INFO)
    if record.total_minutes is not None:
        writer.line(f"考试时间：{record.total_minutes}分钟", INFO)
    if record.author:
        writer.line(f"命题人：{record.author}", INFO)

    for heading, rows in (
        ("考场准备通知单", record.venue_prep),
        ("考生准备通知单", record.candidate_prep),
    ):
        if rows:
            writer.line(heading, PAPER_HEADING)
            writer.prep_table(rows)

    writer.line("操作技能考核试题", PAPER_HEADING)
    for task in record.tasks:
        writer.task_text(task)

    writer.line("操作技能考核评分记录表", PAPER_HEADING)
    for task in record.tasks:
        writer.line(f"试题{task.number}：{task.title}", SECTION_HEADING)
        writer.rubric_table(task)
        for _ in range(3):
            writer.line(_SIGNATURE)
    writer.document.save(str(path))


def _score(value: float) -> str:
    """`40`, `2.5`: the shortest text that reads back as the same number."""
    return str(int(value)) if value.is_integer() else repr(value)


def _groupable(rows: Sequence[PrepRow]) -> bool:
    """Whether categories can be written as group rows (工具/材料/设备): every row has one,
    each appears in one run, and none looks like numbering the reader would strip."""
    runs = [
        c for i, c in enumerate(r.category for r in rows) if i == 0 or rows[i - 1].category != c
    ]
    return (
        all(runs)
        and len(runs) == len(set(runs))
        and not any(
            re.match(r"^[\d一二三四五六七八九十(（]|^(注|说明|备注)", c) or c.endswith((":", "："))
            for c in runs
        )
    )


class _Writer:
    """A document with the paper's page, styles and table helpers.

    Styles are passed as objects and cells reached row by row: python-docx looks style
    names up and recomputes a table's cell grid on every `table.cell()` call.
    """

    def __init__(self, header: str, *, title: str, subject: str) -> None:
        self.document: Document = new_document(title=title, subject=subject)
        section = self.document.sections[0]
        section.header.paragraphs[0].text = header
        section.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        styles = self.document.styles
        self.styles: dict[str, ParagraphStyle] = {
            name: cast(ParagraphStyle, styles[name])
            for name in (PAPER_TITLE, PAPER_HEADING, SECTION_HEADING, INFO)
        }

    def line(self, text: str, style: str | None = None) -> None:
        """A paragraph; body text takes the default (Normal) style without a lookup."""
        self.document.add_paragraph(text, style=self.styles[style] if style else None)

    def table(
        self, titles: Sequence[str], texts: Sequence[Sequence[str]], rows: int
    ) -> list[list[_Cell]]:
        """A bordered table with a bold title row repeated on every page, widths from `texts`
        (the body's cells, row by row), no row split; the cells of the `rows` rows below."""
        columns = [[title, *(line[k] for line in texts)] for k, title in enumerate(titles)]
        widths = content_widths(columns, text_width(self.document.sections[0]).cm)
        grid = table(self.document, widths, rows + 1)
        header_row(grid[0], list(titles))
        keep_rows_whole(grid)
        return grid[1:]

    def prep_table(self, rows: Sequence[PrepRow]) -> None:
        has_categories = any(r.category for r in rows)
        grouped = has_categories and _groupable(rows)
        columns = list(_PREP_COLUMNS)
        if has_categories and not grouped:
            columns.insert(1, "类别")
        texts = []
        for number, row in enumerate(rows, start=1):
            values = [str(number), row.name, row.spec, row.quantity, row.note]
            if has_categories and not grouped:
                values.insert(1, row.category)
            texts.append(values)
        groups = len({r.category for r in rows}) if grouped else 0
        lines = iter(self.table(columns, texts, len(rows) + groups))
        category: str | None = None
        for row, values in zip(rows, texts, strict=True):
            if grouped and row.category != category:
                category = row.category
                cells = next(lines)
                merged = cells[0].merge(cells[-1])
                merged.text = category
                merged.paragraphs[0].runs[0].bold = True
            cells = next(lines)
            for cell, value in zip(cells, values, strict=True):
                cell.text = value
            cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER

    def task_text(self, task: PracticalTask) -> None:
        self.line(f"试题{task.number}：{task.title}", SECTION_HEADING)
        if task.module_code:
            self.line(f"考核模块：{task.module_code}")
        self.line("考核要求：")
        for requirement in task.requirements.split("\n"):
            self.line(requirement)
        self.line(f"配分：{_score(task.score)}分")
        if task.time_limit_minutes is not None:
            self.line(f"考核时间：{task.time_limit_minutes}分钟")

    def rubric_table(self, task: PracticalTask) -> None:
        texts = []
        number = 0
        for row in task.rubric:
            if row.veto:
                label = "否决项"
            else:
                number += 1
                label = str(number)
            texts.append([label, row.element, _score(row.score), row.criteria, "", ""])
        lines = self.table(_RUBRIC_COLUMNS, texts, len(task.rubric) + 1)
        for cells, values in zip(lines, texts, strict=False):
            for cell, value in zip(cells[:4], values[:4], strict=True):
                cell.text = value
            for index in (0, 2):
                cells[index].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cells = lines[-1]
        total = cells[0].merge(cells[1])
        total.text = "合计"
        total.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cells[2].text = _score(sum(r.score for r in task.rubric))
        cells[2].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
