"""The audit trail: an append-only, hash-chained record of who did what to which record, when.

Each event stores `prev_hash` (the previous event's `hash`; 64 zeros for the first) and
`hash` = SHA-256 of the canonical JSON of its fields and `prev_hash` (`event_hash`). Editing,
inserting or removing an event in the middle breaks the chain, which `verify_chain` reports;
the database refuses UPDATE and DELETE of events outright, and a unique `prev_hash` makes two
events claiming the same predecessor (a fork by concurrent writers) impossible.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, select, text
from sqlalchemy.orm import Session

from qbank.bulk import insert_many, new_ids
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.db import PG_LOCK
from qbank.model import AuditEvent, Base, utcnow

GENESIS = "0" * 64
# qbank's advisory lock (qbank.db.PG_LOCK, keyed by schema) with this key is taken before
# reading the chain's last hash, so concurrent writers on PostgreSQL append one after the other.
# Banks lock their positive ids and migrations 0.
AUDIT_LOCK_KEY = -1
_TAIL = "qbank.audit.tail"
_EVENTS = Base.metadata.tables["audit_events"]  # Core: bulk appends skip ORM bookkeeping
_ITEMS = Base.metadata.tables["audit_event_items"]
ITEMS_ACTION = "import_items"
"""The action of an event whose rows in `audit_event_items` are the items a batch of an
import changed."""
HASHED_FIELDS = ("at", "actor", "action", "entity", "entity_id", "bank_id", "detail")


def current_actor() -> str:
    """The person acting: `QBANK_USER` if set, else the operating-system login."""
    return os.environ.get("QBANK_USER") or getpass.getuser()


def hashed_time(at: datetime) -> str:
    """`at` as hashed: UTC, ISO 8601 with microseconds and a `Z`.

    SQLite returns the stored UTC time naive, PostgreSQL tz-aware: both hash the same.
    """
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_fields(event: AuditEvent) -> dict[str, Any]:
    """The fields of a stored (or about to be stored) event that its hash commits to."""
    return {name: getattr(event, name) for name in HASHED_FIELDS}


def event_hash(prev_hash: str, fields: Mapping[Any, Any] | RowMapping | AuditEvent) -> str:
    """SHA-256 (hex) of the canonical JSON of {prev, at, actor, action, entity, entity_id,
    bank_id, detail}; `fields` is an event or a mapping with those keys."""
    values = event_fields(fields) if isinstance(fields, AuditEvent) else fields
    at = values["at"]
    return sha256_hex(
        canonical_bytes(
            {
                "prev": prev_hash,
                "at": hashed_time(at) if isinstance(at, datetime) else at,
                "actor": values["actor"],
                "action": values["action"],
                "entity": values["entity"],
                "entity_id": str(values["entity_id"]),
                "bank_id": values["bank_id"],
                "detail": values["detail"] if values["detail"] is not None else {},
            }
        )
    )


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
    """Append one event, linked to the latest (writes the DB, inside the caller's transaction).

    On PostgreSQL the first event of a transaction takes the audit chain's advisory lock, held
    until commit, so concurrent transactions append one after the other.
    """
    # `detail` as it will read back from the JSON column (int keys become strings, tuples
    # lists), so the hash computed now is the hash recomputed later.
    stored_detail = json.loads(canonical_bytes(detail))
    prev = _tail_hash(session)
    event = AuditEvent(
        at=utcnow(),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        bank_id=bank_id,
        detail=stored_detail,
        prev_hash=prev,
    )
    event.hash = event_hash(prev, event)
    session.add(event)
    session.info[_TAIL] = (session.get_transaction(), event)
    return event


@dataclass(frozen=True)
class Event:
    """One event for `record_many`: what `record` takes besides the actor."""

    action: str
    entity: str
    entity_id: object
    bank_id: int | None
    detail: Mapping[str, Any]


def record_many(
    session: Session, *, actor: str, events: Sequence[Event], batch: int = 5000
) -> None:
    """Append `events` in order, chained as `record` chains them, with bulk INSERTs of `batch`
    rows (an import appends one event per item). Takes the chain's lock on PostgreSQL as
    `record` does; the next `record` in the transaction reads the tail back from the database."""
    if not events:
        return
    prev = _tail_hash(session)
    session.flush()  # events recorded one by one before these come first in the chain
    at = utcnow()
    hashed_at = hashed_time(at)  # one time for the run: formatted once, not per event
    for start in range(0, len(events), batch):
        rows = []
        for event in events[start : start + batch]:
            row = _chained_row(prev, at, hashed_at, actor, event)
            rows.append(row)
            prev = row["hash"]
        insert_many(session, _EVENTS, rows)
    session.info.pop(_TAIL, None)


def _chained_row(
    prev: str, at: datetime, hashed_at: str, actor: str, event: Event
) -> dict[str, Any]:
    """The audit_events row of `event`, after the event whose hash is `prev`, at `at`
    (`hashed_at` its hashed form)."""
    row = {
        "at": at,
        "actor": actor,
        "action": event.action,
        "entity": event.entity,
        "entity_id": str(event.entity_id),
        "bank_id": event.bank_id,
        "detail": _as_stored(event.detail),
        "prev_hash": prev,
    }
    row["hash"] = event_hash(prev, {**row, "at": hashed_at})
    return row


@dataclass(frozen=True)
class ItemChange:
    """What an import did to one item: `create` (its first version), `new_version`, or
    `revert` (its current version is an earlier one again); `seq` is the version's number,
    None for a revert."""

    item_id: int
    action: str
    version: str
    seq: int | None


def items_digest(changes: Sequence[ItemChange]) -> str:
    """SHA-256 (hex) of the canonical JSON list of `[item_id, action, version, seq]`, one
    per change in order: what an `import_items` event's `items_sha256` commits to."""
    return sha256_hex(canonical_bytes([[c.item_id, c.action, c.version, c.seq] for c in changes]))


class ItemEvents:
    """The `import_items` events of one import, appended with bulk statements only (no ORM
    flush, so no query between an import's batches): one per batch of changed items,
    committing to them (their count and `items_digest`), the changes its rows in
    `audit_event_items`. The chain's tail is read once, when this is made, and `events`
    ids taken then (`qbank.bulk.new_ids`); the import's lock keeps other writers out
    meanwhile. After the last, the next `record` of the transaction reads the tail back."""

    def __init__(
        self, session: Session, *, actor: str, bank_id: int, file: str, events: int
    ) -> None:
        self._session = session
        self._actor, self._bank_id, self._file = actor, bank_id, file
        self._prev = _tail_hash(session)
        session.flush()  # events recorded one by one before these come first in the chain
        self._ids = iter(new_ids(session, _EVENTS, events))

    def append(self, changes: Sequence[ItemChange]) -> None:
        """Append the event of a batch's `changes` (none: no event)."""
        if not changes:
            return
        at = utcnow()
        detail = {"file": self._file, "items": len(changes), "items_sha256": items_digest(changes)}
        event = Event(ITEMS_ACTION, "bank", self._bank_id, self._bank_id, detail)
        row = _chained_row(self._prev, at, hashed_time(at), self._actor, event)
        row["id"] = event_id = next(self._ids)
        insert_many(self._session, _EVENTS, [row])
        insert_many(
            self._session,
            _ITEMS,
            [
                (event_id, position, change.item_id, change.action, change.version, change.seq)
                for position, change in enumerate(changes)
            ],
            columns=_ITEM_COLUMNS,
        )
        self._prev = row["hash"]
        self._session.info.pop(_TAIL, None)


_ITEM_COLUMNS = ("event_id", "position", "item_id", "action", "version", "seq")

_PLAIN = (str, int, bool, type(None))


def _as_stored(detail: Mapping[str, Any]) -> dict[str, Any]:
    """`detail` as it reads back from the JSON column, so its hash now is its hash later.
    A flat mapping of strings, whole numbers and None (what imports record) reads back as it
    is; anything else (tuples, int keys, floats) goes through canonical JSON and back."""
    if all(type(k) is str and type(v) in _PLAIN for k, v in detail.items()):
        return dict(detail)
    parsed: dict[str, Any] = json.loads(canonical_bytes(detail))
    return parsed


def _tail_hash(session: Session) -> str:
    """The hash of the chain's last event as this transaction sees it."""
    cached = session.info.get(_TAIL)
    if cached is not None:
        transaction, event = cached
        if transaction is session.get_transaction() and event in session:
            return str(event.hash)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(PG_LOCK), {"key": AUDIT_LOCK_KEY})
    last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


