"""The text of what a report names, as the reviewer's workbook shows it beside the figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qbank.content import verified_item_content, verified_set_content
from qbank.model import PracticalSetVersion
from qbank.overlap.document import FileReference, OverlapReport
from qbank.overlap.units import TaskText, listed_item_rows, record_id, set_tasks
from qbank.records import ItemRecord
from qbank.text.normalize import format_answer


@dataclass(frozen=True)
class ShownItem:
    """What a reviewer sees of one item or task in the human report."""

    id: int | str
    type: str  # "judgement" | "single" | "multiple" | "task"
    stem: str  # for a task: its title and requirements
    options: dict[str, str]
    answer: str  # letters or √/×, "" for tasks
    knowledge_point: str | None
    explanation: str | None
    score: float | None


def shown_items(
    session: Session, report: OverlapReport, *, records: Sequence[ItemRecord] | None = None
) -> dict[int | str, ShownItem]:
    """The text of every item or task a report names, for the reviewer's workbook.

    `records`: the reference file's items, for a report comparing a bank with a file.
    """
    shown: dict[int | str, ShownItem] = {}
    listed = report.listed()
    for row in listed_item_rows(session, listed):
        content = verified_item_content(row, guid=row.guid, consequence="export")
        shown[row.item_id] = ShownItem(
            id=row.item_id,
            type=content.type,
            stem=content.stem,
            options=dict(content.options),
            answer=format_answer(content.answer),
            knowledge_point=content.knowledge_code or "/".join(content.knowledge_path) or None,
            explanation=content.explanation,
            score=content.score,
        )
    reference = report.scope.reference
    source = reference.file if isinstance(reference, FileReference) else ""
    for record in records or ():
        key = record_id(record, source)
        shown[key] = ShownItem(
            id=key,
            type=record.type.value,
            stem=record.stem,
            options=dict(record.options),
            answer=format_answer(record.answer),
            knowledge_point=record.knowledge_code,
            explanation=record.explanation,
            score=record.score,
        )
    named = [(t.id, t.version) for t in report.tasks or ()]
    named += [(str(x.id), x.version) for x in listed]
    task_versions = [(task_id, v) for task_id, v in named if "#" in v]
    wanted = {v.split("#")[0] for _, v in task_versions}
    by_version = {
        v.sha256: v
        for v in session.scalars(
            select(PracticalSetVersion)
            .where(PracticalSetVersion.sha256.in_(sorted(wanted)))
            .options(selectinload(PracticalSetVersion.tasks))
        )
    }
    tasks_of: dict[str, list[TaskText]] = {
        sha: set_tasks(verified_set_content(v, code=None, consequence="export"))
        for sha, v in by_version.items()
    }
    for task_id, task_version in task_versions:
        sha, number = task_version.split("#", 1)
        task = next((t for t in tasks_of.get(sha, ()) if t.number == number), None)
        if task is not None:
            shown[task_id] = ShownItem(
                id=task_id,
                type="task",
                stem=f"{task.title}\n{task.requirements}",
                options={},
                answer="",
                knowledge_point=task.module_code,
                explanation=None,
                score=task.score,
            )
    return shown
