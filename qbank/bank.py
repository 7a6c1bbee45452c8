"""Occupations and banks: one bank per occupation (职业/工种) and level (1 一级 … 5 五级)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qbank import audit
from qbank.bank_list import (
    LEVEL_NAMES,
    BankSummary,
    check_level,
    check_occupation_code,
    summaries,
)
from qbank.errors import InvalidInput, NotFound
from qbank.i18n import tr
from qbank.model import Bank, Item, ItemVersion, KnowledgeNode, Occupation, PracticalSet
from qbank.queries import current_items, current_sets

__all__ = [
    "LEVEL_NAMES",
    "BankSummary",
    "bank_list_statements",
    "check_level",
    "check_occupation_code",
    "create_bank",
    "ensure_bank",
    "existing_bank",
    "find_bank",
    "list_banks",
    "sqlite_statements",
    "suggest_banks",
    "summarize",
]

_Row = TypeVar("_Row", Occupation, Bank)


def find_bank(session: Session, occupation_code: str, level: int) -> Bank:
    """The bank of `occupation_code` at `level`; NotFound names what is missing."""
    check_level(level)
    bank = session.scalar(
        select(Bank)
        .join(Occupation)
        .where(Occupation.code == check_occupation_code(occupation_code), Bank.level == level)
    )
    if bank is None:
        raise NotFound("bank.not_found", occupation=occupation_code, level=level)
    return bank


def _insert_or_get(session: Session, row: _Row, existing: Select[_Row]) -> tuple[_Row, bool]:
    """Insert `row`, or return the same row that a concurrent transaction committed first
    (two imports into a new bank at once); the bool says whether `row` was inserted."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        found = session.scalar(existing)
        if found is None:
            raise
        return found, False
    return row, True


def ensure_bank(
    session: Session,
    occupation_code: str,
    level: int,
    *,
    actor: str,
    occupation_name: str | None = None,
) -> Bank:
    """The bank of `occupation_code` at `level`, created (with its occupation) if new.

    Side effects: writes the DB and the audit trail when it creates something.
    """
    code = check_occupation_code(occupation_code)
    check_level(level)
    by_code = select(Occupation).where(Occupation.code == code)
    occupation = session.scalar(by_code)
    created = False
    if occupation is None:
        occupation, created = _insert_or_get(
            session, Occupation(code=code, name=(occupation_name or code).strip()), by_code
        )
    if created:
        audit.record(
            session,
            actor=actor,
            action="create",
            entity="occupation",
            entity_id=code,
            name=occupation.name,
        )
    elif occupation_name and occupation.name == occupation.code:
        occupation.name = occupation_name.strip()
    by_level = select(Bank).where(Bank.occupation_id == occupation.id, Bank.level == level)
    bank = session.scalar(by_level)
    created = False
    if bank is None:
        bank, created = _insert_or_get(
            session, Bank(occupation_id=occupation.id, level=level), by_level
        )
    if created:
        session.refresh(bank)
        audit.record(
            session,
            actor=actor,
            action="create",
            entity="bank",
            entity_id=bank.id,
            bank_id=bank.id,
            occupation=code,
            level=level,
        )
    return bank


def create_bank(
    session: Session, occupation_code: str, level: int, *, name: str, actor: str
) -> Bank:
    """A new bank of `occupation_code` at `level`, its occupation named `name`; banks are made
    on purpose, so InvalidInput when the bank exists or the occupation has another name."""
    code = check_occupation_code(occupation_code)
    check_level(level)
    name = name.strip()
    if not name:
        raise InvalidInput("bank.name_required", occupation=code)
    occupation = session.scalar(select(Occupation).where(Occupation.code == code))
    if occupation is not None:
        if occupation.name not in (name, occupation.code):
            raise InvalidInput(
                "bank.occupation_named", occupation=code, name=name, existing=occupation.name
            )
        if session.scalar(
            select(Bank).where(Bank.occupation_id == occupation.id, Bank.level == level)
        ):
            raise InvalidInput(
                "bank.exists", occupation=code, name=occupation.name, level=LEVEL_NAMES[level][0]
            )
    return ensure_bank(session, code, level, actor=actor, occupation_name=name)


