"""Expert review: signed approve/reject decisions on item and practical-set versions.

Every decision names the exact version it is about, is signed with the reviewer's Ed25519 key
over canonical JSON, and is refused when the reviewer wrote or imported that version (回避,
`001` 二（八）). A batch of decisions is applied whole or not at all. A version's `status`
is derived, never stored: the decision of its latest review (`reviews` is append-only and
version rows are immutable), else `draft`; a new version of an item starts as `draft` again.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbank import audit
from qbank.canonical import canonical_bytes
from qbank.errors import InvalidInput, QbankError
from qbank.i18n import tr
from qbank.keys import Signer
from qbank.keys import verify as verify_signature
from qbank.model import (
    Bank,
    Item,
    ItemVersion,
    Person,
    PracticalSet,
    PracticalSetVersion,
    Review,
)
from qbank.people import public_key_raw, require_role
from qbank.queries import current_items, current_sets
from qbank.records import Location, Problem, problem_count

APPROVED, REJECTED = "approved", "rejected"
DECISIONS = (APPROVED, REJECTED)


class ReviewRejected(QbankError):
    """Some decisions could not be recorded; none were. `problems` say which and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("review.rejected", count=problem_count(problems))


class SelfReview(QbankError):
    """The reviewer wrote or imported a version they were about to decide on (回避)."""

    def __init__(self, reviewer: str, subjects: Sequence[object]) -> None:
        shown = "、".join(str(s) for s in subjects[:20]) + ("…" if len(subjects) > 20 else "")
        super().__init__("review.self_review", reviewer=reviewer, items=shown, count=len(subjects))


@dataclass(frozen=True)
class Decision:
    """One decision to record: on item `item_id` (or practical set `set_code`).

    `version` pins the version the reviewer saw; None means the current one.
    """

    decision: str
    comment: str = ""
    item_id: int | None = None
    set_code: str | None = None
    version: str | None = None
    location: Location | None = None


@dataclass
class ReviewSummary:
    approved: int = 0
    rejected: int = 0
    reviews: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"approved": self.approved, "rejected": self.rejected}


def _check_signer(reviewer: Person, signer: Signer) -> None:
    require_role(reviewer, "reviewer")
    if signer.public_key_raw != public_key_raw(reviewer):
        raise InvalidInput("people.key_mismatch", name=reviewer.name)


def _authored_by(version: ItemVersion | PracticalSetVersion, person: Person) -> bool:
    return person.name in {version.author, version.created_by}


def review(
    session: Session,
    bank: Bank,
    reviewer: Person,
    signer: Signer,
    decisions: Sequence[Decision],
    *,
    actor: str,
) -> ReviewSummary:
    """Record `decisions`, each signed by `signer`; all of them or none.

    Raises SelfReview when any subject is the reviewer's own, ReviewRejected with located
    problems (unknown item, outdated version, bad decision, rejection without a comment).

    Side effects: writes reviews and audit events (the versions' statuses follow).
    """
    _check_signer(reviewer, signer)
    resolved = _resolve(session, bank, reviewer, decisions)

    summary = ReviewSummary()
    now = datetime.now(UTC)
    for d, version, kind, subject in resolved:
        payload = _payload(bank, reviewer, d, version, kind, subject, now)
        row = Review(
            bank_id=bank.id,
            item_version_id=version.id if kind == "item" else None,
            set_version_id=version.id if kind == "practical_set" else None,
            reviewer_id=reviewer.id,
            decision=d.decision,
            comment=d.comment.strip(),
            payload=payload.decode("utf-8"),
            signature=base64.b64encode(signer.sign(payload)).decode("ascii"),
            created_at=now,
        )
        session.add(row)
        setattr(summary, d.decision, getattr(summary, d.decision) + 1)
        audit.record(
            session,
            actor=actor,
            action=f"review_{d.decision}",
            entity=kind,
            entity_id=subject,
            bank_id=bank.id,
            version=version.sha256,
            reviewer=reviewer.name,
            comment=row.comment,
        )
    session.flush()
    for _, version, _, _ in resolved:
        session.expire(version, ["status"])
    return summary


_Resolved = tuple[Decision, ItemVersion | PracticalSetVersion, str, object]
"""A decision with the current version it judges, the subject's kind and its id or code."""


