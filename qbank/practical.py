"""Practical paper sets (操作技能试卷): stored per bank as immutable versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qbank import audit
from qbank.bulk import execute_many, insert_many
from qbank.canonical import canonical_bytes, content_id
from qbank.content import verified_set_content
from qbank.db import DatabaseBusy, lock_bank
from qbank.errors import ImportRejected, NotFound
from qbank.model import Bank, Base, PracticalSet, PracticalSetVersion
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
    signatures of new task texts (not when `dry_run`), with Core bulk statements (a round of
    them per run of records with distinct codes: a code given twice is stored in order).
    """
    if parse_problems:
        raise ImportRejected(source, ProblemList(parse_problems))
    lock_bank(session, bank.id)
    summary = PracticalImportSummary(codes=tuple(r.code for r in records))
    stored: list[dict[str, Any]] = []
    for run in _distinct_runs(records):
        current = _current_shas(session, bank, [r.code for r in run])
        changes: list[_Change] = []
        for record in run:
            content = set_content(record, author=author)
            sha = content_id(content)
            set_id, current_sha = current.get(record.code, (None, None))
            if current_sha == sha:
                summary.unchanged += 1
                continue
            summary.imported += 1
            changes.append(_Change(record, content, sha, set_id))
        if dry_run or not changes:
            continue
        try:
            _store(session, bank, changes, source, actor)
        except IntegrityError as error:  # a writer that ignored the lock got there first
            raise DatabaseBusy() from error
        stored.extend(change.content for change in changes)
    _store_fingerprints(session, stored)
    return summary


@dataclass(frozen=True)
class _Change:
    """A record whose content is not its set's current version (`set_id` None: a new set)."""

    record: PracticalSetRecord
    content: dict[str, Any]
    sha: str
    set_id: int | None


_CHUNK = 500  # values per IN (...) query: well under every backend's parameter limit
_SETS = Base.metadata.tables["practical_sets"]
_VERSIONS = Base.metadata.tables["practical_set_versions"]
_TASKS = Base.metadata.tables["practical_tasks"]
_PREP = Base.metadata.tables["practical_prep_rows"]
_RUBRIC = Base.metadata.tables["practical_rubric_rows"]


def _distinct_runs(records: Sequence[PracticalSetRecord]) -> list[list[PracticalSetRecord]]:
    """`records` in order, cut where a code repeats: each run names a set at most once."""
    runs: list[list[PracticalSetRecord]] = [[]]
    codes: set[str] = set()
    for record in records:
        if record.code in codes:
            runs.append([])
            codes = set()
        runs[-1].append(record)
        codes.add(record.code)
    return [run for run in runs if run]


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _current_shas(
    session: Session, bank: Bank, codes: Sequence[str]
) -> dict[str, tuple[int, str | None]]:
    """Each stored set (deleted ones too: the code stays theirs) of `codes`: its id and its
    current version id (None when it has none)."""
    sets: dict[str, tuple[int, int | None]] = {}
    for part in _chunks(codes):
        stmt = select(_SETS.c.code, _SETS.c.id, _SETS.c.current_version_id).where(
            _SETS.c.bank_id == bank.id, _SETS.c.code.in_(part)
        )
        sets.update((code, (set_id, current)) for code, set_id, current in session.execute(stmt))
    shas: dict[int, str] = {}
    for part in _chunks([current for _, current in sets.values() if current is not None]):
        stmt = select(_VERSIONS.c.id, _VERSIONS.c.sha256).where(_VERSIONS.c.id.in_(part))
        shas.update((int(row[0]), str(row[1])) for row in session.execute(stmt))
    return {
        code: (set_id, None if current is None else shas[current])
        for code, (set_id, current) in sets.items()
    }


