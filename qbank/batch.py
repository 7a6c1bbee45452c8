"""Exam batches (批次): one sitting of one bank, with the people designated for each custody step.

Steps follow `001` 二（七）: 组卷 assemble, 提取 extract, 印制 print, 传送 transport, 封存 seal —
each done by designated persons who sign (the custody log, later, checks signers against this
list).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbank import audit
from qbank.errors import InvalidInput, NotFound
from qbank.model import Bank, Batch, BatchStaff, Paper, Person
from qbank.people import get_person, require_role

STEPS = ("assemble", "extract", "print", "transport", "seal")
STEP_NAMES = {
    "assemble": "组卷",
    "extract": "提取",
    "print": "印制",
    "transport": "传送",
    "seal": "封存",
}


@dataclass(frozen=True)
class BatchView:
    id: int
    code: str
    occupation: str
    level: int
    exam_date: str
    site: str
    candidates: int
    staff: dict[str, list[str]]
    papers: list[str]

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def new_batch(
    session: Session,
    bank: Bank,
    *,
    exam_date: date,
    site: str,
    candidates: int,
    staff: Mapping[str, Sequence[str]],
    actor: str,
) -> Batch:
    """Plan a batch. Every step needs at least one designated person with the `staff` role.

    Side effects: writes the batch, its staff list and an audit event.
    """
    if candidates < 1:
        raise InvalidInput("batch.bad_candidates", value=candidates)
    if not site.strip():
        raise InvalidInput("batch.site_required")
    missing = [STEP_NAMES[s] for s in STEPS if not staff.get(s)]
    if missing:
        raise InvalidInput("batch.staff_required", steps="、".join(missing))
    people: dict[str, list[Person]] = {}
    for step in STEPS:
        people[step] = []
        for name in staff[step]:
            person = get_person(session, name)
            require_role(person, "staff")
            people[step].append(person)
    count = session.scalar(select(func.count()).select_from(Batch).where(Batch.bank_id == bank.id))
    code = f"{exam_date:%Y%m%d}-{(count or 0) + 1:02d}"
    batch = Batch(
        bank_id=bank.id,
        code=code,
        exam_date=exam_date,
        site=site.strip(),
        candidates=candidates,
        created_by=actor,
    )
    session.add(batch)
    session.flush()
    session.add_all(
        BatchStaff(batch_id=batch.id, step=step, person_id=p.id)
        for step, persons in people.items()
        for p in persons
    )
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="batch",
        entity_id=batch.id,
        bank_id=bank.id,
        code=code,
        exam_date=exam_date.isoformat(),
        site=batch.site,
        candidates=candidates,
        staff={s: [p.name for p in ps] for s, ps in people.items()},
    )
    return batch


def get_batch(session: Session, batch_id: int) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound("batch.not_found", id=batch_id)
    return batch


def view(session: Session, batch: Batch) -> BatchView:
    bank = session.get(Bank, batch.bank_id)
    assert bank is not None
    staff: dict[str, list[str]] = {s: [] for s in STEPS}
    for step, name in session.execute(
        select(BatchStaff.step, Person.name)
        .join(Person, Person.id == BatchStaff.person_id)
        .where(BatchStaff.batch_id == batch.id)
        .order_by(BatchStaff.id)
    ):
        staff[step].append(name)
    papers = list(
        session.scalars(
            select(Paper.code + ":" + Paper.kind)
            .where(Paper.batch_id == batch.id)
            .order_by(Paper.id)
        )
    )
    return BatchView(
        batch.id,
        batch.code,
        bank.occupation.code,
        bank.level,
        batch.exam_date.isoformat(),
        batch.site,
        batch.candidates,
        staff,
        papers,
    )


def list_batches(session: Session, bank: Bank | None = None) -> list[BatchView]:
    stmt = select(Batch).order_by(Batch.exam_date, Batch.id)
    if bank is not None:
        stmt = stmt.where(Batch.bank_id == bank.id)
    return [view(session, b) for b in session.scalars(stmt)]
