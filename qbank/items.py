"""Theory items: store records as immutable versions, list and show them.

An item keeps its identity across files through its 试题编号 (`guid`) or, when a file has none,
through its text (type, stem, options). Storing a record whose content differs from the item's
current version makes a new version; identical content makes none. A whole file is stored or
nothing is: any problem rejects the import before anything is written.

A bank never holds two live items with the same text: `item_content_keys` (unique per bank)
says which item owns each content key, and an import takes the bank's lock before it looks
anything up, so two imports of one file at once store its items once.
"""

from __future__ import annotations

import array
import bisect
import collections
import contextlib
import functools
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qbank import audit
from qbank.bulk import execute_many, insert_many, new_ids
from qbank.canonical import canonical_text, content_id, sha256_hex
from qbank.content import ITEM_COLUMNS, verified_item_content
from qbank.db import DatabaseBusy, lock_bank
from qbank.errors import ImportRejected, NotFound
from qbank.model import Bank, Base, Item, ItemContentKey, ItemVersion, KnowledgeNode
from qbank.queries import current_items
from qbank.records import (
    Answer,
    ItemRecord,
    ItemType,
    Location,
    Problem,
    ProblemList,
    describer,
    problem_count,
)
from qbank.text.keys import text_content_key

if TYPE_CHECKING:
    from qbank.overlap.fingerprints import FingerprintWriter, PreparedBatch
    from qbank.worker import Spare

_log = logging.getLogger(__name__)


def item_content(record: ItemRecord, *, author: str | None = None) -> dict[str, Any]:
    """The canonical content of a record: what its version id is the hash of."""
    return {
        "type": record.type.value,
        "stem": record.stem,
        "options": dict(record.options),
        "answer": record.answer,
        "knowledge_code": record.knowledge_code,
        "knowledge_path": list(record.knowledge_path),
        "importance": record.importance.value if record.importance else None,
        "difficulty": record.difficulty,
        "discrimination": record.discrimination,
        "score": record.score,
        "explanation": record.explanation,
        "source": record.source,
        "author": record.author or author,
    }


def content_key(item_type: str, stem: str, options: dict[str, str]) -> str:
    """Identity of an item's text, insensitive to width, case and spacing: of a record's
    fields, normalised as importers give them (`qbank.records.ItemRecord`)."""
    return _content_key(item_type, stem, _option_texts(options))


@functools.lru_cache(maxsize=1 << 16)
def _content_key(item_type: str, stem: str, options: tuple[str, ...]) -> str:
    """`content_key`, remembered: linking asks it again of records an import has keyed."""
    return text_content_key(item_type, stem, options)


def _key_text(record: ItemRecord) -> tuple[str, str, tuple[str, ...]]:
    """What `content_key` keys of a record (a worker's `content_keys` takes these)."""
    return record.type.value, record.stem, _option_texts(record.options)


def _option_texts(options: dict[str, str]) -> tuple[str, ...]:
    return tuple(v for _, v in sorted(options.items()))


def _content_keys(
    records: Sequence[ItemRecord],
    fingerprints: FingerprintWriter | None,
    meanwhile: Callable[[], None] = lambda: None,
) -> list[str]:
    """`content_key` of each record. From `_KEYS_PARALLEL_MIN` records on, with a worker
    (the fingerprint writer's, idle until the import stores its first batch), the worker
    keys the last `_KEYS_WORKER_SHARE` of them, `_KEYS_PART` a request, while this process
    keys the rest; a part the worker fails, and every part after it, is keyed here
    (`FingerprintWriter.result`). `meanwhile` is called once the worker has its parts (at
    once when it keys none), before this process keys its own."""
    worker = None if fingerprints is None else fingerprints.worker
    if fingerprints is None or worker is None or len(records) < _KEYS_PARALLEL_MIN:
        meanwhile()
        return [_content_key(*_key_text(r)) for r in records]
    split = len(records) - int(len(records) * _KEYS_WORKER_SHARE)
    parts = range(split, len(records), _KEYS_PART)
    pending = [
        worker.submit(_CONTENT_KEYS, [_key_text(r) for r in records[start : start + _KEYS_PART]])
        for start in parts
    ]
    meanwhile()
    keys = [_content_key(*_key_text(r)) for r in records[:split]]
    for start, number in zip(parts, pending, strict=True):
        theirs = fingerprints.result(number)
        part = records[start : start + _KEYS_PART]
        keys.extend(theirs if theirs is not None else (_content_key(*_key_text(r)) for r in part))
    return keys


_CONTENT_KEYS = "qbank.text.keys:content_keys"
_KEYS_PARALLEL_MIN = 100_000
"""Fewest records whose content keys a worker shares. Its writer starts it without loading
the tokenizer (`_fingerprint_writer`), which its first batch loads while this process writes
the items and keys; a smaller import's worker loads it at once, for batches that come soon."""
_KEYS_WORKER_SHARE = 0.7
"""The share of the records the worker keys (theirs cross a pipe both ways). A million-record
CSV, time in `_content_keys` (2026-12-05): 5.2 s at 45% (the worker loading its tokenizer
first: 8.3 s), 4.7 s at 60%, 4.4 s at 70% (0.1 s of it waiting for the worker), 5.1 s at
85% (2.2 s waiting)."""
_KEYS_PART = 25_000


