"""The exam staff's pages (read-only): the batches, their designated people, and where each
batch stands in its custody chain (保管链).

Who sees which batch: a person with the role `institution` sees every batch. A staff member
sees the batches they are designated for — on the batch's staff list (组卷 … 封存, `qbank batch
new`) or in its signed custody layout (启封, 归档, `qbank custody layout --open/--archive`) —
and only in banks they may see (`qbank.access`: the institution's `qbank person grant`). The
list says how many batches name the viewer in banks not granted to them; the batch page
refuses a batch that does not name the viewer (403) and a bank not granted (403).

What "signed" means: a step is signed once its quorum of distinct designated people have
signed it (each 传送 leg by its quorum, and at least the layout's planned legs), as
`qbank.custody.verify` counts them. The list shows the signatures recorded in the database
(every entry was verified with the whole log before it was stored); the batch page verifies
the whole log again (`qbank.custody.view`, the same verdict as `qbank custody verify
--batch`) and counts only the entries that verified.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from qbank import custody
from qbank.access import require_bank, sees_all, visible_bank_ids
from qbank.bank import LEVEL_NAMES
from qbank.custody.log import REQUIRED_STEPS, Entry, Layout, Malformed, parse_entry, parse_layout
from qbank.errors import NotFound
from qbank.model import (
    Bank,
    Batch,
    BatchStaff,
    CustodyEntry,
    CustodyLayout,
    Paper,
    Person,
)
from web.i18n import wt
from web.paging import page_of
from web.routing import PageRequest, error_page, page

ROLES = ("staff", "institution")


# --- progress: which steps are signed, by whom, and who is still to sign ---------------------


@dataclass(frozen=True)
class Signature:
    """One recorded signature as progress counts it: the step, the signer, the 传送 leg."""

    step: str
    person: str
    leg: int | None = None

    @classmethod
    def of(cls, entry: Entry) -> Signature:
        leg = entry.evidence.get("leg") if entry.step == "transport" else None
        return cls(entry.step, entry.person_name, int(leg) if leg and leg.isdigit() else None)


@dataclass(frozen=True)
class StepProgress:
    """One step of a batch: who is designated, how many must sign, who has, whether done."""

    step: str
    optional: bool
    quorum: int | None  # None: no custody layout yet, so no quorum fixed
    designated: tuple[str, ...]
    signed_by: tuple[str, ...]
    legs: int  # 传送: legs signed by their quorum; 0 for other steps
    planned_legs: int | None
    done: bool

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """Designated people who have not signed this step yet."""
        return tuple(n for n in self.designated if n not in self.signed_by)


def step_progress(
    layout: Layout | None,
    staff: Mapping[str, Sequence[str]],
    signatures: Iterable[Signature],
) -> list[StepProgress]:
    """Each step of the layout (without one: the five required steps and the batch's staff
    list) with its signers among `signatures`, counted as the custody verifier counts them."""
    by_step: dict[str, dict[int | None, list[str]]] = {}
    for s in signatures:
        names = by_step.setdefault(s.step, {}).setdefault(s.leg, [])
        if s.person not in names:
            names.append(s.person)
    if layout is None:
        return [
            StepProgress(step, False, None, tuple(staff.get(step, ())), (), 0, None, False)
            for step in REQUIRED_STEPS
        ]
    out = []
    for rule in layout.steps:
        groups = by_step.get(rule.step, {})
        signed = tuple(dict.fromkeys(n for names in groups.values() for n in names))
        complete = [leg for leg, names in groups.items() if len(names) >= rule.quorum]
        if rule.step == "transport":
            legs = len(complete)
            done = legs == len(groups) and legs >= (layout.transport_legs or 1)
        else:
            legs, done = 0, bool(complete)
        out.append(
            StepProgress(
                rule.step,
                rule.step not in REQUIRED_STEPS,
                rule.quorum,
                tuple(k.name for k in rule.people),
                signed,
                legs,
                layout.transport_legs if rule.step == "transport" else None,
                done,
            )
        )
    return out


def next_step(steps: Sequence[StepProgress]) -> StepProgress | None:
    """The first step not yet signed (required steps first); None when all are."""
    pending = [s for s in steps if not s.done]
    required = [s for s in pending if not s.optional]
    first = required or pending
    return first[0] if first else None


# --- who sees which batch ---------------------------------------------------------------------


@lru_cache(maxsize=256)
def _layout(payload: str) -> Layout | None:
    """A stored layout, parsed (layouts never change; None if it does not parse: the batch
    page's verdict then says why)."""
    try:
        return parse_layout(payload.encode("utf-8"))
    except Malformed:
        return None


@lru_cache(maxsize=2048)
def _entry(payload: str) -> Entry | None:
    try:
        return parse_entry(payload.encode("utf-8"))
    except Malformed:
        return None


def _named_in_layout(layout: Layout | None, name: str) -> bool:
    return layout is not None and any(k.name == name for r in layout.steps for k in r.people)


def _named_only_in_layouts(session: Session, person: Person) -> set[int]:
    """Batches whose signed layout names `person` (启封/归档 people are only there) though
    their staff list does not: layouts that mention the name at all, parsed to be sure."""
    on_list = select(BatchStaff.batch_id).where(BatchStaff.person_id == person.id)
    rows = session.execute(
        select(CustodyLayout.batch_id, CustodyLayout.payload).where(
            CustodyLayout.payload.contains(person.name, autoescape=True),
            CustodyLayout.batch_id.not_in(on_list),
        )
    )
    return {b for b, payload in rows if _named_in_layout(_layout(payload), person.name)}


def designated(session: Session, person: Person) -> ColumnElement[bool]:
    """The batches that name `person` for a step: on the staff list or in the signed layout."""
    on_list = select(BatchStaff.batch_id).where(BatchStaff.person_id == person.id)
    in_layout = _named_only_in_layouts(session, person)
    if in_layout:
        return or_(Batch.id.in_(on_list), Batch.id.in_(in_layout))
    return Batch.id.in_(on_list)


def is_designated(session: Session, person: Person, batch: Batch) -> bool:
    on_list = session.scalar(
        select(BatchStaff.id).where(
            BatchStaff.batch_id == batch.id, BatchStaff.person_id == person.id
        )
    )
    if on_list is not None:
        return True
    payload = session.scalar(
        select(CustodyLayout.payload).where(CustodyLayout.batch_id == batch.id)
    )
    return payload is not None and _named_in_layout(_layout(payload), person.name)


@dataclass(frozen=True)
class Visible:
    """The batches a viewer may open (`where`: None for every batch), and how many batches
    name them in banks they may not see."""

    where: ColumnElement[bool] | None
    hidden: int
    count: int | None  # of the batches `where` admits; None when every batch is visible


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count(Batch.id)).where(*where)) or 0


