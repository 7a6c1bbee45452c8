"""Retention: records are deleted logically only, and not at all while they must be kept.

Electronic records of a batch must be kept at least `policy.electronic_years` years
(`001` 三（十四）); data operations must stay traceable (可追溯、可倒查). So qbank never
deletes rows: an item is hidden by a logical delete (audited, with a reason), refused while
one of its versions belongs to a filing younger than the retention period; and the database
itself refuses DELETE on audit events, reviews, filings and versions (see the migration
`append_only_records`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qbank import audit
from qbank.errors import InvalidInput, NotFound, QbankError
from qbank.model import Filing, FilingEntry, Item, ItemContentKey, ItemVersion, utcnow
from qbank.policy import Policy


class RetentionHold(QbankError):
    """The record is part of a filing still inside its retention period."""


def _years_between(start: datetime, end: datetime) -> float:
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return (end - start).days / 365.25


def delete_item(
    session: Session,
    item_id: int,
    *,
    reason: str,
    actor: str,
    policy: Policy,
    now: datetime | None = None,
) -> Item:
    """Hide an item from its bank (logical delete), unless retention holds it.

    Side effects: sets `deleted_at` and records who, when and why in the audit trail.
    """
    if not reason.strip():
        raise InvalidInput("retention.reason_required")
    item = session.get(Item, item_id)
    if item is None or item.deleted_at is not None:
        raise NotFound("item.not_found", id=item_id)
    now = now or utcnow()
    newest = session.scalar(
        select(Filing.created_at)
        .join(FilingEntry, FilingEntry.filing_id == Filing.id)
        .join(ItemVersion, ItemVersion.id == FilingEntry.item_version_id)
        .where(ItemVersion.item_id == item_id)
        .order_by(Filing.created_at.desc())
        .limit(1)
    )
    years = float(policy.electronic_years.value)
    if newest is not None and _years_between(newest, now) < years:
        raise RetentionHold(
            "retention.hold",
            id=item_id,
            filed=newest.date().isoformat(),
            years=int(years),
            source=policy.electronic_years.source,
        )
    item.deleted_at = now
    # its text is free again: a new item with the same content may be imported
    session.execute(delete(ItemContentKey).where(ItemContentKey.item_id == item_id))
    audit.record(
        session,
        actor=actor,
        action="delete",
        entity="item",
        entity_id=item_id,
        bank_id=item.bank_id,
        reason=reason.strip(),
        logical=True,
    )
    return item
