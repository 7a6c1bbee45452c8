"""Printable practical papers (操作技能考核) from a `PracticalPaperDoc`: three documents.

- the candidate's paper (`write_practical_paper`): cover lines, 考生须知, candidate info
  line, 考生准备通知单 and the tasks with 考核要求, 配分 and 考核时间 — never the rubric;
- the preparation notices (`write_practical_notices`), sent to the site and the candidates
  before the exam: 考场准备通知单 and 考生准备通知单, each on its own page;
- the 评分记录表 (`write_scoring_record`) for the examiners: per task a page with the
  candidate's 准考证号 and 姓名, the rubric (序号, 评分要素, 配分, 评分标准, 扣分, 得分),
  veto items marked ★ with a legend, a total row and three 考评员 signature lines; then a
  成绩汇总表 with the 核分人 line.

Page, fonts and copies come from `exporters.docx_page`: `serials` gives one copy per serial in
one file, each copy its own section with page numbers restarting at 1 and the serial in its
header and footer. Labels come from the message catalogue (`doc.practical.*`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.text.paragraph import Paragraph

from exporters.docx_page import (
    INFO,
    PAPER_HEADING,
    PAPER_TITLE,
    SECTION_HEADING,
    header_row,
    keep_with_next,
    new_document,
    save,
    set_cell_text,
    table,
    write_copies,
)
from qbank.i18n import tr
from qbank.printing import PracticalPaperDoc
from qbank.records import PracticalTask, PrepRow

Target = str | Path | BinaryIO

# Column widths (cm) over the 16 cm between the margins.
_PREP_WIDTHS = (1.3, 3.4, 6.2, 1.8, 3.3)
_PREP_WIDTHS_CATEGORY = (1.3, 1.6, 3.1, 5.2, 1.6, 3.2)
_RUBRIC_WIDTHS = (1.3, 2.6, 1.3, 8.0, 1.4, 1.4)
_SUMMARY_WIDTHS = (1.6, 8.8, 1.8, 1.8, 2.0)


def write_practical_paper(
    doc: PracticalPaperDoc,
    path: Target,
    *,
    serials: Sequence[str] | None = None,
    pages: int | None = None,
) -> None:
    """The candidate's paper: no 评分记录表 and no criteria, so it can be handed out.

    `serials`: None for one copy without a serial, else one copy per serial in the file;
    `pages`: pages of one copy when known (printed as 共 y 页 by renderers that do not
    compute it, see `exporters.docx_page`). Side effects: writes `path` (or the open file).
    """
    document = _document(doc, "doc.practical.header")

    def write() -> None:
        _paragraph(document, tr("doc.secret"))
        _cover(document, doc)
        _paragraph(document, tr("doc.practical.candidate_line"))
        keep_with_next(_paragraph(document, tr("doc.practical.notes_title"), SECTION_HEADING))
        for n in range(1, 5):
            _paragraph(document, tr(f"doc.practical.note{n}"))
        if doc.record.candidate_prep:
            _paragraph(document, tr("doc.practical.candidate_prep"), PAPER_HEADING)
            _prep_table(document, doc.record.candidate_prep)
        _paragraph(document, tr("doc.practical.tasks"), PAPER_HEADING)
        for task in doc.record.tasks:
            _task(document, task)

    write_copies(
        document,
        serials,
        header_text=_header(doc, "doc.practical.header"),
        write=write,
        pages=pages,
    )
    save(document, path)


def write_practical_notices(doc: PracticalPaperDoc, path: Target) -> None:
    """The 考场准备通知单 and 考生准备通知单, each on its own page (one copy, no serial).

    Side effects: writes `path` (or the open file).
    """
    document = _document(doc, "doc.practical.notices_header")

    def write() -> None:
        lists = (
            ("venue_prep", "venue_note", doc.record.venue_prep),
            ("candidate_prep", "candidate_note", doc.record.candidate_prep),
        )
        for index, (title, note, rows) in enumerate(t for t in lists if t[2]):
            _cover(document, doc, tr(f"doc.practical.{title}"), new_page=index > 0)
            _paragraph(document, tr(f"doc.practical.{note}"))
            _prep_table(document, rows)

    write_copies(
        document, None, header_text=_header(doc, "doc.practical.notices_header"), write=write
    )
    save(document, path)


def write_scoring_record(
    doc: PracticalPaperDoc,
    path: Target,
    *,
    serials: Sequence[str] | None = None,
    pages: int | None = None,
) -> None:
    """The examiners' 评分记录表: a page per task, then the 成绩汇总表 with 核分人.

    `serials` and `pages` as for `write_practical_paper`. Side effects: writes `path` (or
    the open file).
    """
    document = _document(doc, "doc.practical.scoring_header")

    def write() -> None:
        for index, task in enumerate(doc.record.tasks):
            _cover(document, doc, tr("doc.practical.scoring_title"), new_page=index > 0)
            _paragraph(document, tr("doc.practical.candidate_short"))
            keep_with_next(_paragraph(document, _scoring_task_title(task), SECTION_HEADING))
            _rubric_table(document, task)
            if any(row.veto for row in task.rubric):
                _paragraph(document, tr("doc.practical.veto_legend"))
            for _ in range(3):
                _paragraph(document, tr("doc.practical.examiner"))
        _cover(document, doc, tr("doc.practical.summary"), new_page=True)
        _paragraph(document, tr("doc.practical.candidate_short"))
        _summary_table(document, doc.record.tasks)
        _paragraph(document, tr("doc.practical.checker"))

    write_copies(
        document,
        serials,
        header_text=_header(doc, "doc.practical.scoring_header"),
        write=write,
        pages=pages,
    )
    save(document, path)


def _document(doc: PracticalPaperDoc, header_key: str) -> Document:
    return new_document(
        title=_header(doc, header_key),
        subject=f"{doc.occupation_name} {doc.level_name}",
        keywords=f"{doc.batch_code} {doc.paper_code} {doc.set_code}",
    )


def _occupation(doc: PracticalPaperDoc) -> str:
    """电工, or 职业（工种） when the bank is a 工种's."""
    return f"{doc.occupation_name}（{doc.work_type}）" if doc.work_type else doc.occupation_name


