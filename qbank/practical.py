"""Practical paper sets (操作技能试卷): stored per bank as immutable versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qbank import audit
from qbank.canonical import canonical_bytes, content_id
from qbank.content import verified_set_content
from qbank.db import DatabaseBusy, lock_bank
from qbank.errors import ImportRejected, NotFound
from qbank.model import (
    Bank,
    PracticalSet,
    PracticalSetVersion,
    PracticalTaskRow,
    PrepItem,
    RubricItem,
)
from qbank.queries import SET_CONTENT, current_sets
from qbank.records import PracticalSetRecord, Problem, ProblemList


def set_content(record: PracticalSetRecord, *, author: str | None = None) -> dict[str, Any]:
    """Canonical content of a set: what its version id is the hash of."""
    return {
        "code": record.code,
        "title": record.title,
        "total_minutes": record.total_minutes,
        "author": record.author or author,
        "venue_prep": [asdict(r) for r in record.venue_prep],
        "candidate_prep": [asdict(r) for r in record.candidate_prep],
        "tasks": [
            {
                "number": t.number,
                "title": t.title,
                "requirements": t.requirements,
                "score": t.score,
                "time_limit_minutes": t.time_limit_minutes,
                "module_code": t.module_code,
                "rubric": [asdict(r) for r in t.rubric],
            }
            for t in record.tasks
        ],
    }


@dataclass
class PracticalImportSummary:
    imported: int = 0
    unchanged: int = 0
    codes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "unchanged": self.unchanged, "codes": list(self.codes)}


def import_practical(
    session: Session,
    bank: Bank,
    records: Sequence[PracticalSetRecord],
    *,
    source: str,
    actor: str,
    author: str | None = None,
    parse_problems: Sequence[Problem] = (),
    dry_run: bool = False,
) -> PracticalImportSummary:
    """Store practical sets in `bank`: a new version per changed set, all or nothing.

    Takes the bank's import lock before looking up its sets (one import at a time per bank;
    DatabaseBusy when another holds it past the busy timeout). UNIQUE(bank_id, code) makes a
    set's code its identity, so a set cannot be stored twice.

    Side effects: writes sets, versions, their rows, audit events and the token sets and
    signatures of new task texts (not when `dry_run`).
    """
    if parse_problems:
        raise ImportRejected(source, ProblemList(parse_problems))
    lock_bank(session, bank.id)
    summary = PracticalImportSummary(codes=tuple(r.code for r in records))
    stored: list[dict[str, Any]] = []
    for record in records:
        content = set_content(record, author=author)
        sha = content_id(content)
        existing = session.scalar(
            select(PracticalSet).where(
                PracticalSet.bank_id == bank.id, PracticalSet.code == record.code
            )
        )
        current = (
            session.get(PracticalSetVersion, existing.current_version_id)
            if existing is not None and existing.current_version_id is not None
            else None
        )
        if current is not None and current.sha256 == sha:
            summary.unchanged += 1
            continue
        summary.imported += 1
        if not dry_run:
            try:
                _store(session, bank, record, content, sha, existing, source, actor)
                session.flush()
            except IntegrityError as error:  # a writer that ignored the lock got there first
                raise DatabaseBusy() from error
            stored.append(content)
    _store_fingerprints(session, stored)
    return summary


def _store_fingerprints(session: Session, contents: Sequence[dict[str, Any]]) -> None:
    """Token sets and signatures of the stored sets' tasks (title and requirements, as the
    practical checks compare them), so those checks tokenise nothing. Imported here: the
    import command needs the overlap code only when storing."""
    if not contents:
        return
    from qbank.overlap.fingerprints import TextUnit, store_fingerprints

    units = [
        TextUnit(str(task["title"]), (str(task["requirements"]),))
        for content in contents
        for task in content["tasks"]
    ]
    store_fingerprints(session, units)


def _store(
    session: Session,
    bank: Bank,
    record: PracticalSetRecord,
    content: dict[str, Any],
    sha: str,
    practical_set: PracticalSet | None,
    source: str,
    actor: str,
) -> None:
    if practical_set is None:
        practical_set = PracticalSet(bank_id=bank.id, code=record.code)
        session.add(practical_set)
        session.flush()
    previous = session.scalar(
        select(PracticalSetVersion).where(
            PracticalSetVersion.set_id == practical_set.id, PracticalSetVersion.sha256 == sha
        )
    )
    if previous is not None:
        practical_set.current_version_id = previous.id
        audit.record(
            session,
            actor=actor,
            action="revert",
            entity="practical_set",
            entity_id=practical_set.id,
            bank_id=bank.id,
            version=sha,
            file=source,
        )
        return
    seq = 1 + len(
        session.scalars(
            select(PracticalSetVersion.id).where(PracticalSetVersion.set_id == practical_set.id)
        ).all()
    )
    version = PracticalSetVersion(
        set_id=practical_set.id,
        seq=seq,
        sha256=sha,
        canonical=canonical_bytes(content).decode("utf-8"),
        title=record.title,
        total_minutes=record.total_minutes,
        author=content["author"],
        origin=source,
        created_by=actor,
    )
    session.add(version)
    session.flush()
    _store_rows(session, version, record)
    practical_set.current_version_id = version.id
    audit.record(
        session,
        actor=actor,
        action="create" if seq == 1 else "new_version",
        entity="practical_set",
        entity_id=practical_set.id,
        bank_id=bank.id,
        version=sha,
        code=record.code,
        file=source,
    )


def _store_rows(session: Session, version: PracticalSetVersion, record: PracticalSetRecord) -> None:
    """The new version's prep lists, tasks and each task's rubric, in the record's order."""
    for audience, rows in (("venue", record.venue_prep), ("candidate", record.candidate_prep)):
        session.add_all(
            PrepItem(version_id=version.id, audience=audience, position=i, **asdict(row))
            for i, row in enumerate(rows)
        )
    for i, task in enumerate(record.tasks):
        task_row = PracticalTaskRow(
            version_id=version.id,
            position=i,
            number=task.number,
            title=task.title,
            requirements=task.requirements,
            score=task.score,
            time_limit_minutes=task.time_limit_minutes,
            module_code=task.module_code,
        )
        session.add(task_row)
        session.flush()
        session.add_all(
            RubricItem(task_id=task_row.id, position=j, **asdict(row))
            for j, row in enumerate(task.rubric)
        )