def encode_answer(answer: Answer) -> str:
    if isinstance(answer, bool):
        return "true" if answer else "false"
    return answer


def decode_answer(stored: str) -> Answer:
    if stored in ("true", "false"):
        return stored == "true"
    return stored


@dataclass
class ImportSummary:
    """Outcome of importing one file of items.

    `imported` counts new items plus new versions of existing items; `unchanged` records
    identical to their item's current version; `rejected` items with at least one problem
    (when it is non-zero nothing was stored); `by_type` the readable records by type.
    """

    imported: int = 0
    unchanged: int = 0
    rejected: int = 0
    new_items: int = 0
    new_versions: int = 0
    by_type: dict[str, int] = field(default_factory=lambda: {t.value: 0 for t in ItemType})
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "new_items": self.new_items,
            "new_versions": self.new_versions,
            "by_type": dict(self.by_type),
            "dry_run": self.dry_run,
            "problems": [p.as_dict() for p in self.problems],
            "problem_count": problem_count(self.problems),
        }


class ItemsRejected(ImportRejected):
    """An item file had problems; `summary` says how many and which."""

    def __init__(self, path: str, summary: ImportSummary) -> None:
        self.summary = summary
        super().__init__(path, summary.problems)


def tree_point_codes(session: Session, bank: Bank) -> set[str] | None:
    """Codes of the bank's current knowledge points (鉴定点), or None when it has no tree."""
    if bank.tree_version_id is None:
        return None
    return set(
        session.scalars(
            select(KnowledgeNode.code).where(
                KnowledgeNode.tree_version_id == bank.tree_version_id,
                KnowledgeNode.importance.is_not(None),
            )
        )
    )


def _count_rejected(problems: Sequence[Problem]) -> int:
    return len({p.location for p in problems})


@dataclass(frozen=True)
class _Current:
    """What an import needs of a live item: its id, guid and current version id."""

    id: int
    guid: str
    sha256: str


# (record, version id, content key, the live item it updates). The content and its canonical
# JSON are made again when the version is written, a batch at a time: holding them for a
# whole file would double an import's memory. A new item's version id is left None until
# then: only a live item's is compared (unchanged or not) before writing, so a new item's
# canonical JSON is made once, when it is written.
_Planned = tuple[ItemRecord, str | None, str, _Current | None]
_BATCH = 5000  # rows per bulk statement and per tokenised batch: bounds an import's memory
# The tables bulk statements write: Core, so no ORM bookkeeping per row.
_ITEMS = Base.metadata.tables["items"]
_VERSIONS = Base.metadata.tables["item_versions"]
_KEYS = Base.metadata.tables["item_content_keys"]


@dataclass(frozen=True)
class _Known:
    """The bank's live items as an import looks them up: by guid, by the content key each
    owns, and the key each item owns (None when it owns none)."""

    by_guid: dict[str, _Current]
    by_key: dict[str, _Current]
    owned_keys: dict[int, str | None]


def _known_items(session: Session, bank: Bank) -> _Known:
    # Columns only: an import of a large bank must not load every version's text as objects.
    # Outer join: an item may own no content key (None).
    known = _Known({}, {}, {})
    for item_id, guid, sha, owned in session.execute(
        current_items(bank.id)
        .with_only_columns(Item.id, Item.guid, ItemVersion.sha256, ItemContentKey.content_key)
        .outerjoin(ItemContentKey, ItemContentKey.item_id == Item.id)
    ):
        live = _Current(item_id, guid, sha)
        known.by_guid[guid] = live
        known.owned_keys[item_id] = owned
        if owned is not None:
            known.by_key[owned] = live
    return known


def import_items(
    session: Session,
    bank: Bank,
    records: Iterable[ItemRecord],
    *,
    source: str,
    actor: str,
    author: str | None = None,
    parse_problems: Sequence[Problem] = (),
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    spare: Spare | None = None,
) -> ImportSummary:
    """Store `records` (read from file `source`) in `bank`, all or nothing.

    `parse_problems` are what the importer found; this adds the checks that need the bank
    (knowledge points not in its tree, two records of the file for the same item or with the
    same text, a text another item of the bank already has). If there is any problem, raises
    ItemsRejected and writes nothing. With `dry_run`, returns what would happen without
    writing. `progress` is called with the number of records done (stored, or found
    unchanged), a batch at a time. `spare`: a fingerprint worker the caller started while it
    read the file (`qbank.overlap.fingerprint_worker.start`), taken if the import stores
    enough texts for a worker; else the caller's `Spare` closes it.

    Takes the bank's import lock first (`qbank.db.lock_bank`) and raises DatabaseBusy when
    another import holds it past the busy timeout, or when the database refuses a duplicate
    that a writer ignoring the lock stored meanwhile.

    Side effects: writes items, versions, content keys, audit events, and the token sets and
    MinHash signatures of new texts, in bulk statements (not when `dry_run`).
    """
    lock_bank(session, bank.id)
    listed = records if isinstance(records, Sequence) else list(records)
    # A file large enough for a fingerprint worker starts it before the plan (from the
    # records' count; or takes the `spare` started before the file was read), so the worker
    # loads the tokenizer and kernels meanwhile; a smaller one makes its writer when it has
    # something to store.
    early = 0 if dry_run or not _worth_a_worker(len(listed)) else len(listed)
    with _fingerprint_writer(session, early, spare) as fingerprints:
        return _import_planned(
            session,
            bank,
            listed,
            fingerprints,
            _Writing(source, actor, author, progress),
            parse_problems,
            dry_run,
        )