def _header(doc: PracticalPaperDoc, key: str) -> str:
    return tr(key, occupation=_occupation(doc), level=doc.level_name)


def _occupation_line(doc: PracticalPaperDoc) -> str:
    return tr("doc.practical.occupation_line", occupation=_occupation(doc), level=doc.level_name)


def _paragraph(document: Document, text: str, style: str | None = None) -> Paragraph:
    return document.add_paragraph(text, style=document.styles[style] if style else None)


def _cover(
    document: Document,
    doc: PracticalPaperDoc,
    heading: str | None = None,
    *,
    new_page: bool = False,
) -> None:
    """The set's title (on a new page when `new_page`), `heading` under it, and the lines
    that say which paper, batch, date and duration this is."""
    title = _paragraph(document, doc.record.title, PAPER_TITLE)
    title.paragraph_format.page_break_before = new_page
    if heading is not None:
        _paragraph(document, heading, PAPER_HEADING)
    _paragraph(document, _occupation_line(doc), INFO)
    _paragraph(
        document,
        tr("doc.practical.code_line", set_code=doc.set_code, batch=doc.batch_code),
        INFO,
    )
    date = tr("doc.practical.date_line", date=doc.exam_date, site=doc.site)
    if doc.record.total_minutes is not None:
        date += "　　" + tr("doc.practical.duration", minutes=doc.record.total_minutes)
    _paragraph(document, date, INFO)


def _score(value: float) -> str:
    """`40`, `2.5`: the shortest text of a score."""
    return f"{value:g}"


