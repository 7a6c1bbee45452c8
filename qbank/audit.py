"""The audit trail: an append-only record of who did what to which record, and when."""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank.model import AuditEvent


def current_actor() -> str:
    """The person acting: `QBANK_USER` if set, else the operating-system login."""
    return os.environ.get("QBANK_USER") or getpass.getuser()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    bank_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append one event (writes the DB, inside the caller's transaction)."""
    event = AuditEvent(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        bank_id=bank_id,
        detail=detail,
    )
    session.add(event)
    return event


def history(session: Session, entity: str, entity_id: object) -> Sequence[AuditEvent]:
    """Every event about one record, oldest first: answers "who did what to item X, when"."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id)
    )
    return session.scalars(stmt).all()