def list_sets(session: Session, bank: Bank) -> list[PracticalSetVersion]:
    """Current versions of the bank's live practical sets, with tasks and rubric loaded."""
    return list(
        session.scalars(
            current_sets(bank.id)
            .with_only_columns(PracticalSetVersion)
            .order_by(PracticalSet.code)
            .options(*SET_CONTENT)
        )
    )


@dataclass(frozen=True)
class PracticalSetView:
    """A stored set as `qbank practical list/show` shows it: its verified current content.

    `content` is the canonical content (`set_content`) re-derived from the version id, so what
    is shown is exactly what the version id names (ContentTampered otherwise).
    """

    code: str
    version: str
    seq: int
    status: str
    origin: str | None
    created_by: str
    created_at: str
    content: dict[str, Any]

    @property
    def total_score(self) -> float:
        return sum(float(t["score"]) for t in self.content["tasks"])

    @property
    def vetoes(self) -> int:
        return sum(bool(r["veto"]) for t in self.content["tasks"] for r in t["rubric"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "seq": self.seq,
            "status": self.status,
            "origin": self.origin,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "total_score": self.total_score,
            **{k: v for k, v in self.content.items() if k != "code"},
        }


def set_views(session: Session, bank: Bank, code: str | None = None) -> list[PracticalSetView]:
    """The bank's live sets (or the one named `code`), each its verified current version.

    NotFound when `code` names no live set of the bank. Reads only.
    """
    views = []
    for version in list_sets(session, bank):
        practical_set = session.get(PracticalSet, version.set_id)
        assert practical_set is not None
        if code is not None and practical_set.code != code:
            continue
        content = verified_set_content(version, code=practical_set.code, consequence="show")
        views.append(
            PracticalSetView(
                code=practical_set.code,
                version=version.sha256,
                seq=version.seq,
                status=version.status,
                origin=version.origin,
                created_by=version.created_by,
                created_at=version.created_at.isoformat(timespec="seconds"),
                content=content,
            )
        )
    if code is not None and not views:
        raise NotFound("practical.not_found", code=code)
    return views