def _import_planned(
    session: Session,
    bank: Bank,
    records: Sequence[ItemRecord],
    fingerprints: FingerprintWriter | None,
    writing: _Writing,
    parse_problems: Sequence[Problem],
    dry_run: bool,
) -> ImportSummary:
    """`import_items` once the bank is locked: plan, check, store."""
    summary = ImportSummary(dry_run=dry_run)
    problems = ProblemList(parse_problems)  # bounded: a hostile file may be all problems
    known = _known_items(session, bank)
    points = tree_point_codes(session, bank)
    first: list[_Ahead] = []

    def send_first() -> None:  # an empty bank's: see _send_first
        if not known.by_guid:
            first.extend(_send_first(records, writing, fingerprints))

    keys = _content_keys(records, fingerprints, meanwhile=send_first)
    plan = _plan(records, keys, known, points, writing.author, summary, problems)
    problems.extend(_taken_keys(plan, known.by_key))
    if problems:
        summary.problems = problems.sorted_by_location()
        summary.rejected = _count_rejected(problems)
        raise ItemsRejected(writing.source, summary)

    changes = _changes(plan, summary)
    del plan
    if writing.progress is not None:
        writing.progress(summary.unchanged + (len(changes) if dry_run else 0))
    if dry_run:
        return summary
    try:
        with (
            _write_cache(session, len(changes)),
            _fingerprint_writer(session, 0 if fingerprints is not None else len(changes)) as late,
        ):
            if changes:
                writer = fingerprints or late
                assert writer is not None  # made whenever there are changes
                _store_all(session, bank, changes, writing, known.owned_keys, writer, first)
        audit.record(
            session,
            actor=writing.actor,
            action="import",
            entity="bank",
            entity_id=bank.id,
            bank_id=bank.id,
            file=writing.source,
            imported=summary.imported,
            unchanged=summary.unchanged,
        )
    except IntegrityError as error:  # a writer that ignored the lock got there first
        raise DatabaseBusy() from error
    return summary


_WRITE_CACHE_KIB = 32 * 1024
"""The least SQLite page cache while an import writes (the default is 2 MiB). Every index of
an import is keyed by a hash (versions, content keys, token sets, signatures, audit hashes),
so its rows land on random pages: with a cache smaller than those indexes, nearly every row
reads a page back and writes another out. The journal mode and `synchronous` are left as
they are, so the committed result is as durable as any other transaction's."""

_WRITE_CACHE_SHARE = 0.3
"""The share of the database's size, once the import is in, that the cache may hold: about
what its hash-keyed indexes take (a database of a million items is 3.1 GB)."""

_ITEM_BYTES = 3200
"""What a new item adds to the database file: its version, content key, token set,
signature, audit event and their indexes (3.09 GB for a million, 8 KB pages)."""

_WRITE_CACHE_MAX_KIB = 1024 * 1024
"""The most cache an import takes, and never more than an eighth of the machine's memory.
A million-item CSV import with 32 MiB of cache: 212.5 s; with 1 GiB: 167.0 s (2.7 GB peak);
a 55,000-item one takes about 50 MiB and stays near 300 MB peak (the target: under 500)."""


def write_cache_kib(database_bytes: int, new_items: int, memory_bytes: int | None) -> int:
    """The page cache (KiB) for an import of `new_items` into a database of
    `database_bytes`, on a machine of `memory_bytes` (None: unknown)."""
    wanted = int(_WRITE_CACHE_SHARE * (database_bytes + new_items * _ITEM_BYTES)) // 1024
    most = _WRITE_CACHE_MAX_KIB
    if memory_bytes:
        most = min(most, memory_bytes // 8 // 1024)
    return max(_WRITE_CACHE_KIB, min(wanted, most))


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):  # not on this system
        return None


