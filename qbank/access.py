"""Who may see which bank's data in the browser workspace (`qbank serve`).

A person with the role `institution` (the evaluation institution's administrators) sees every
bank; anyone else sees the banks granted to them (`qbank person grant`), until revoked. The
web layer asks `may_see_bank` on every page that shows a bank's data; the rule lives here so
the CLI and the pages cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank import audit
from qbank.errors import QbankError
from qbank.model import Bank, BankAccess, Person, utcnow

SEES_ALL = "institution"


class BankNotVisible(QbankError):
    """The person has no grant for this bank."""


def _open_grant(session: Session, person: Person, bank: Bank) -> BankAccess | None:
    return session.scalar(
        select(BankAccess).where(
            BankAccess.person_id == person.id,
            BankAccess.bank_id == bank.id,
            BankAccess.revoked_at.is_(None),
        )
    )


def grant(session: Session, person: Person, bank: Bank, *, actor: str) -> bool:
    """Let `person` see `bank`; False when they already may. Audited."""
    if _open_grant(session, person, bank) is not None:
        return False
    row = BankAccess(person_id=person.id, bank_id=bank.id, granted_by=actor)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="grant_bank",
        entity="person",
        entity_id=person.id,
        bank_id=bank.id,
    )
    return True


def revoke(session: Session, person: Person, bank: Bank, *, actor: str) -> bool:
    """End `person`'s grant for `bank`; False when there was none. Audited."""
    row = _open_grant(session, person, bank)
    if row is None:
        return False
    row.revoked_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="revoke_bank",
        entity="person",
        entity_id=person.id,
        bank_id=bank.id,
    )
    return True


def sees_all(person: Person) -> bool:
    return SEES_ALL in person.roles.split(",")


def visible_bank_ids(session: Session, person: Person) -> set[int] | None:
    """The ids of the banks `person` may see; None means every bank."""
    if sees_all(person):
        return None
    return set(
        session.scalars(
            select(BankAccess.bank_id).where(
                BankAccess.person_id == person.id, BankAccess.revoked_at.is_(None)
            )
        )
    )


def may_see_bank(session: Session, person: Person, bank: Bank) -> bool:
    return sees_all(person) or _open_grant(session, person, bank) is not None


def require_bank(session: Session, person: Person, bank: Bank) -> None:
    """Raise BankNotVisible unless `person` may see `bank`."""
    if not may_see_bank(session, person, bank):
        raise BankNotVisible("access.bank_hidden", name=person.name)
