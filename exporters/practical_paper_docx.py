"""Printable practical papers (操作技能考核) from a `PracticalPaperDoc`: four documents.

- the candidate's paper (`write_practical_paper`): cover lines, 考生须知, candidate info
  line, 考生准备通知单 and the tasks with 考核要求, 配分 and 考核时间 — never the rubric;
- the preparation notices (`write_preparation_notice`), sent before the exam: the
  考场准备通知单 to the site and the 考生准备通知单 to the candidates, two documents (they go
  to different people), each with its own page numbering;
- the 评分记录表 (`write_scoring_record`) for the examiners: per task a page with the
  candidate's 准考证号 and 姓名, the rubric (序号, 评分要素, 配分, 评分标准, 扣分, 得分),
  veto items marked ★ with a legend, a total row and three 考评员 signature lines; then a
  成绩汇总表 with the 核分人 line.

Page, fonts and copies come from `exporters.docx_page`: `serials` gives one copy per serial in
one file, each copy its own section with page numbers restarting at 1 and the serial in its
header and footer. Tables take their column widths from their content
(`exporters.docx_page.fit_columns`: no 规格型号 such as "JR36-20" broken inside), never
split a row across pages and repeat their title row on every page. Labels come from the
message catalogue (`doc.practical.*`) in the document's language (`lang`, default Chinese),
never the operator's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from exporters.docx_page import (
    INFO,
    PAPER_HEADING,
    PAPER_TITLE,
    SECTION_HEADING,
    breakable,
    fit_columns,
    header_row,
    keep_rows_whole,
    keep_with_next,
    new_document,
    save,
    set_cell_text,
    table,
    text_width,
    write_copies,
)
from qbank.i18n import DOCUMENT_LANGUAGE, tr
from qbank.printing import PracticalPaperDoc
from qbank.records import PracticalTask, PrepRow

__all__ = [
    "PREP_AUDIENCES",
    "write_practical_paper",
    "write_preparation_notice",
    "write_scoring_record",
]

Target = str | Path | BinaryIO

PREP_AUDIENCES = ("venue", "candidate")
"""Who a preparation notice goes to: the site (考场) or the candidates (考生)."""


def write_practical_paper(
    doc: PracticalPaperDoc,
    path: Target,
    *,
    serials: Sequence[str] | None = None,
    pages: int | None = None,
    lang: str = DOCUMENT_LANGUAGE,
) -> None:
    """The candidate's paper: no 评分记录表 and no criteria, so it can be handed out.

    `serials`: None for one copy without a serial, else one copy per serial in the file;
    `pages`: pages of one copy when known (printed as 共 y 页 by renderers that do not
    compute it, see `exporters.docx_page`); `lang`: the labels' language.
    Side effects: writes `path` (or the open file).
    """
    page = _Page(doc, lang, "doc.practical.header")

    def write() -> None:
        page.paragraph(page.tr("doc.secret"))
        page.cover()
        page.paragraph(page.tr("doc.practical.candidate_line"))
        keep_with_next(page.paragraph(page.tr("doc.practical.notes_title"), SECTION_HEADING))
        for n in range(1, 5):
            page.paragraph(page.tr(f"doc.practical.note{n}"))
        if doc.record.candidate_prep:
            page.paragraph(page.tr("doc.practical.candidate_prep"), PAPER_HEADING)
            page.prep_table(doc.record.candidate_prep)
        page.paragraph(page.tr("doc.practical.tasks"), PAPER_HEADING)
        for task in doc.record.tasks:
            page.task(task)

    page.write(write, serials, pages)
    save(page.document, path)


def write_preparation_notice(
    doc: PracticalPaperDoc, path: Target, audience: str, *, lang: str = DOCUMENT_LANGUAGE
) -> None:
    """The 考场准备通知单 (`audience` "venue") or the 考生准备通知单 ("candidate"), one copy
    without a serial, its pages numbered on their own; labels in `lang`.

    Side effects: writes `path` (or the open file). Raises ValueError for an audience not
    in `PREP_AUDIENCES`.
    """
    if audience not in PREP_AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; expected one of {PREP_AUDIENCES}")
    page = _Page(doc, lang, f"doc.practical.{audience}_header")
    rows = doc.record.venue_prep if audience == "venue" else doc.record.candidate_prep

    def write() -> None:
        page.cover(page.tr(f"doc.practical.{audience}_prep"))
        page.paragraph(page.tr(f"doc.practical.{audience}_note"))
        page.prep_table(rows)

    page.write(write, None, None)
    save(page.document, path)


def write_scoring_record(
    doc: PracticalPaperDoc,
    path: Target,
    *,
    serials: Sequence[str] | None = None,
    pages: int | None = None,
    lang: str = DOCUMENT_LANGUAGE,
) -> None:
    """The examiners' 评分记录表: a page per task, then the 成绩汇总表 with 核分人.

    `serials`, `pages` and `lang` as for `write_practical_paper`. Side effects: writes
    `path` (or the open file).
    """
    page = _Page(doc, lang, "doc.practical.scoring_header")

    def write() -> None:
        for index, task in enumerate(doc.record.tasks):
            page.cover(page.tr("doc.practical.scoring_title"), new_page=index > 0)
            page.paragraph(page.tr("doc.practical.candidate_short"))
            keep_with_next(page.paragraph(page.scoring_task_title(task), SECTION_HEADING))
            page.rubric_table(task)
            if any(row.veto for row in task.rubric):
                page.paragraph(page.tr("doc.practical.veto_legend"))
            for _ in range(3):
                page.paragraph(page.tr("doc.practical.examiner"))
        page.cover(page.tr("doc.practical.summary"), new_page=True)
        page.paragraph(page.tr("doc.practical.candidate_short"))
        page.summary_table(doc.record.tasks)
        page.paragraph(page.tr("doc.practical.checker"))

    page.write(write, serials, pages)
    save(page.document, path)


def _score(value: float) -> str:
    """`40`, `2.5`: the shortest text of a score."""
    return f"{value:g}"


class _Page:
    """One practical document being written: its Word document, the paper it prints and
    the language of its labels."""

    def __init__(self, doc: PracticalPaperDoc, lang: str, header_key: str) -> None:
        self.doc = doc
        self.lang = lang
        occupation = doc.occupation_name
        if doc.work_type:  # 职业（工种） when the bank is a 工种's
            occupation = f"{occupation}（{doc.work_type}）"
        self.occupation = occupation
        self.header = self.tr(header_key, occupation=occupation, level=doc.level_name)
        self.document: Document = new_document(
            title=self.header,
            subject=f"{doc.occupation_name} {doc.level_name}",
            keywords=f"{doc.batch_code} {doc.paper_code} {doc.set_code}",
        )
        self.width = text_width(self.document.sections[0]).cm

    def tr(self, key: str, **params: object) -> str:
        return tr(key, lang=self.lang, **params)

    def write(
        self, body: Callable[[], None], serials: Sequence[str] | None, pages: int | None
    ) -> None:
        write_copies(
            self.document,
            serials,
            header_text=self.header,
            write=body,
            pages=pages,
            lang=self.lang,
        )

    def paragraph(self, text: str, style: str | None = None) -> Paragraph:
        return self.document.add_paragraph(
            text, style=self.document.styles[style] if style else None
        )

    def cover(self, heading: str | None = None, *, new_page: bool = False) -> None:
        """The set's title (on a new page when `new_page`), `heading` under it, and the
        lines that say which paper, batch, date and duration this is."""
        doc = self.doc
        title = self.paragraph(doc.record.title, PAPER_TITLE)
        title.paragraph_format.page_break_before = new_page
        if heading is not None:
            self.paragraph(heading, PAPER_HEADING)
        self.paragraph(
            self.tr(
                "doc.practical.occupation_line", occupation=self.occupation, level=doc.level_name
            ),
            INFO,
        )
        self.paragraph(
            self.tr("doc.practical.code_line", set_code=doc.set_code, batch=doc.batch_code),
            INFO,
        )
        date = self.tr("doc.practical.date_line", date=doc.exam_date, site=doc.site)
        if doc.record.total_minutes is not None:
            date += "　　" + self.tr("doc.practical.duration", minutes=doc.record.total_minutes)
        self.paragraph(date, INFO)

    def grid(
        self, titles: Sequence[str], rows: Sequence[Sequence[str]], *, extra_rows: int = 0
    ) -> tuple[list[list[_Cell]], Callable[[str], str]]:
        """A bordered table: `titles` in a bold title row repeated on every page, column
        widths from `rows` (see `fit_columns`), no row split across pages; `extra_rows`
        more rows (totals) at the end. Returns every row's cells, the title row's first, and
        how to show a body cell's text (with break points after list separators when the
        widths need them)."""
        columns = [[title, *(row[k] for row in rows)] for k, title in enumerate(titles)]
        widths, split = fit_columns(columns, self.width)
        cells = table(self.document, widths, len(rows) + 1 + extra_rows)
        header_row(cells[0], list(titles))
        keep_rows_whole(cells)
        return cells, breakable if split else str

    def prep_table(self, rows: Sequence[PrepRow]) -> None:
        """序号, (类别,) 名称, 规格型号, 数量, 备注; the 类别 column only when the list has one."""
        with_category = any(r.category for r in rows)
        keys = ["number", "name", "spec", "quantity", "note"]
        if with_category:
            keys.insert(1, "category")
        values = []
        for number, row in enumerate(rows, start=1):
            line = [str(number), row.name, row.spec, row.quantity, row.note]
            if with_category:
                line.insert(1, row.category)
            values.append(line)
        cells, shown = self.grid([self.tr(f"doc.practical.col.{k}") for k in keys], values)
        for row_cells, texts in zip(cells[1:], values, strict=True):
            for index, (cell, value) in enumerate(zip(row_cells, texts, strict=True)):
                centred = index == 0 or keys[index] in ("category", "quantity")
                align = WD_ALIGN_PARAGRAPH.CENTER if centred else None
                set_cell_text(cell, shown(value), align=align)

    def task(self, task: PracticalTask) -> None:
        """One task as the candidate reads it: title, requirements, score, time limit."""
        keep_with_next(
            self.paragraph(
                self.tr("doc.practical.task", number=task.number, title=task.title),
                SECTION_HEADING,
            )
        )
        if task.module_code:
            self.paragraph(self.tr("doc.practical.module", code=task.module_code))
        keep_with_next(self.paragraph(self.tr("doc.practical.requirements")))
        for requirement in task.requirements.split("\n"):
            self.paragraph(requirement)
        line = self.tr("doc.practical.task_score", score=_score(task.score))
        if task.time_limit_minutes is not None:
            line += "　　" + self.tr("doc.practical.task_time", minutes=task.time_limit_minutes)
        self.paragraph(line)

    def scoring_task_title(self, task: PracticalTask) -> str:
        time = (
            self.tr("doc.practical.scoring_time", minutes=task.time_limit_minutes)
            if task.time_limit_minutes is not None
            else ""
        )
        return self.tr(
            "doc.practical.scoring_task",
            number=task.number,
            title=task.title,
            score=_score(task.score),
            time=time,
        )

    def rubric_table(self, task: PracticalTask) -> None:
        """The rubric rows numbered 1…n, veto rows marked ★, then a total row to fill in."""
        columns = ("number", "element", "score", "criteria", "deduction", "earned")
        values = []
        number = 0
        for row in task.rubric:
            if row.veto:  # a veto row that also carries points prints them (and they count)
                label = self.tr("doc.practical.veto_mark")
                score = _score(row.score) if row.score else self.tr("doc.practical.veto_score")
            else:
                number += 1
                label, score = str(number), _score(row.score)
            values.append([label, row.element, score, row.criteria, "", ""])
        titles = [self.tr(f"doc.practical.col.{c}") for c in columns]
        cells, shown = self.grid(titles, values, extra_rows=1)
        for line, texts in zip(cells[1:-1], values, strict=True):
            for index, (cell, value) in enumerate(zip(line, texts, strict=True)):
                align = {1: None, 3: WD_ALIGN_PARAGRAPH.LEFT}.get(index, WD_ALIGN_PARAGRAPH.CENTER)
                set_cell_text(cell, shown(value), align=align)
        self.total_row(cells[-1], _score(sum(r.score for r in task.rubric)))

    def summary_table(self, tasks: Sequence[PracticalTask]) -> None:
        """试题, 试题名称, 配分, 得分, 备注 per task and a total row; scores filled by hand."""
        columns = ("task", "title", "score", "earned", "note")
        values = [[task.number, task.title, _score(task.score), "", ""] for task in tasks]
        titles = [self.tr(f"doc.practical.col.{c}") for c in columns]
        cells, shown = self.grid(titles, values, extra_rows=1)
        for line, texts in zip(cells[1:-1], values, strict=True):
            for index, (cell, value) in enumerate(zip(line, texts, strict=True)):
                align = None if index == 1 else WD_ALIGN_PARAGRAPH.CENTER
                set_cell_text(cell, shown(value), align=align)
        self.total_row(cells[-1], _score(sum(t.score for t in tasks)))

    def total_row(self, cells: Sequence[_Cell], total: str) -> None:
        """合计 over the first two columns, `total` in the third, the rest blank."""
        set_cell_text(cells[0].merge(cells[1]), self.tr("doc.practical.total"), bold=True)
        set_cell_text(cells[2], total)
        for cell in cells[3:]:
            set_cell_text(cell, "")