@contextlib.contextmanager
def _write_cache(session: Session, new_items: int) -> Iterator[None]:
    """On SQLite, a page cache of `write_cache_kib` for the connection while the block runs
    (the connection's own setting restored after); other databases are left alone."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    pages = connection.exec_driver_sql("PRAGMA page_count").scalar() or 0
    page_size = connection.exec_driver_sql("PRAGMA page_size").scalar() or 0
    kib = write_cache_kib(int(pages) * int(page_size), new_items, _memory_bytes())
    connection.exec_driver_sql(f"PRAGMA cache_size=-{kib}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(previous or -2000)}")


def _plan(
    records: Iterable[ItemRecord],
    keys: Iterable[str],
    known: _Known,
    points: set[str] | None,
    author: str | None,
    summary: ImportSummary,
    problems: ProblemList,
) -> list[_Planned]:
    """Each record with its version id, content key (`keys`, one per record) and the live
    item it is (its guid, else its text), counting types in `summary`; problems for unknown
    knowledge points and for records that repeat an item or a text of the file."""
    plan: list[_Planned] = []
    # Where each guid, text (content key) and existing item was first met: one dictionary a
    # kind, so a record without a guid or an item is one lookup of its key (no tuple, list or
    # dictionary built per record: a million records 1.64-1.67 s against 2.3-2.4 s, 2026-12-05).
    by_guid: dict[str, Location] = {}
    by_text: dict[str, Location] = {}
    by_item: dict[int, Location] = {}
    for record, key in zip(records, keys, strict=True):
        summary.by_type[record.type.value] += 1
        if points is not None and record.knowledge_code and record.knowledge_code not in points:
            problems.append(
                Problem(
                    record.location,
                    "knowledge_point",
                    "problem.unknown_knowledge_point",
                    {"code": record.knowledge_code},
                )
            )
        guid = record.guid
        item = known.by_guid.get(guid) if guid else known.by_key.get(key)
        first = by_guid.get(guid) if guid else None  # in this order: guid, text, item
        if first is None:
            first = by_text.get(key)
        if first is None and item is not None:
            first = by_item.get(item.id)
        if first is not None:
            problems.append(
                Problem(
                    record.location,
                    "guid" if guid and guid in by_guid else "stem",
                    "problem.duplicate_item",
                    {"first": first.describe()},
                )
            )
            continue
        location = record.location
        if guid:
            by_guid[guid] = location
        by_text[key] = location
        if item is not None:
            by_item[item.id] = location
        sha = None if item is None else content_id(item_content(record, author=author))
        plan.append((record, sha, key, item))
    return plan


def _changes(plan: list[_Planned], summary: ImportSummary) -> list[_Planned]:
    """The planned records that change their item (new items, new versions), counted in
    `summary` with the unchanged ones."""
    changes: list[_Planned] = []
    for planned in plan:
        _, sha, _, item = planned
        if item is not None and item.sha256 == sha:
            summary.unchanged += 1
            continue
        summary.imported += 1
        if item is None:
            summary.new_items += 1
        else:
            summary.new_versions += 1
        changes.append(planned)
    return changes


def _taken_keys(plan: Sequence[_Planned], by_key: dict[str, _Current]) -> list[Problem]:
    """Records whose text another live item of the bank has and keeps after this import."""
    planned = {item.id: key for _, _, key, item in plan if item is not None}
    problems = []
    for record, _, key, item in plan:
        other = by_key.get(key)
        if other is None or (item is not None and other.id == item.id):
            continue
        if planned.get(other.id, key) != key:
            continue  # the owner itself takes other text in this same file
        problems.append(
            Problem(
                record.location,
                "stem",
                "problem.duplicate_content",
                {"guid": other.guid, "id": other.id},
            )
        )
    return problems


@dataclass(frozen=True)
class _Writing:
    """What every batch of an import's writes needs besides its rows."""

    source: str
    actor: str
    author: str | None
    progress: Callable[[int], None] | None
    describe: Callable[[Location], str] = field(default_factory=describer)  # versions' origins


def _store_all(
    session: Session,
    bank: Bank,
    changes: Sequence[_Planned],
    writing: _Writing,
    owned_keys: dict[int, str | None],
    fingerprints: FingerprintWriter,
    first: Sequence[_Ahead] = (),
) -> None:
    """Write the changes with bulk statements of `_BATCH` rows (no per-row flush): each batch
    inserts its new items, their versions and the content keys of its changed texts
    (`owned_keys`: the key each live item owns now; the old ones are deleted first), points
    its items at their new (or reverted-to) versions, audits its changes (one event whose
    rows are the reverts, then creations and new versions, in file order) and stores the
    token sets and signatures of its texts (`fingerprints`), so the first overlap check
    tokenises nothing."""
    # The first batches' texts go to the fingerprint worker (if any) before anything is
    # written (`first`: those an empty bank's import sent before its plan), so it tokenises
    # and signs them while this process reads what the writes depend on; then each batch is
    # sent `_AHEAD` batches before it is written. Items and keys are written with their
    # batch (`_InOrder`): a million of each written first took 7 s while the worker, two
    # batches ahead, waited for work.
    starts = range(0, len(changes), _BATCH)

    def prepared(number: int) -> _Ahead:
        part = changes[starts[number] : starts[number] + _BATCH]
        return _send_batch(
            [c[0] for c in part], [c[3] is None for c in part], writing, fingerprints
        )

    ahead = collections.deque(first)
    if not all(
        _same(a.records, [c[0] for c in changes[start : start + _BATCH]])
        for a, start in zip(ahead, starts, strict=False)
    ):  # not the first batches after all: the worker's results are dropped
        fingerprints.close()
        ahead.clear()
    ahead.extend(prepared(n) for n in range(len(ahead), min(_AHEAD, len(starts))))
    # What the writes depend on is read once, first (ids, earlier versions, the audit
    # chain's tail), not a query per batch.
    item_ids, items = _item_ids(session, bank, changes)
    last_seq, earlier = _earlier_versions(
        session, [item.id for _, _, _, item in changes if item is not None]
    )
    fresh = sum(
        1
        for item_id, change in zip(item_ids, changes, strict=True)
        if _reverted(earlier, item_id, change[1]) is None
    )
    ids = _Ids(iter(new_ids(session, _VERSIONS, fresh)), last_seq, earlier)
    events = audit.ItemEvents(
        session, actor=writing.actor, bank_id=bank.id, file=writing.source, events=len(starts)
    )
    keys = _key_rows(
        session,
        bank,
        [(item_id, c[2]) for item_id, c in zip(item_ids, changes, strict=True)],
        owned_keys,
    )
    for index, start in enumerate(starts):
        if index + _AHEAD < len(starts):
            ahead.append(prepared(index + _AHEAD))
        end = start + _BATCH
        batch = list(zip(item_ids[start:end], changes[start:end], strict=True))
        sent = ahead.popleft()
        items.write_to(end)  # the batch's new items, before their versions
        _store_batch(session, batch, writing, ids, events, sent, fingerprints)
        keys.write_to(end)
        fingerprints.store(sent.fingerprints)
        if writing.progress is not None:
            writing.progress(len(batch))