def _prep_table(document: Document, rows: Sequence[PrepRow]) -> None:
    """序号, (类别,) 名称, 规格型号, 数量, 备注; the 类别 column only when the list has one."""
    with_category = any(r.category for r in rows)
    keys = ["number", "name", "spec", "quantity", "note"]
    if with_category:
        keys.insert(1, "category")
    widths = _PREP_WIDTHS_CATEGORY if with_category else _PREP_WIDTHS
    cells = table(document, widths, len(rows) + 1)
    header_row(cells[0], [tr(f"doc.practical.col.{k}") for k in keys])
    for number, (line, row) in enumerate(zip(cells[1:], rows, strict=True), start=1):
        values = [str(number), row.name, row.spec, row.quantity, row.note]
        if with_category:
            values.insert(1, row.category)
        for index, (cell, value) in enumerate(zip(line, values, strict=True)):
            centred = index == 0 or keys[index] in ("category", "quantity")
            set_cell_text(cell, value, align=WD_ALIGN_PARAGRAPH.CENTER if centred else None)


def _task(document: Document, task: PracticalTask) -> None:
    """One task as the candidate reads it: title, requirements, score, time limit."""
    keep_with_next(
        _paragraph(
            document,
            tr("doc.practical.task", number=task.number, title=task.title),
            SECTION_HEADING,
        )
    )
    if task.module_code:
        _paragraph(document, tr("doc.practical.module", code=task.module_code))
    keep_with_next(_paragraph(document, tr("doc.practical.requirements")))
    for requirement in task.requirements.split("\n"):
        _paragraph(document, requirement)
    line = tr("doc.practical.task_score", score=_score(task.score))
    if task.time_limit_minutes is not None:
        line += "　　" + tr("doc.practical.task_time", minutes=task.time_limit_minutes)
    _paragraph(document, line)


def _scoring_task_title(task: PracticalTask) -> str:
    time = (
        tr("doc.practical.scoring_time", minutes=task.time_limit_minutes)
        if task.time_limit_minutes is not None
        else ""
    )
    return tr(
        "doc.practical.scoring_task",
        number=task.number,
        title=task.title,
        score=_score(task.score),
        time=time,
    )


def _rubric_table(document: Document, task: PracticalTask) -> None:
    """The rubric rows numbered 1…n, veto rows marked ★, then a total row to fill in."""
    columns = ("number", "element", "score", "criteria", "deduction", "earned")
    cells = table(document, _RUBRIC_WIDTHS, len(task.rubric) + 2)
    header_row(cells[0], [tr(f"doc.practical.col.{c}") for c in columns])
    number = 0
    for line, row in zip(cells[1:-1], task.rubric, strict=True):
        if row.veto:  # a veto row that also carries points prints them (and they count)
            label = tr("doc.practical.veto_mark")
            score = _score(row.score) if row.score else tr("doc.practical.veto_score")
        else:
            number += 1
            label, score = str(number), _score(row.score)
        set_cell_text(line[0], label)
        set_cell_text(line[1], row.element, align=None)
        set_cell_text(line[2], score)
        set_cell_text(line[3], row.criteria, align=WD_ALIGN_PARAGRAPH.LEFT)
        for cell in line[4:]:
            set_cell_text(cell, "")
    total = cells[-1]
    set_cell_text(total[0].merge(total[1]), tr("doc.practical.total"), bold=True)
    set_cell_text(total[2], _score(sum(r.score for r in task.rubric)))
    for cell in total[3:]:
        set_cell_text(cell, "")


def _summary_table(document: Document, tasks: Sequence[PracticalTask]) -> None:
    """试题, 试题名称, 配分, 得分, 备注 per task and a total row; scores are filled by hand."""
    columns = ("task", "title", "score", "earned", "note")
    cells = table(document, _SUMMARY_WIDTHS, len(tasks) + 2)
    header_row(cells[0], [tr(f"doc.practical.col.{c}") for c in columns])
    for line, task in zip(cells[1:-1], tasks, strict=True):
        set_cell_text(line[0], task.number)
        set_cell_text(line[1], task.title, align=None)
        set_cell_text(line[2], _score(task.score))
        for cell in line[3:]:
            set_cell_text(cell, "")
    total = cells[-1]
    set_cell_text(total[0].merge(total[1]), tr("doc.practical.total"), bold=True)
    set_cell_text(total[2], _score(sum(t.score for t in tasks)))
    for cell in total[3:]:
        set_cell_text(cell, "")