@dataclass(frozen=True)
class ChainProblem:
    """One break in the audit chain. `code`: AUDIT_EVENT_EDITED (the event's fields no longer
    hash to its stored hash) or AUDIT_CHAIN_BROKEN (its `prev_hash` is not the hash of the
    event before it: an event was removed, inserted or reordered there)."""

    code: str
    event_id: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "event_id": self.event_id, "message": self.message}


def verify_chain(session: Session, *, batch_size: int = 5000) -> list[ChainProblem]:
    """Walk the audit trail in id order: every event must hash to its stored hash and link to
    the one before it (the first to 64 zeros). Returns the breaks found, empty when whole.

    Events removed from the end leave no break; anchor the latest hash elsewhere (a custody
    checkpoint, a filing) to catch that.
    """
    problems: list[ChainProblem] = []
    expected = GENESIS
    columns = [getattr(AuditEvent, name) for name in ("id", "prev_hash", "hash", *HASHED_FIELDS)]
    stmt = select(*columns).order_by(AuditEvent.id).execution_options(yield_per=batch_size)
    for row in session.execute(stmt):
        event = row._mapping
        if event["prev_hash"] != expected:
            problems.append(
                ChainProblem(
                    "AUDIT_CHAIN_BROKEN",
                    event["id"],
                    f"audit event {event['id']} links to {event['prev_hash']}, "
                    f"but the event before it hashes to {expected}",
                )
            )
        actual = event_hash(event["prev_hash"] or "", event)
        if actual != event["hash"]:
            problems.append(
                ChainProblem(
                    "AUDIT_EVENT_EDITED",
                    event["id"],
                    f"audit event {event['id']} hashes to {actual}, not its stored {event['hash']}",
                )
            )
        expected = event["hash"] or ""
    return problems