_AHEAD = 2
"""Batches whose texts are with the fingerprint worker before the one being written."""


@dataclass
class _Ahead:
    """A batch sent ahead: its records, their texts with the fingerprint writer, their
    contents, and (with a worker) the number of the worker's request for the canonical JSON
    and id of its new items' versions (`qbank.canonical.texts_and_ids`)."""

    records: list[ItemRecord]
    fingerprints: PreparedBatch
    contents: list[dict[str, Any]]
    versions: int | None = None
    new_items: int = 0


def _send_batch(
    records: list[ItemRecord],
    new: Sequence[bool] | None,
    writing: _Writing,
    fingerprints: FingerprintWriter,
) -> _Ahead:
    """The batch of `records` sent ahead to `fingerprints` (`new`: which of them are new
    items; None: all)."""
    contents = [item_content(r, author=writing.author) for r in records]
    fresh = contents if new is None else [c for c, n in zip(contents, new, strict=True) if n]
    worker = fingerprints.worker
    # submitted before the texts: the batch reads it first
    versions = None if worker is None else worker.submit(_VERSION_TEXTS, fresh)
    texts = [(r.stem, tuple(r.options.values())) for r in records]
    return _Ahead(records, fingerprints.prepare(texts), contents, versions, len(fresh))


def _same(these: Sequence[ItemRecord], those: Sequence[ItemRecord]) -> bool:
    return len(these) == len(those) and all(a is b for a, b in zip(these, those, strict=True))


def _send_first(
    records: Sequence[ItemRecord], writing: _Writing, fingerprints: FingerprintWriter | None
) -> list[_Ahead]:
    """The first `_AHEAD` batches of `records`, sent to the fingerprint worker before the
    import is planned: an empty bank's import stores every record, in file order, as a new
    item (or stores nothing: then the worker's results are dropped), so its worker need not
    wait for the plan. Nothing without a worker."""
    if fingerprints is None or fingerprints.worker is None:
        return []
    stop = min(len(records), _AHEAD * _BATCH)
    return [
        _send_batch(list(records[start : start + _BATCH]), None, writing, fingerprints)
        for start in range(0, stop, _BATCH)
    ]


_VERSION_TEXTS = "qbank.canonical:texts_and_ids"


def _version_texts(
    sent: _Ahead, fingerprints: FingerprintWriter
) -> Iterator[tuple[str, str]] | None:
    """The worker's canonical JSON and ids of the batch's new items' versions, in order; None
    when there is no worker (any more), or it fails or answers short (then it is closed: the
    rest of the import is computed here)."""
    if sent.versions is None:
        return None
    computed: list[tuple[str, str]] | None = fingerprints.result(sent.versions)
    if computed is not None and len(computed) != sent.new_items:
        _log.warning("%d version texts for %d items: computed here", len(computed), sent.new_items)
        fingerprints.close()
        return None
    return None if computed is None else iter(computed)


def _fresh_guids(count: int) -> Iterator[str]:
    """`count` new item numbers, made `_BATCH` at a time as they are taken (an import's
    million new numbers are not held at once): version 7 UUIDs (RFC 9562), written as
    `str(uuid.UUID)` writes them, in increasing order. Each has the current Unix time in
    milliseconds in its first 48 bits, then 74 bits that count up from a random start (the
    RFC's monotonic random method: the start from the system's random source, 2**73 values
    below the top, so the count never carries into the time). Increasing numbers land at the
    end of the items' unique (bank, guid) index, where random ones (version 4) landed on
    random pages: a million new items' inserts 2.6 s against 3.9-4.4 s (2026-12-04).

    Only a number's last 12 hex digits (the count's low 48 bits) differ from the one before
    it but where those carry: the text before them is written once per run of 2**48 counts,
    and each number is that text and its 12 digits (a million: 0.27 s against 1.06 s for a
    whole number formatted each; tests/test_bulk_import.py holds the two equal across carries)."""
    millis = time.time_ns() // 1_000_000
    start = int.from_bytes(os.urandom(10)) >> 7  # 73 random bits
    for done in range(0, count, _BATCH):
        yield from _guids_from(millis, start + done, min(_BATCH, count - done))


