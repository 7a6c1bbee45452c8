"""People who act on banks and the public halves of their signing keys.

Roles: `expert` (命题专家, author), `reviewer` (审题专家), `staff` (考务人员), `regulator`
(属地鉴定中心/督导员), and `institution` (the evaluation institution's own key, which
signs filings). A person's private key stays in the keystore (`qbank.keys`); only the public
key and its fingerprint are stored here.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank import audit
from qbank.errors import InvalidInput, NotFound
from qbank.keys import fingerprint
from qbank.model import Person
from qbank.queries import live_people

ROLES = ("expert", "reviewer", "staff", "regulator", "institution")


def _roles(roles: Iterable[str]) -> str:
    chosen = sorted({r.strip().lower() for r in roles if r.strip()})
    unknown = [r for r in chosen if r not in ROLES]
    if unknown or not chosen:
        raise InvalidInput("people.bad_role", role=",".join(unknown) or "-", roles=" ".join(ROLES))
    return ",".join(chosen)


def add_person(session: Session, name: str, roles: Sequence[str], *, actor: str) -> Person:
    """Register a person (or add roles to an existing one). Side effects: writes the DB."""
    name = name.strip()
    if not name:
        raise InvalidInput("people.bad_name")
    person = session.scalar(select(Person).where(Person.name == name))
    if person is None:
        person = Person(name=name, roles=_roles(roles))
        session.add(person)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="create",
            entity="person",
            entity_id=person.id,
            name=name,
            roles=person.roles,
        )
    else:
        merged = _roles([*person.roles.split(","), *roles])
        if merged != person.roles:
            person.roles = merged
            audit.record(
                session,
                actor=actor,
                action="add_roles",
                entity="person",
                entity_id=person.id,
                roles=merged,
            )
    return person


def get_person(session: Session, name: str) -> Person:
    person = session.scalar(live_people().where(Person.name == name.strip()))
    if person is None:
        raise NotFound("people.not_found", name=name)
    return person


def require_role(person: Person, role: str) -> None:
    if role not in person.roles.split(","):
        raise InvalidInput("people.lacks_role", name=person.name, role=role)


def set_public_key(session: Session, person: Person, public_key_raw: bytes, *, actor: str) -> None:
    """Record the public half of the person's key; replacing one is audited.

    The audit event carries the whole new and previous public keys, so signatures made under
    a key the person no longer uses still verify (`qbank db verify` finds the key there by
    its fingerprint).
    """
    encoded = base64.b64encode(public_key_raw).decode("ascii")
    if person.public_key == encoded:
        return
    previous, previous_key = person.key_fingerprint, person.public_key
    person.public_key = encoded
    person.key_fingerprint = fingerprint(public_key_raw)
    audit.record(
        session,
        actor=actor,
        action="set_key",
        entity="person",
        entity_id=person.id,
        fingerprint=person.key_fingerprint,
        previous=previous,
        public_key=encoded,
        previous_key=previous_key,
    )


def set_password_hash(session: Session, person: Person, password_hash: str, *, actor: str) -> None:
    """Store the person's password hash (made by `qbank.passwords.hash_password`); audited,
    without the hash itself."""
    replaced = person.password_hash is not None
    person.password_hash = password_hash
    audit.record(
        session,
        actor=actor,
        action="set_password",
        entity="person",
        entity_id=person.id,
        replaced=replaced,
    )


def public_key_raw(person: Person) -> bytes:
    if not person.public_key:
        raise InvalidInput("people.no_key", name=person.name)
    return base64.b64decode(person.public_key)


def list_people(session: Session) -> list[Person]:
    return list(session.scalars(live_people().order_by(Person.name)))