def visible_batches(session: Session, person: Person) -> Visible:
    if sees_all(person):
        return Visible(None, 0, None)
    theirs = designated(session, person)
    granted = Batch.bank_id.in_(visible_bank_ids(session, person) or set())
    where = and_(theirs, granted)
    count = _count(session, where)
    return Visible(where, _count(session, theirs) - count, count)


# --- what the pages show -------------------------------------------------------------------------


def bank_label(bank: Bank) -> str:
    level = LEVEL_NAMES.get(bank.level, (str(bank.level),))[0]
    return f"{bank.occupation.code} {bank.occupation.name} {level}"


@dataclass(frozen=True)
class BatchRow:
    id: int
    code: str
    bank: str
    exam_date: str
    site: str
    candidates: int
    has_layout: bool
    steps: list[StepProgress]
    next: StepProgress | None

    @property
    def by_step(self) -> dict[str, StepProgress]:
        return {s.step: s for s in self.steps}

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.done)


def _staff_lists(session: Session, batch_ids: Sequence[int]) -> dict[int, dict[str, list[str]]]:
    staff: dict[int, dict[str, list[str]]] = {b: {} for b in batch_ids}
    for batch_id, step, name in session.execute(
        select(BatchStaff.batch_id, BatchStaff.step, Person.name)
        .join(Person, Person.id == BatchStaff.person_id)
        .where(BatchStaff.batch_id.in_(batch_ids))
        .order_by(BatchStaff.id)
    ):
        staff[batch_id].setdefault(step, []).append(name)
    return staff


def _recorded(session: Session, batch_ids: Sequence[int]) -> dict[int, list[Signature]]:
    """The signatures stored for these batches (legs read from the 传送 entries only)."""
    out: dict[int, list[Signature]] = {b: [] for b in batch_ids}
    for batch_id, step, name, payload in session.execute(
        select(CustodyEntry.batch_id, CustodyEntry.step, Person.name, CustodyEntry.payload)
        .join(Person, Person.id == CustodyEntry.person_id)
        .where(CustodyEntry.batch_id.in_(batch_ids))
        .order_by(CustodyEntry.batch_id, CustodyEntry.position)
    ):
        if step == "transport":
            entry = _entry(payload)
            out[batch_id].append(Signature.of(entry) if entry else Signature(step, name))
        else:
            out[batch_id].append(Signature(step, name))
    return out