def _resolve(
    session: Session, bank: Bank, reviewer: Person, decisions: Sequence[Decision]
) -> list[_Resolved]:
    """Each decision with its current version. Raises SelfReview when any subject is the
    reviewer's own, else ReviewRejected with every located problem."""
    problems: list[Problem] = []
    own: list[object] = []
    resolved: list[_Resolved] = []
    for d in decisions:
        where = d.location or Location(
            tr("review.subject_item", id=d.item_id)
            if d.item_id is not None
            else tr("review.subject_set", code=d.set_code)
        )

        def problem(
            field_name: str, key: str, where: Location = where, /, **params: object
        ) -> None:
            problems.append(Problem(where, field_name, key, dict(params)))

        if d.decision not in DECISIONS:
            problem("decision", "review.bad_decision", value=d.decision)
            continue
        if d.decision == REJECTED and not d.comment.strip():
            problem("comment", "review.comment_required")
        found = _current(session, bank, d)
        if found is None:
            problem("id", "review.unknown_subject", subject=d.item_id or d.set_code)
            continue
        version, kind, subject = found
        if d.version is not None and d.version != version.sha256:
            problem("version", "review.outdated", subject=subject)
            continue
        if _authored_by(version, reviewer):
            own.append(subject)
            continue
        resolved.append((d, version, kind, subject))
    if own:
        raise SelfReview(reviewer.name, own)
    if problems:
        raise ReviewRejected(sorted(problems, key=lambda p: p.location.sort_key()))
    return resolved


def _payload(
    bank: Bank,
    reviewer: Person,
    d: Decision,
    version: ItemVersion | PracticalSetVersion,
    kind: str,
    subject: object,
    now: datetime,
) -> bytes:
    """The canonical bytes the reviewer signs for one decision."""
    return canonical_bytes(
        {
            "format": "qbank-review/1",
            "bank": {"occupation": bank.occupation.code, "level": bank.level},
            "subject": kind,
            "id": subject,
            "version": version.sha256,
            "author": version.author or version.created_by,
            "decision": d.decision,
            "comment": d.comment.strip(),
            "reviewer": reviewer.name,
            "key": reviewer.key_fingerprint,
            "at": now.isoformat(timespec="seconds"),
        }
    )


def _current(
    session: Session, bank: Bank, d: Decision
) -> tuple[ItemVersion | PracticalSetVersion, str, object] | None:
    if d.item_id is not None:
        item = session.execute(current_items(bank.id, item_ids=[d.item_id])).first()
        return (item[1], "item", item[0].id) if item else None
    found = session.execute(current_sets(bank.id).where(PracticalSet.code == d.set_code)).first()
    return (found[1], "practical_set", found[0].code) if found else None


def all_pending(session: Session, bank: Bank, reviewer: Person) -> list[Decision]:
    """Decisions-to-be for every current item and set not yet decided and not the reviewer's own."""
    out: list[Decision] = []
    for item, version in session.execute(
        current_items(bank.id).where(ItemVersion.status == "draft").order_by(Item.id)
    ):
        if not _authored_by(version, reviewer):
            out.append(Decision(APPROVED, item_id=item.id, version=version.sha256))
    return out


@dataclass
class ReviewStatus:
    items: dict[str, int]
    sets: dict[str, int]
    reviews: int

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "practical_sets": self.sets, "reviews": self.reviews}


def status(session: Session, bank: Bank) -> ReviewStatus:
    """Counts of current item and set versions by status (draft / approved / rejected)."""
    item_states = (
        current_items(bank.id).with_only_columns(ItemVersion.status.label("status")).subquery()
    )
    items = {"draft": 0, APPROVED: 0, REJECTED: 0}
    for state, count in session.execute(
        select(item_states.c.status, func.count()).group_by(item_states.c.status)
    ):
        items[state] = count
    set_states = (
        current_sets(bank.id)
        .with_only_columns(PracticalSetVersion.status.label("status"))
        .subquery()
    )
    sets = {"draft": 0, APPROVED: 0, REJECTED: 0}
    for state, count in session.execute(
        select(set_states.c.status, func.count()).group_by(set_states.c.status)
    ):
        sets[state] = count
    reviews = session.scalar(
        select(func.count()).select_from(Review).where(Review.bank_id == bank.id)
    )
    return ReviewStatus(items, sets, reviews or 0)


def verify_review(review_row: Review, reviewer: Person) -> bool:
    """Does the stored signature match the stored payload and the reviewer's public key?"""
    return verify_signature(
        public_key_raw(reviewer),
        review_row.payload.encode("utf-8"),
        base64.b64decode(review_row.signature),
    )