def _store(
    session: Session, bank: Bank, changes: Sequence[_Change], source: str, actor: str
) -> None:
    """New sets, then per change a revert to an earlier version with its content or a new
    version with its rows; the sets point at them; one audit event per change, in order."""
    new_codes = [c.record.code for c in changes if c.set_id is None]
    insert_many(session, _SETS, [{"bank_id": bank.id, "code": code} for code in new_codes])
    set_ids = {c.record.code: c.set_id for c in changes if c.set_id is not None}
    for part in _chunks(new_codes):
        stmt = select(_SETS.c.code, _SETS.c.id).where(
            _SETS.c.bank_id == bank.id, _SETS.c.code.in_(part)
        )
        set_ids.update((code, set_id) for code, set_id in session.execute(stmt))
    earlier: dict[tuple[int, str], int] = {}
    last_seq: dict[int, int] = {}
    for part in _chunks(list(set_ids.values())):
        stmt = select(_VERSIONS.c.set_id, _VERSIONS.c.sha256, _VERSIONS.c.id, _VERSIONS.c.seq)
        for row in session.execute(stmt.where(_VERSIONS.c.set_id.in_(part))):
            set_id, sha, version_id, seq = int(row[0]), str(row[1]), int(row[2]), int(row[3])
            earlier[(set_id, sha)] = version_id
            last_seq[set_id] = max(seq, last_seq.get(set_id, 0))
    fresh = [c for c in changes if (set_ids[c.record.code], c.sha) not in earlier]
    version_ids = _store_versions(session, fresh, set_ids, last_seq, source, actor)
    _store_rows(session, fresh, set_ids, version_ids)
    events: list[audit.Event] = []
    pointers: list[dict[str, int]] = []
    for change in changes:
        set_id = set_ids[change.record.code]
        reverted = earlier.get((set_id, change.sha))
        if reverted is not None:
            pointers.append({"set": set_id, "version": reverted})
            detail = {"version": change.sha, "file": source}
            events.append(audit.Event("revert", "practical_set", set_id, bank.id, detail))
            continue
        pointers.append({"set": set_id, "version": version_ids[(set_id, change.sha)]})
        action = "create" if last_seq.get(set_id, 0) == 0 else "new_version"
        detail = {"version": change.sha, "code": change.record.code, "file": source}
        events.append(audit.Event(action, "practical_set", set_id, bank.id, detail))
    execute_many(
        session,
        update(_SETS)
        .where(_SETS.c.id == bindparam("set"))
        .values(current_version_id=bindparam("version")),
        pointers,
    )
    _expire_sets(session, {p["set"] for p in pointers})
    audit.record_many(session, actor=actor, events=events)


def _store_versions(
    session: Session,
    fresh: Sequence[_Change],
    set_ids: dict[str, int],
    last_seq: dict[int, int],
    source: str,
    actor: str,
) -> dict[tuple[int, str], int]:
    """The new versions of `fresh`; their ids by (set id, version id)."""
    rows = [
        {
            "set_id": set_ids[c.record.code],
            "seq": last_seq.get(set_ids[c.record.code], 0) + 1,
            "sha256": c.sha,
            "canonical": canonical_bytes(c.content).decode("utf-8"),
            "title": c.record.title,
            "total_minutes": c.record.total_minutes,
            "author": c.content["author"],
            "origin": source,
            "created_by": actor,
        }
        for c in fresh
    ]
    insert_many(session, _VERSIONS, rows)
    wanted = {(row["set_id"], row["sha256"]) for row in rows}
    version_ids: dict[tuple[int, str], int] = {}
    for part in _chunks(sorted({set_id for set_id, _ in wanted})):
        stmt = select(_VERSIONS.c.set_id, _VERSIONS.c.sha256, _VERSIONS.c.id)
        for set_id, sha, version_id in session.execute(stmt.where(_VERSIONS.c.set_id.in_(part))):
            if (set_id, sha) in wanted:
                version_ids[(set_id, sha)] = version_id
    return version_ids


def _store_rows(
    session: Session,
    fresh: Sequence[_Change],
    set_ids: dict[str, int],
    version_ids: dict[tuple[int, str], int],
) -> None:
    """The new versions' prep lists, tasks and each task's rubric, in the records' order."""
    prep: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    owners: list[tuple[int, PracticalSetRecord]] = []
    for change in fresh:
        version_id = version_ids[(set_ids[change.record.code], change.sha)]
        owners.append((version_id, change.record))
        record = change.record
        for audience, items in (("venue", record.venue_prep), ("candidate", record.candidate_prep)):
            prep.extend(
                {"version_id": version_id, "audience": audience, "position": i, **asdict(row)}
                for i, row in enumerate(items)
            )
        tasks.extend(
            {
                "version_id": version_id,
                "position": i,
                "number": task.number,
                "title": task.title,
                "requirements": task.requirements,
                "score": task.score,
                "time_limit_minutes": task.time_limit_minutes,
                "module_code": task.module_code,
            }
            for i, task in enumerate(record.tasks)
        )
    insert_many(session, _PREP, prep)
    insert_many(session, _TASKS, tasks)
    task_ids: dict[tuple[int, int], int] = {}
    for part in _chunks([version_id for version_id, _ in owners]):
        stmt = select(_TASKS.c.version_id, _TASKS.c.position, _TASKS.c.id)
        for version_id, position, task_id in session.execute(
            stmt.where(_TASKS.c.version_id.in_(part))
        ):
            task_ids[(version_id, position)] = task_id
    insert_many(
        session,
        _RUBRIC,
        [
            {"task_id": task_ids[(version_id, i)], "position": j, **asdict(row)}
            for version_id, record in owners
            for i, task in enumerate(record.tasks)
            for j, row in enumerate(task.rubric)
        ],
    )


def _expire_sets(session: Session, ids: set[int]) -> None:
    """Bulk statements bypass the identity map: sets already loaded re-read their pointer."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, PracticalSet) and obj.id in ids:
            session.expire(obj)


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