@dataclass(frozen=True)
class HistoryEntry:
    """One thing done to a record: an event about it, or its row under an import's event
    (then `detail` is what a per-item event held: the version, its number, the file)."""

    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


def history(session: Session, entity: str, entity_id: object) -> list[HistoryEntry]:
    """Every event about one record, oldest first: answers "who did what to item X, when"."""
    found: list[tuple[int, int, HistoryEntry]] = [
        (event.id, 0, HistoryEntry(event.at, event.actor, event.action, _mapping(event.detail)))
        for event in session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id)
            )
        )
    ]
    if entity == "item" and str(entity_id).isdigit():
        a, i = AuditEvent.__table__.c, _ITEMS.c
        for event_id, at, actor, detail, position, action, version, seq in session.execute(
            select(a.id, a.at, a.actor, a.detail, i.position, i.action, i.version, i.seq)
            .select_from(_ITEMS.join(_EVENTS, a.id == i.event_id))
            .where(i.item_id == int(str(entity_id)), a.action == ITEMS_ACTION)
        ):
            file = _mapping(detail).get("file")
            shown = {"version": version, "file": file}
            if seq is not None:
                shown = {"version": version, "seq": seq, "file": file}
            found.append((event_id, position, HistoryEntry(at, actor, action, shown)))
    return [entry for *_, entry in sorted(found, key=lambda f: f[:2])]


def _mapping(detail: object) -> dict[str, Any]:
    """An event's detail as a mapping; anything else a database holds reads as empty."""
    return dict(detail) if isinstance(detail, dict) else {}