def batch_rows(session: Session, batches: Sequence[Batch]) -> list[BatchRow]:
    """The list's rows for `batches`, in a fixed number of queries whatever their count."""
    ids = [b.id for b in batches]
    banks = {
        b.id: bank_label(b)
        for b in session.scalars(select(Bank).where(Bank.id.in_({x.bank_id for x in batches})))
    }
    layouts = {
        batch_id: _layout(payload)
        for batch_id, payload in session.execute(
            select(CustodyLayout.batch_id, CustodyLayout.payload).where(
                CustodyLayout.batch_id.in_(ids)
            )
        )
    }
    staff = _staff_lists(session, ids)
    signed = _recorded(session, ids)
    rows = []
    for b in batches:
        steps = step_progress(layouts.get(b.id), staff[b.id], signed[b.id])
        rows.append(
            BatchRow(
                b.id,
                b.code,
                banks[b.bank_id],
                b.exam_date.isoformat(),
                b.site,
                b.candidates,
                layouts.get(b.id) is not None,
                steps,
                next_step(steps),
            )
        )
    return rows


@page("/batches", roles=ROLES)
def batches(req: PageRequest) -> Response:
    """The batches the viewer may see, newest exam date first, a page at a time."""
    with req.transaction() as session:
        visible = visible_batches(session, req.person(session))
        stmt = select(Batch)
        if visible.where is not None:
            stmt = stmt.where(visible.where)
        total = _count(session) if visible.count is None else visible.count
        pg = page_of(req.query, total, req.state.config.page_size)
        shown = list(
            session.scalars(
                stmt.order_by(Batch.exam_date.desc(), Batch.id.desc())
                .limit(pg.size)
                .offset(pg.offset)
            )
        )
        rows = batch_rows(session, shown)
    return req.render(
        "staff_batches.html",
        rows=rows,
        pg=pg,
        steps=REQUIRED_STEPS,
        hidden=visible.hidden,
        sees_all=visible.where is None,
    )


# --- one batch -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    entry: Entry
    verified: bool  # False: at or after the entry where verification failed


def _timeline(entries: Sequence[Entry], verdict: custody.Verdict) -> list[TimelineEntry]:
    return [TimelineEntry(e, i < verdict.size) for i, e in enumerate(entries)]


@page("/batches/{batch_id:int}", roles=ROLES)
def batch(req: PageRequest) -> Response:
    """One batch: its bank, date and papers, the custody chain so far as a timeline with the
    verdict of the whole log, and the steps still to sign with their designated people."""
    batch_id = int(req.request.path_params["batch_id"])
    with req.transaction() as session:
        found = session.get(Batch, batch_id)
        if found is None:
            return error_page(
                req.request,
                str(NotFound("batch.not_found", id=batch_id)),
                404,
                session=req.session,
                viewer=req.viewer,
            )
        viewer = req.person(session)
        bank = session.get_one(Bank, found.bank_id)
        require_bank(session, viewer, bank)
        if not sees_all(viewer) and not is_designated(session, viewer, found):
            return error_page(
                req.request,
                wt("web.staff.not_designated", name=viewer.name, code=found.code),
                403,
                session=req.session,
                viewer=req.viewer,
            )
        staff = _staff_lists(session, [found.id])[found.id]
        papers = [
            wt("web.staff.paper", code=code, kind=wt(f"web.staff.kind.{kind}"))
            for code, kind in session.execute(
                select(Paper.code, Paper.kind).where(Paper.batch_id == found.id).order_by(Paper.id)
            )
        ]
        has_layout = session.scalar(
            select(CustodyLayout.id).where(CustodyLayout.batch_id == found.id)
        )
        shown = custody.view(session, found) if has_layout else None
        verified = [Signature.of(e) for e in shown.entries[: shown.verdict.size]] if shown else []
        steps = step_progress(shown.layout if shown else None, staff, verified)
        context: dict[str, Any] = {
            "batch": found,
            "bank": bank_label(bank),
            "papers": papers,
            "view": shown,
            "timeline": _timeline(shown.entries, shown.verdict) if shown else [],
            "steps": steps,
            "pending": [s for s in steps if not s.done],
        }
    return req.render("staff_batch.html", **context)