def _guids_from(millis: int, start: int, count: int) -> list[str]:
    """`_fresh_guids` of this time and count's start."""
    guids: list[str] = []
    n, end = start, start + count
    while n < end:
        run = min(end, (n | _LOW_48) + 1)  # the counts before the low 48 bits carry
        h = f"{millis & _MILLIS:012x}{7 << 12 | n >> 62:04x}{2 << 62 | n & _LOW_62:016x}"
        head = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"
        low = n & _LOW_48
        guids += [head + format(value, "012x") for value in range(low, low + run - n)]
        n = run
    return guids


_MILLIS = (1 << 48) - 1
_LOW_48 = (1 << 48) - 1
_LOW_62 = (1 << 62) - 1


def _item_ids(
    session: Session, bank: Bank, changes: Sequence[_Planned]
) -> tuple[list[int], _InOrder]:
    """The id of each change's item: the live item's, or a new item's (given here, in file
    order); and the new items' rows (`_ITEM_COLUMNS`), to insert with their batches, each with
    its record's guid or a fresh one (`_fresh_guids`, made as the rows are written).
    Changes are read by position, not unpacked with `*_` (which builds a list per change:
    half this function's time at a million). Nothing that walks every change of an import
    unpacks it so."""
    new = [i for i, change in enumerate(changes) if change[3] is None]
    fresh = _fresh_guids(sum(1 for i in new if not changes[i][0].guid))
    ids = [0 if item is None else item.id for item in (change[3] for change in changes)]
    rows: list[tuple[int, int, str | None]] = []
    for i, item_id in zip(new, new_ids(session, _ITEMS, len(new)), strict=True):
        ids[i] = item_id
        rows.append((item_id, bank.id, changes[i][0].guid))

    def numbered(part: Sequence[tuple[int, int, str | None]]) -> list[tuple[int, int, str]]:
        return [(item, bank_id, guid or next(fresh)) for item, bank_id, guid in part]

    return ids, _InOrder(session, _ITEMS, _ITEM_COLUMNS, rows, new, numbered)


_ITEM_COLUMNS = ("id", "bank_id", "guid")


@dataclass
class _Ids:
    """Where an import's new versions get their ids and numbers, and reverts their version:
    ids taken before the writes (`new_ids`), each item's last version number, and every
    earlier version's id by (item, version)."""

    versions: Iterator[int]
    last_seq: dict[int, int]
    earlier: dict[tuple[int, str], int]


def _reverted(earlier: dict[tuple[int, str], int], item_id: int, sha: str | None) -> int | None:
    """The id of the item's earlier version with content `sha`, if the change goes back to
    one (then it gets no new version)."""
    return None if sha is None else earlier.get((item_id, sha))


def _store_batch(
    session: Session,
    batch: Sequence[tuple[int, _Planned]],
    writing: _Writing,
    ids: _Ids,
    events: audit.ItemEvents,
    sent: _Ahead,
    fingerprints: FingerprintWriter,
) -> None:
    """One batch of versions, their items' pointers and their audit event (one for the batch,
    its rows the changes: reverts, then creations and new versions, in file order). `sent`:
    the batch as sent ahead (its contents; its new items' version texts from the worker)."""
    reverts: list[audit.ItemChange] = []
    created: list[audit.ItemChange] = []
    pointers: list[dict[str, int]] = []
    rows: list[tuple[Any, ...]] = []
    texts = _version_texts(sent, fingerprints)
    for (item_id, (record, sha, key, item)), content in zip(batch, sent.contents, strict=True):
        reverted = _reverted(ids.earlier, item_id, sha)
        if reverted is not None and sha is not None:
            # content went back to an earlier version: reuse it
            pointers.append({"item": item_id, "version": reverted})
            reverts.append(audit.ItemChange(item_id, "revert", sha, None))
            continue
        if texts is not None and item is None:  # a new item's: computed by the worker
            canonical, sha = next(texts)
        else:
            canonical = canonical_text(content)
            sha = sha or sha256_hex(canonical.encode("utf-8"))
        seq = ids.last_seq.get(item_id, 0) + 1
        origin = _origin(writing, record.location)
        version = (next(ids.versions), item_id, seq, sha, key, canonical)
        rows.append(version + _version_columns(record, content, origin, writing.actor))
    insert_many(session, _VERSIONS, rows, columns=_VERSION_COLUMNS)
    if not _point_at_range(session, [row[0] for row in rows]):
        pointers.extend({"item": row[1], "version": row[0]} for row in rows)
    for row in rows:  # by position: `*_` would build a list a row
        action = "create" if row[2] == 1 else "new_version"
        created.append(audit.ItemChange(row[1], action, row[3], row[2]))
    if pointers:
        execute_many(
            session,
            update(_ITEMS)
            .where(_ITEMS.c.id == bindparam("item"))
            .values(current_version_id=bindparam("version")),
            pointers,
        )
    _expire_items(session, {p["item"] for p in pointers} | {row[1] for row in rows})
    events.append(reverts + created)