def existing_bank(
    session: Session, occupation_code: str, level: int, *, name: str | None = None
) -> Bank:
    """The bank an import goes into, which must exist: NotFound names the closest banks (a
    swapped digit in the code must not make a second bank)."""
    try:
        return find_bank(session, occupation_code, level)
    except NotFound:
        pass
    close = suggest_banks(session, occupation_code, level, name=name)
    known = session.scalar(
        select(Occupation.name).where(Occupation.code == occupation_code.strip())
    )
    params = {
        "occupation": occupation_code.strip(),
        "level": LEVEL_NAMES[level][0],
        "number": level,
        "name": name or known or tr("bank.name_placeholder"),
    }
    if not close:
        raise NotFound("bank.missing", **params)
    choices = tr("bank.or").join(
        f"{b.occupation.code} {b.occupation.name} {LEVEL_NAMES[b.level][0]}" for b in close
    )
    raise NotFound("bank.missing_suggest", choices=choices, **params)


def suggest_banks(
    session: Session, occupation_code: str, level: int, *, name: str | None = None, limit: int = 3
) -> list[Bank]:
    """The existing banks closest to a code (and an occupation name) the user typed: similar
    codes or names (rapidfuzz ratio ≥ 70), the same level first."""
    from rapidfuzz import fuzz

    code = occupation_code.strip()
    scored = []
    for bank in session.scalars(select(Bank)):
        similarity = fuzz.ratio(code, bank.occupation.code)
        if name:
            similarity = max(similarity, fuzz.ratio(name.strip(), bank.occupation.name))
        if similarity >= 70:
            scored.append((similarity + (5 if bank.level == level else 0), bank.id, bank))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [bank for _, _, bank in scored[:limit]]


def summarize(session: Session, bank: Bank) -> BankSummary:
    """Counts of the bank's live items by type and status, sets and knowledge points."""
    current = (
        current_items(bank.id)
        .with_only_columns(ItemVersion.type.label("type"), ItemVersion.status.label("status"))
        .subquery()
    )
    rows = session.execute(
        select(current.c.type, current.c.status, func.count())
        .group_by(current.c.type, current.c.status)
        .order_by(current.c.type, current.c.status)  # as `bank list` gives them
    ).all()
    by_type = {"judgement": 0, "single": 0, "multiple": 0}
    by_status: dict[str, int] = {}
    for item_type, status, count in rows:
        by_type[item_type] = by_type.get(item_type, 0) + count
        by_status[status] = by_status.get(status, 0) + count
    sets = session.scalar(current_sets(bank.id).with_only_columns(func.count()))
    points = 0
    if bank.tree_version_id is not None:
        points = (
            session.scalar(
                select(func.count())
                .select_from(KnowledgeNode)
                .where(
                    KnowledgeNode.tree_version_id == bank.tree_version_id,
                    KnowledgeNode.importance.is_not(None),
                )
            )
            or 0
        )
    return BankSummary(
        occupation=bank.occupation.code,
        occupation_name=bank.occupation.name,
        level=bank.level,
        items=sum(by_type.values()),
        by_type=by_type,
        practical_sets=sets or 0,
        knowledge_points=points,
        by_status=by_status,
    )


def bank_list_statements() -> dict[str, Select[Any]]:
    """What `list_banks` reads, for all banks at once: the banks in listing order and, by
    bank, the current items' counts by type and status, the current sets, the points.

    `qbank.bank_list.SQLITE_STATEMENTS` holds these compiled for SQLite, so `qbank bank
    list` can run them without importing SQLAlchemy (tests/test_bank_list.py keeps the two
    equal); `summarize` counts the same for one bank.
    """
    current = (
        current_items()
        .with_only_columns(
            Item.bank_id.label("bank_id"),
            ItemVersion.type.label("type"),
            ItemVersion.status.label("status"),
        )
        .subquery()
    )
    by_kind = (current.c.bank_id, current.c.type, current.c.status)
    return {
        "banks": select(Bank.id, Occupation.code, Occupation.name, Bank.level)
        .join(Occupation, Occupation.id == Bank.occupation_id)
        .order_by(Occupation.code, Bank.level.desc()),
        "items": select(*by_kind, func.count()).group_by(*by_kind).order_by(*by_kind),
        "sets": current_sets()
        .with_only_columns(PracticalSet.bank_id, func.count())
        .group_by(PracticalSet.bank_id),
        "points": select(Bank.id, func.count())
        .join(KnowledgeNode, KnowledgeNode.tree_version_id == Bank.tree_version_id)
        .where(KnowledgeNode.importance.is_not(None))
        .group_by(Bank.id),
    }


def sqlite_statements() -> dict[str, str]:
    """`bank_list_statements()` as SQLite runs them (what `SQLITE_STATEMENTS` must hold)."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    return {
        name: str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        for name, stmt in bank_list_statements().items()
    }


def list_banks(session: Session) -> list[BankSummary]:
    """Every bank's summary, as `summarize` gives it, in order of occupation code and level
    (highest number first)."""
    return summaries(
        {name: session.execute(stmt).all() for name, stmt in bank_list_statements().items()}
    )