_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33)
"""Whether this SQLite runs UPDATE ... FROM (3.33, 2020)."""


def _point_at_range(session: Session, ids: Sequence[int]) -> bool:
    """On SQLite, point the items of the new versions `ids` (one each, ids consecutive) at
    them with one UPDATE over the versions' id range, not one a row (a million items: 1.0 s
    against 2.0 s, isolated, 2026-12-05); whether it did. The range holds only these rows:
    SQLite's transaction holds the write lock, and the ids were the next ones (`new_ids`).
    Elsewhere (PostgreSQL's sequence may interleave other writers' ids), or when the ids are
    not consecutive, False: the caller updates a row at a time."""
    if not ids or session.get_bind().dialect.name != "sqlite" or not _UPDATE_FROM:
        return False
    first, last = ids[0], ids[-1]
    if last - first + 1 != len(ids):
        return False
    session.execute(
        update(_ITEMS)
        .values(current_version_id=_VERSIONS.c.id)
        .where(_VERSIONS.c.id.between(first, last), _ITEMS.c.id == _VERSIONS.c.item_id)
    )
    return True


_VERSION_COLUMNS = (
    "id",
    "item_id",
    "seq",
    "sha256",
    "content_key",
    "canonical",
    *ITEM_COLUMNS,  # the columns that repeat the content, in their order
    "origin",
    "created_by",
)
"""An import's item_versions row as `_store_batch` builds it: the version's id, item, number,
id of its content, content key and canonical JSON, then `_version_columns`."""


def _version_columns(
    record: ItemRecord, content: dict[str, Any], origin: str, actor: str
) -> tuple[Any, ...]:
    """The item_versions columns that repeat `content` (the type to the author, in
    `_VERSION_COLUMNS`' order), then where it came from and who wrote it."""
    return (
        content["type"],
        record.stem,
        content["options"],
        encode_answer(record.answer),
        record.knowledge_code,
        content["knowledge_path"],
        content["importance"],
        record.difficulty,
        record.discrimination,
        record.score,
        record.explanation,
        record.source,
        content["author"],
        origin,
        actor,
    )


def _earlier_versions(
    session: Session, item_ids: Sequence[int]
) -> tuple[dict[int, int], dict[tuple[int, str], int]]:
    """Of existing items: the last version number, and every version id by (item, version)."""
    last_seq: dict[int, int] = {}
    earlier: dict[tuple[int, str], int] = {}
    for start in range(0, len(item_ids), _CHUNK):
        for item_id, seq, sha, version_id in session.execute(
            select(ItemVersion.item_id, ItemVersion.seq, ItemVersion.sha256, ItemVersion.id).where(
                ItemVersion.item_id.in_(item_ids[start : start + _CHUNK])
            )
        ):
            last_seq[item_id] = max(seq, last_seq.get(item_id, 0))
            earlier[(item_id, sha)] = version_id
    return last_seq, earlier


def _expire_items(session: Session, ids: set[int]) -> None:
    """Bulk statements bypass the identity map: items already loaded re-read their pointer."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Item) and obj.id in ids:
            session.expire(obj)


def _worth_a_worker(texts: int) -> bool:
    from qbank.overlap.fingerprint_worker import worth_a_worker

    return worth_a_worker(texts)


@contextlib.contextmanager
def _fingerprint_writer(
    session: Session, texts: int, spare: Spare | None = None
) -> Iterator[FingerprintWriter | None]:
    """What stores the token sets and signatures of the records' (stem, options) texts (at
    most `texts` of them; with 0, None: nothing to store), closed after the block. Imported
    here: the import command needs the overlap code only when storing."""
    if not texts:
        yield None
        return
    from qbank.overlap.fingerprints import FingerprintWriter

    # A worker started here that will key the records first (`_content_keys`) loads the
    # tokenizer with its first batch, not before the keys; a `spare` has loaded it while the
    # file was read.
    writer = FingerprintWriter(
        session, clean=True, texts=texts, warm=texts < _KEYS_PARALLEL_MIN, spare=spare
    )
    try:
        yield writer
    finally:
        writer.close()


_CHUNK = 500  # ids per IN (...) query: well under every backend's parameter limit


def _key_rows(
    session: Session,
    bank: Bank,
    keyed: Sequence[tuple[int, str]],
    owned_keys: dict[int, str | None],
) -> _InOrder:
    """The content-key rows of items whose text changed (`keyed`: each change's item and key,
    in file order), to be written as the batches reach them; their old rows are deleted now.
    Old rows go first, so items that trade texts within one file never collide on the way;
    the unique constraint still refuses a key another item holds."""
    final: dict[int, tuple[int, str]] = {}  # item -> (its first change, its last key)
    for position, (item_id, key) in enumerate(keyed):
        if owned_keys.get(item_id) != key:
            first = final.get(item_id)
            final[item_id] = (position if first is None else first[0], key)
    stale = [i for i in final if i in owned_keys]
    for start in range(0, len(stale), _CHUNK):
        session.execute(
            delete(ItemContentKey).where(ItemContentKey.item_id.in_(stale[start : start + _CHUNK]))
        )
    rows = [(i, bank.id, key) for i, (_, key) in final.items()]
    return _InOrder(session, _KEYS, _KEY_COLUMNS, rows, (p for p, _ in final.values()))


_KEY_COLUMNS = ("item_id", "bank_id", "content_key")


class _InOrder:
    """Rows of `table` (tuples of `columns`) each belonging to a change of the import
    (`positions`, increasing), inserted as the batches reach their changes (`write_to`), so
    an item's row is in before its version and its content key after it. Written so rather
    than all before the first batch, the fingerprint worker, which has little to do before
    the batches come, is not left waiting while this process writes a million items and
    keys (`_store_all`)."""

    def __init__(
        self,
        session: Session,
        table: Table,
        columns: Sequence[str],
        rows: list[Any],
        positions: Iterable[int],
        complete: Callable[[list[Any]], Sequence[tuple[Any, ...]]] | None = None,
    ) -> None:
        self._session, self._table, self._columns = session, table, columns
        self._rows = rows  # tuples; None once written
        self._complete = complete  # what a part's rows get as they are written, if anything
        self._positions = array.array("q", positions)  # 8 bytes a row, not an int object
        self._written = 0

    def write_to(self, end: int) -> None:
        """Insert the rows of the changes before position `end` not yet written (and let
        them go: a million rows are not held to the end)."""
        stop = bisect.bisect_left(self._positions, end, lo=self._written)
        for start in range(self._written, stop, _BATCH):
            done = min(start + _BATCH, stop)
            part = self._rows[start:done]
            rows = part if self._complete is None else self._complete(part)
            insert_many(self._session, self._table, rows, columns=self._columns)
            self._rows[start:done] = [None] * (done - start)
        self._written = stop


def _origin(writing: _Writing, location: Location) -> str:
    return writing.describe(location) if location.file else writing.source


@dataclass(frozen=True)
class ItemView:
    """An item with its current version, as `item list` / `item show` present it."""

    id: int
    guid: str
    version: str
    seq: int
    type: str
    stem: str
    options: dict[str, str]
    answer: Answer
    knowledge_point: str | None
    knowledge_path: list[str]
    importance: str | None
    difficulty: float | None
    score: float | None
    explanation: str | None
    source: str | None
    author: str | None
    status: str
    origin: str | None
    deleted_at: str | None = None  # when the item was deleted logically (ISO time)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _view(item: Item, row: ItemVersion) -> ItemView:
    """The item as shown (and exported to review sheets): its verified content, so a reviewer
    never reads text other than the version id they sign (ContentTampered otherwise)."""
    version = verified_item_content(row, guid=item.guid, consequence="export")
    return ItemView(
        id=item.id,
        guid=item.guid,
        version=version.version,
        seq=row.seq,
        type=version.type,
        stem=version.stem,
        options=dict(version.options),
        answer=version.answer,
        knowledge_point=version.knowledge_code
        or ("/".join(version.knowledge_path) if version.knowledge_path else None),
        knowledge_path=list(version.knowledge_path),
        importance=version.importance,
        difficulty=version.difficulty,
        score=version.score,
        explanation=version.explanation,
        source=version.source,
        author=version.author,
        status=row.status,
        origin=row.origin,
        deleted_at=item.deleted_at.isoformat(timespec="seconds") if item.deleted_at else None,
    )


def list_items(
    session: Session, bank: Bank, *, item_type: ItemType | None = None
) -> list[ItemView]:
    """The bank's live items with their current versions, in import order."""
    stmt = current_items(bank.id).order_by(Item.id)
    if item_type is not None:
        stmt = stmt.where(ItemVersion.type == item_type.value)
    return [_view(item, version) for item, version in session.execute(stmt)]


def get_item(session: Session, item_id: int, *, include_deleted: bool = False) -> ItemView:
    """The item with its current version. A logically deleted item is NotFound unless
    `include_deleted` (showing it and its history, where `deleted_at` says it is deleted)."""
    row = session.execute(
        current_items(item_ids=[item_id], include_deleted=include_deleted)
    ).first()
    if row is None:
        raise NotFound("item.not_found", id=item_id)
    return _view(*row)


def item_versions(session: Session, item_id: int) -> list[ItemVersion]:
    """All versions of an item, oldest first."""
    return list(
        session.scalars(
            select(ItemVersion).where(ItemVersion.item_id == item_id).order_by(ItemVersion.seq)
        )
    )


def version_record(version: ItemVersion, guid: str, location: Location) -> ItemRecord:
    """A stored version as the record an importer would have produced (for exporters),
    built from its verified content (`qbank.content.ContentTampered` when the row does not
    re-hash to its id)."""
    return verified_item_content(version, guid=guid, consequence="export").record(location)
