"""`qbank db verify`: the database's own fsck, run over every stored record.

One read-only pass per kind of record, each a check with a stable name and failure codes that
never change meaning (scripts and auditors key on them). A failure names the table and row
concerned. Nothing here trusts a column that repeats what a hash or signature covers: the
repeated column is compared with the covered bytes instead.

Checks, in order:

1. `people`: a registered public key is 32 bytes and its fingerprint is the stored one
   (PERSON_KEY_INVALID); it is the key the audit trail last records for the person
   (PERSON_KEY_UNAUDITED: swapped without `people.set_public_key`).
2. `item_versions`, `practical_set_versions`: SHA-256 of `canonical` is `sha256`
   (VERSION_HASH_MISMATCH); `canonical` is canonical JSON of a content object
   (VERSION_NOT_CANONICAL); every column and child row that repeats the content agrees with it
   (VERSION_COLUMN_DRIFT, naming the column); an item's current version is one of its own
   (CURRENT_VERSION_FOREIGN).
3. `tree_versions`: the knowledge nodes re-hash to the tree version id (TREE_HASH_MISMATCH).
4. `overlap_reports`: the body re-hashes to `sha256` (REPORT_HASH_MISMATCH) and its columns
   agree with it (REPORT_COLUMN_DRIFT).
5. `reviews`, `adjudications`: the payload is canonical JSON (PAYLOAD_MALFORMED), signed by
   the registered key of the person it names (REVIEW_SIGNATURE_INVALID,
   ADJUDICATION_SIGNATURE_INVALID, ADJUDICATION_UNSIGNED, SIGNER_UNKNOWN, SIGNER_NO_KEY,
   SIGNER_KEY_MISMATCH; a key the person had before verifies as the audit trail recorded it,
   SIGNER_KEY_RETIRED when the trail names it by fingerprint only), agrees with the row
   (PAYLOAD_MISMATCH) and names versions that exist as the row says (REVIEW_VERSION_MISMATCH,
   ADJUDICATION_VERSION_UNKNOWN).
6. `filings`: the manifest re-hashes (FILING_MANIFEST_HASH_MISMATCH), is canonical JSON
   (PAYLOAD_MALFORMED), its Merkle root re-derives from its entries and is the stored one
   (FILING_ROOT_MISMATCH), `filing_entries` hold exactly the versions it lists
   (FILING_ENTRY_MISMATCH), every signature verifies under the signer's registered key
   (FILING_SIGNATURE_INVALID, SIGNER_*), the institution signed (FILING_UNSIGNED), the
   overlap reports and tree it names are stored (FILING_REFERENCE_MISSING), and it is about
   its own bank (FILING_BANK_MISMATCH).
7. `audit_events`: the hash chain has no gap or edit (`qbank.audit.verify_chain`:
   AUDIT_CHAIN_BROKEN, AUDIT_EVENT_EDITED); the rows of each import's `import_items` event
   in `audit_event_items` are the ones it commits to, by count and digest
   (AUDIT_ITEMS_MISMATCH: a row edited, added or removed), and no row hangs under another
   event (AUDIT_ITEMS_ORPHAN).
8. `custody`: each batch's stored log verifies as `qbank custody verify` would, pinned to the
   layout signer's registered key, or the key the audit trail gave them when they signed
   (CUSTODY_LOG_INVALID, with the custody failure code); the rows agree with their signed
   payloads (CUSTODY_ROW_DRIFT); no entry without a layout (CUSTODY_ENTRY_ORPHAN); every
   signing the audit trail records is in the log (CUSTODY_ENTRY_MISSING).
9. `sealed_bundles`: the statement is signed by the registered key of the row's signer
   (BUNDLE_SIGNATURE_INVALID, SIGNER_*) and agrees with the row (PAYLOAD_MISMATCH).
10. `papers`: a sealed paper keeps nothing in the clear (PAPER_SEALED_IN_CLEAR), holds an age
    file (PAPER_CIPHERTEXT_MALFORMED) and a commitment (PAPER_COMMITMENT_MISSING); where the
    custody log's 组卷 entry signed the batch's papers, each paper is there
    (PAPER_NOT_IN_CUSTODY) and its clear composition (unsealed or opened) or its commitment is
    the signed fingerprint (PAPER_COMPOSITION_MISMATCH); a sealed paper's commitment not
    signed there must be the one its sealing recorded (PAPER_COMMITMENT_UNRECORDED); each
    paper item row names a version of its own item (PAPER_ITEM_FOREIGN). Given age identities
    (`verify_database(keyring=…)`), each sealed paper is decrypted: it opens to its own
    composition under its commitment (PAPER_COMMITMENT_MISMATCH) and an opened paper's clear
    composition is the sealed one (PAPER_COMPOSITION_MISMATCH).

A check that meets rows no qbank version writes and cannot go on records CHECK_ABORTED (the
table is the check's name) and the next check runs: a hostile database never passes by
crashing the verifier.

Rows are read with Core selects in batches (`yield_per`), and a clean item version costs one
SHA-256, two small JSON decodes and one canonical encoding (benchmarks/db_verify.py: 100,000
versions in under 3 s of CPU).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import operator
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Row, Select, Text, create_engine, event, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from qbank import audit, merkle
from qbank.canonical import canonical_bytes, content_id
from qbank.checkpoint import MalformedNote, parse_note
from qbank.confidential import (
    CommitmentMismatch,
    Keyring,
    NoMatchingIdentity,
    SealedPaperDamaged,
    clear_composition,
)
from qbank.content import ITEM_KEYS, Mismatch, item_version_mismatch, set_version_mismatch
from qbank.custody.log import Malformed, parse_entry, parse_layout, strict_json
from qbank.custody.service import paper_fingerprint, verify_batch
from qbank.custody.verify import INVALID
from qbank.db import alembic_config
from qbank.errors import InvalidInput, NotFound, QbankError
from qbank.i18n import tr
from qbank.keys import fingerprint
from qbank.keys import verify as verify_signature
from qbank.model import (
    Adjudication,
    AuditEvent,
    AuditItem,
    Bank,
    Batch,
    CustodyCheckpoint,
    CustodyEntry,
    CustodyLayout,
    Filing,
    FilingEntry,
    Item,
    ItemVersion,
    KnowledgeNode,
    Occupation,
    OverlapReport,
    Paper,
    PaperItem,
    Person,
    PracticalSet,
    PracticalSetVersion,
    Review,
    SealedBundle,
    TreeVersion,
)
from qbank.queries import set_versions_with_code

CHECKS = (
    "people",
    "item_versions",
    "practical_set_versions",
    "tree_versions",
    "overlap_reports",
    "reviews",
    "adjudications",
    "filings",
    "audit_events",
    "custody",
    "sealed_bundles",
    "papers",
)
"""Every check, in the order it runs and is reported."""

BATCH_ROWS = 2000
_AGE_HEADER = b"age-encryption.org/v1\n"
_ITEM_COLUMNS = tuple(sorted(ITEM_KEYS))  # every content field has its own column
_JSON_COLUMNS = ("options", "knowledge_path")
_SET_COLUMNS = ("title", "total_minutes", "author")
_PREP_FIELDS = ("name", "spec", "quantity", "note", "category")
_TASK_FIELDS = ("number", "title", "requirements", "score", "time_limit_minutes", "module_code")
_RUBRIC_FIELDS = ("element", "score", "criteria", "veto")
_MISSING = object()


@dataclass(frozen=True)
class Failure:
    """One thing that does not hold: a stable code, the row concerned and the particulars."""

    code: str
    table: str
    row: int | str | None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The failure in the user's language (the code and row stay as they are)."""
        return tr(
            f"integrity.code.{self.code.lower()}", table=self.table, row=self.row, **self.params
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "table": self.table,
            "row": self.row,
            "message": self.message,
            "params": dict(self.params),
        }


@dataclass
class CheckCount:
    """How many records one check examined and how many failures it found."""

    checked: int = 0
    failed: int = 0


@dataclass
class IntegrityReport:
    """The outcome of `verify_database`: counts per check and every failure, in check order."""

    counts: dict[str, CheckCount]
    failures: list[Failure]
    unopened: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": {
                name: {"checked": c.checked, "failures": c.failed}
                for name, c in self.counts.items()
            },
            "failure_count": len(self.failures),
            "failures": [f.as_dict() for f in self.failures],
            "unopened_papers": list(self.unopened),
        }


def verify_database(
    session: Session,
    *,
    progress: Callable[[str], None] | None = None,
    keyring: Keyring | None = None,
) -> IntegrityReport:
    """Run every check over the database `session` reads; never writes.

    `progress` is called with each check's name as it starts. With a `keyring` of age
    identities, sealed papers are also decrypted: each must open to its own composition under
    its commitment (PAPER_COMMITMENT_MISMATCH, PAPER_CIPHERTEXT_MALFORMED) and an opened
    paper's clear composition must be the sealed one (PAPER_COMPOSITION_MISMATCH); papers no
    given identity opens are listed in the report's `unopened`. `snapshot` gives a session
    with one consistent view.
    """
    run = _Run(session, keyring)
    for name in CHECKS:
        if progress is not None:
            progress(name)
        run.current = name
        try:
            getattr(run, f"check_{name}")()
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            # Rows shaped as no qbank writes them: the check cannot finish, which is itself a
            # failure; the other checks still run.
            run.fail("CHECK_ABORTED", name, None, error=type(e).__name__)
    return IntegrityReport(run.counts, run.failures, run.unopened)


class NoDatabase(NotFound):
    """`db verify` was pointed at a SQLite file that does not exist (it creates none)."""

    def __init__(self, path: str) -> None:
        super().__init__("integrity.no_database", path=path)


class SchemaNotCurrent(InvalidInput):
    """The database's schema is not the one this qbank reads; verifying changes nothing, so
    it does not migrate: `qbank init` does."""

    def __init__(self, current: str | None, head: str | None) -> None:
        super().__init__("integrity.schema_not_current", current=current or "-", head=head or "-")


@contextmanager
def snapshot(url: str) -> Iterator[Session]:
    """A read-only session over one consistent view of the database at `url`.

    Unlike `qbank.db.open_database` it creates nothing, migrates nothing and takes no write
    lock: a missing SQLite file is NoDatabase, a schema behind (or ahead of) this qbank is
    SchemaNotCurrent. SQLite reads in one deferred transaction, PostgreSQL in one REPEATABLE
    READ, READ ONLY transaction; both are rolled back at the end.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:") or not (path.startswith("file:") or Path(path).is_file()):
            raise NoDatabase(path or ":memory:")
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # BEGIN is emitted below

        @event.listens_for(engine, "begin")
        def _deferred_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")  # a read snapshot, no write lock

        options: dict[str, Any] = {}
    else:
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    try:
        with engine.connect().execution_options(**options) as conn:
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            current = MigrationContext.configure(conn).get_current_revision()
            if current != head:
                raise SchemaNotCurrent(current, head)
            with Session(bind=conn) as session:
                try:
                    yield session
                finally:
                    session.rollback()
    finally:
        engine.dispose()


_LayoutRow = tuple[int, int, str]
"""A custody layout row: its id, its signer's person id and its payload."""


@dataclass(frozen=True)
class _Key:
    """A person as signatures are checked against them: name, raw key (None if none)."""

    id: int
    name: str
    public_key: bytes | None
    fingerprint: str | None


# The encoder, made once: `json.dumps` with arguments builds a new encoder per call, which
# costs as much as encoding a small item. It takes exactly the arguments of
# `qbank.canonical.canonical_bytes` (a test holds the two equal).
_CANONICAL = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def merkle_root_hex(entries: list[Any]) -> str:
    """A filing manifest's Merkle root: RFC 6962 over each entry's canonical JSON.

    The same computation as `qbank.filing.merkle_root_hex` (a test holds them equal), made
    here so that verifying does not import filing's compliance and overlap machinery.
    """
    return merkle.root([_CANONICAL.encode(e).encode("utf-8") for e in entries]).hex()


def _json(value: Any) -> Any:
    """A JSON column's value as stored (some drivers hand back text)."""
    return json.loads(value) if isinstance(value, str) else value


def _object(value: object) -> dict[str, Any]:
    """A parsed JSON value that should be an object; anything else reads as empty."""
    return value if isinstance(value, dict) else {}


def _fields(value: Any) -> dict[str, Any]:
    """A JSON column (an audit event's detail) as an object; anything else reads as empty."""
    try:
        data = _json(value)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _key(value: Any) -> Any:
    """A value from stored JSON made fit to be looked up (a list or object becomes its text)."""
    return value if value is None or isinstance(value, str | int | float) else repr(value)


def _b64(value: str | None) -> bytes:
    """A stored base64 signature; damaged text reads as no signature (it then fails)."""
    try:
        return base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        return b""


class _Run:
    """One verification: the session, the counts, the failures, the people's keys."""

    def __init__(self, session: Session, keyring: Keyring | None = None) -> None:
        self.session = session
        self.keyring = keyring
        self.unopened: list[int] = []
        self.counts: dict[str, CheckCount] = {name: CheckCount() for name in CHECKS}
        self.failures: list[Failure] = []
        self.current = CHECKS[0]
        self._people: dict[int, _Key] | None = None
        self._by_name: dict[str, _Key] = {}
        # Per person: fingerprint → raw key of every key the audit trail gave them (None when
        # an event names a key by its fingerprint only).
        self.key_history: dict[int, dict[str, bytes | None]] = defaultdict(dict)
        self.unaudited: set[int] = set()

    # --- helpers ----------------------------------------------------------------------------

    def fail(self, code: str, table: str, row: int | str | None, /, **params: Any) -> None:
        self.failures.append(Failure(code, table, row, params))
        self.counts[self.current].failed += 1

    def seen(self, n: int = 1) -> None:
        self.counts[self.current].checked += n

    def rows(self, stmt: Select[*tuple[Any, ...]]) -> Iterator[Row[*tuple[Any, ...]]]:
        """The statement's rows, fetched in batches (no ORM object per row)."""
        result = self.session.execute(stmt.execution_options(yield_per=BATCH_ROWS))
        for chunk in result.partitions():
            yield from chunk

    @property
    def people(self) -> dict[int, _Key]:
        if self._people is None:
            p = Person.__table__.c
            self._people = {}
            for pid, name, encoded, stored_fp in self.session.execute(
                select(p.id, p.name, p.public_key, p.key_fingerprint)
            ):
                raw = _b64(encoded) if encoded else None
                key = _Key(pid, name, raw if raw and len(raw) == 32 else None, stored_fp)
                self._people[pid] = key
                self._by_name[name] = key
        return self._people

    def person_named(self, name: Any) -> _Key | None:
        _ = self.people
        return self._by_name.get(name) if isinstance(name, str) else None

    def signed_by(
        self,
        person: _Key | None,
        payload: bytes,
        signature: str | None,
        *,
        table: str,
        row: int,
        invalid: str,
        named: Any = _MISSING,
        named_key: Any = _MISSING,
    ) -> bool:
        """Check `signature` over `payload` under `person`'s registered key; record failures.

        `named`/`named_key` are the signer name and key fingerprint the payload states, when
        it states them: they must be the person's.
        """
        if person is None:
            self.fail("SIGNER_UNKNOWN", table, row, name=str(named))
            return False
        if person.public_key is None:
            self.fail("SIGNER_NO_KEY", table, row, name=person.name)
            return False
        ok = True
        registered = fingerprint(person.public_key)
        if named is not _MISSING and named != person.name:
            self.fail("PAYLOAD_MISMATCH", table, row, field="signer")
            ok = False
        if named_key is not _MISSING and named_key != registered:
            history = self.key_history[person.id]
            if person.id not in self.unaudited and _key(named_key) in history:
                # Signed under a key the person had before; its replacement is audited, and
                # the audit event carries the key itself (`people.set_public_key`).
                retired = history[named_key]
                if retired is None:
                    self.fail(
                        "SIGNER_KEY_RETIRED", table, row, name=person.name, fingerprint=named_key
                    )
                    return False
                if not verify_signature(retired, payload, _b64(signature)):
                    self.fail(invalid, table, row, name=person.name, fingerprint=named_key)
                    return False
                return ok
            self.fail(
                "SIGNER_KEY_MISMATCH", table, row, name=person.name, fingerprint=str(named_key)
            )
            ok = False
        if not verify_signature(person.public_key, payload, _b64(signature)):
            self.fail(invalid, table, row, name=person.name, fingerprint=registered)
            ok = False
        return ok

    def had_key(self, person: _Key, fingerprint_hex: str) -> bytes | None:
        """The person's raw key of that fingerprint: the registered one, or one the audit trail
        gave them before (None when neither)."""
        if person.public_key is not None and fingerprint(person.public_key) == fingerprint_hex:
            return person.public_key
        if person.id in self.unaudited:
            return None
        return self.key_history[person.id].get(fingerprint_hex)

    def parsed(self, text: str | None, table: str, row: int) -> Any:
        """The canonical JSON in `text`, or None after recording PAYLOAD_MALFORMED."""
        try:
            return strict_json((text or "").encode("utf-8"))
        except Malformed:
            self.fail("PAYLOAD_MALFORMED", table, row)
            return None

    def drift(self, table: str, row: int, column: str) -> None:
        self.fail("VERSION_COLUMN_DRIFT", table, row, column=column)

    # --- 1. people ---------------------------------------------------------------------------

    def check_people(self) -> None:
        # Every key a person is given is audited (`people.set_public_key`): the latest such
        # event must name the key registered now, or the key was swapped behind qbank's back.
        a = AuditEvent.__table__.c
        audited: dict[int, str | None] = {}
        for entity_id, detail in self.session.execute(
            select(a.entity_id, a.detail)
            .where(a.action == "set_key", a.entity == "person")
            .order_by(a.id)
        ):
            data = _fields(detail)
            try:
                person_id = int(entity_id)
            except ValueError:
                continue
            audited[person_id] = data.get("fingerprint")
            history = self.key_history[person_id]
            for fp_field, key_field in (
                ("previous", "previous_key"),
                ("fingerprint", "public_key"),
            ):
                stated = data.get(fp_field)
                if not isinstance(stated, str):
                    continue
                encoded = data.get(key_field)
                raw = _b64(encoded) if isinstance(encoded, str) else b""
                if len(raw) == 32 and fingerprint(raw) == stated:
                    history[stated] = raw
                else:
                    history.setdefault(stated, None)  # known by its fingerprint only
        p = Person.__table__.c
        for pid, encoded, stored_fp in self.session.execute(
            select(p.id, p.public_key, p.key_fingerprint).order_by(p.id)
        ):
            self.seen()
            if encoded is None and stored_fp is None:
                continue
            raw = _b64(encoded)
            if len(raw) != 32 or fingerprint(raw) != stored_fp:
                self.unaudited.add(pid)
                self.fail("PERSON_KEY_INVALID", "people", pid)
            elif audited.get(pid) != stored_fp:
                self.unaudited.add(pid)
                self.fail("PERSON_KEY_UNAUDITED", "people", pid, fingerprint=stored_fp)

    # --- 2. versions ---------------------------------------------------------------------------

    def version_mismatch(self, table: str, row: int, sha: str, mismatch: Mismatch) -> None:
        """Record what `qbank.content` found wrong with a version row, by its stable code."""
        if mismatch.code == "content.hash":
            self.fail("VERSION_HASH_MISMATCH", table, row, version=sha, actual=mismatch.detail)
        elif mismatch.code == "content.field":
            self.fail("VERSION_COLUMN_DRIFT", table, row, column=mismatch.detail)
        else:
            self.fail("VERSION_NOT_CANONICAL", table, row)

    def check_item_versions(self) -> None:
        c = ItemVersion.__table__.c
        # JSON columns as their stored text (decoded here, without a processor per value).
        columns = [sql_cast(c[n], Text) if n in _JSON_COLUMNS else c[n] for n in _ITEM_COLUMNS]
        stmt = select(c.id, c.sha256, c.canonical, *columns).order_by(c.id)
        sha256, loads, encode = hashlib.sha256, json.loads, _CANONICAL.encode
        names = tuple(enumerate(_ITEM_COLUMNS, start=3))
        for row in self.rows(stmt):
            self.seen()
            raw = row[2].encode("utf-8")
            # The common case in one comparison: the columns, put back together as content,
            # encode to exactly the stored canonical text, and that text hashes to the id.
            ok = sha256(raw).hexdigest() == row[1]
            if ok:
                try:
                    content = {name: row[i] for i, name in names}
                    content["options"] = loads(content["options"])
                    content["knowledge_path"] = loads(content["knowledge_path"])
                    answer = content["answer"]
                    if answer == "true" or answer == "false":  # encode_answer of a bool
                        content["answer"] = answer == "true"
                    ok = encode(content).encode("utf-8") == raw
                except (ValueError, TypeError):
                    ok = False
            if not ok:
                # The exact reason, by the strict check every trust boundary uses (columns that
                # differ only in form, such as 1.0 for 1, are no mismatch there).
                version = SimpleNamespace(**row._asdict())
                for name in _JSON_COLUMNS:
                    with suppress(ValueError):  # not JSON: it differs, as the check will say
                        setattr(version, name, _json(getattr(version, name)))
                mismatch = item_version_mismatch(cast(ItemVersion, version))
                if mismatch is not None:
                    self.version_mismatch("item_versions", row[0], row[1], mismatch)
        # Raw rows on purpose, deleted items too: this catches the bad pointers that
        # `qbank.queries.current_items` joins on trust.
        i, v = Item.__table__.c, ItemVersion.__table__.c
        for item_id, version_id in self.session.execute(
            select(i.id, i.current_version_id)
            .join(ItemVersion, v.id == i.current_version_id)
            .where(v.item_id != i.id)
        ):
            self.fail("CURRENT_VERSION_FOREIGN", "items", item_id, version_id=version_id)

    def check_practical_set_versions(self) -> None:
        stmt = (
            set_versions_with_code()
            .order_by(PracticalSetVersion.id)
            .execution_options(yield_per=200)
        )
        for version, code in self.session.execute(stmt):
            self.seen()
            mismatch = set_version_mismatch(version, code=code)
            if mismatch is not None:
                self.version_mismatch(
                    "practical_set_versions", version.id, version.sha256, mismatch
                )
        # Raw rows on purpose, as for items above.
        v, s = PracticalSetVersion.__table__.c, PracticalSet.__table__.c
        for set_id, version_id in self.session.execute(
            select(s.id, s.current_version_id)
            .join(PracticalSetVersion, v.id == s.current_version_id)
            .where(v.set_id != s.id)
        ):
            self.fail("CURRENT_VERSION_FOREIGN", "practical_sets", set_id, version_id=version_id)

    # --- 3. trees ------------------------------------------------------------------------------

    def check_tree_versions(self) -> None:
        n = KnowledgeNode.__table__.c
        nodes: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for tree_id, code, parent, name, weight, importance in self.session.execute(
            select(
                n.tree_version_id, n.code, n.parent_code, n.name, n.weight, n.importance
            ).order_by(n.tree_version_id, n.position, n.id)
        ):
            nodes[tree_id].append(
                {
                    "code": code,
                    "parent": parent,
                    "name": name,
                    "weight": weight,
                    "importance": importance,
                }
            )
        t = TreeVersion.__table__.c
        for tree_id, sha in self.session.execute(select(t.id, t.sha256).order_by(t.id)):
            self.seen()
            if content_id(nodes.get(tree_id, [])) != sha:
                self.fail("TREE_HASH_MISMATCH", "tree_versions", tree_id, version=sha)

    # --- 4. overlap reports -------------------------------------------------------------------

    def check_overlap_reports(self) -> None:
        r = OverlapReport.__table__.c
        for rid, sha, body, scope, verdict in self.rows(
            select(r.id, r.sha256, r.body, r.scope, r.verdict).order_by(r.id)
        ):
            self.seen()
            if hashlib.sha256(body.encode("utf-8")).hexdigest() != sha:
                self.fail("REPORT_HASH_MISMATCH", "overlap_reports", rid, version=sha)
            report = self.parsed(body, "overlap_reports", rid)
            if not isinstance(report, dict):
                continue
            if report.get("verdict") != verdict:
                self.fail("REPORT_COLUMN_DRIFT", "overlap_reports", rid, column="verdict")
            kind = (
                report.get("scope", {}).get("kind")
                if isinstance(report.get("scope"), dict)
                else None
            )
            if kind != scope:
                self.fail("REPORT_COLUMN_DRIFT", "overlap_reports", rid, column="scope")

    # --- 5. reviews and adjudications ----------------------------------------------------------

    def _banks(self) -> dict[int, dict[str, Any]]:
        b, o = Bank.__table__.c, Occupation.__table__.c
        return {
            bid: {"occupation": code, "level": level}
            for bid, code, level in self.session.execute(
                select(b.id, o.code, b.level).join(Occupation, o.id == b.occupation_id)
            )
        }

    def check_reviews(self) -> None:
        banks = self._banks()
        r = Review.__table__.c
        iv, sv, ps = (
            ItemVersion.__table__.c,
            PracticalSetVersion.__table__.c,
            PracticalSet.__table__.c,
        )
        stmt = (
            select(
                r.id,
                r.bank_id,
                r.item_version_id,
                r.set_version_id,
                r.reviewer_id,
                r.decision,
                r.comment,
                r.payload,
                r.signature,
                iv.sha256,
                iv.item_id,
                sv.sha256,
                ps.code,
            )
            .outerjoin(ItemVersion, iv.id == r.item_version_id)
            .outerjoin(PracticalSetVersion, sv.id == r.set_version_id)
            .outerjoin(PracticalSet, ps.id == sv.set_id)
            .order_by(r.id)
        )
        people = self.people
        for row in self.rows(stmt):
            self.seen()
            (
                rid,
                bank_id,
                item_version_id,
                _set_version,
                reviewer_id,
                decision,
                comment,
                text,
                signature,
                item_sha,
                item_id,
                set_sha,
                set_code,
            ) = row
            data = self.parsed(text, "reviews", rid)
            payload = data if isinstance(data, dict) else {}
            self.signed_by(
                people.get(reviewer_id),
                (text or "").encode("utf-8"),
                signature,
                table="reviews",
                row=rid,
                invalid="REVIEW_SIGNATURE_INVALID",
                named=payload.get("reviewer"),
                named_key=payload.get("key"),
            )
            if data is None:
                continue
            if item_version_id is not None:
                subject, ident, version = "item", item_id, item_sha
            else:
                subject, ident, version = "practical_set", set_code, set_sha
            if payload.get("version") != version:
                self.fail(
                    "REVIEW_VERSION_MISMATCH", "reviews", rid, version=str(payload.get("version"))
                )
            expected = {
                "subject": subject,
                "id": ident,
                "decision": decision,
                "comment": comment,
                "bank": banks.get(bank_id),
            }
            for name, value in expected.items():
                if payload.get(name, _MISSING) != value:
                    self.fail("PAYLOAD_MISMATCH", "reviews", rid, field=name)

    def check_adjudications(self) -> None:
        a = Adjudication.__table__.c
        marks = list(
            self.session.execute(
                select(
                    a.id, a.version_a, a.version_b, a.reviewer, a.reason, a.payload, a.signature
                ).order_by(a.id)
            )
        )
        wanted = {sha for row in marks for sha in (row[1], row[2])}
        v = ItemVersion.__table__.c
        owners: dict[str, set[int]] = defaultdict(set)
        if wanted:  # one pass: no index finds a version by its id alone (only with its item)
            for item_id, sha in self.session.execute(select(v.item_id, v.sha256)):
                if sha in wanted:
                    owners[sha].add(item_id)
        for aid, version_a, version_b, reviewer, reason, text, signature in marks:
            self.seen()
            if not text or not signature:
                self.fail("ADJUDICATION_UNSIGNED", "adjudications", aid)
                continue
            data = self.parsed(text, "adjudications", aid)
            payload = data if isinstance(data, dict) else {}
            self.signed_by(
                self.person_named(reviewer),
                text.encode("utf-8"),
                signature,
                table="adjudications",
                row=aid,
                invalid="ADJUDICATION_SIGNATURE_INVALID",
                named=payload.get("reviewer", _MISSING) if data is not None else _MISSING,
                named_key=payload.get("key") if data is not None else _MISSING,
            )
            if data is None:
                continue
            for name, value in (("versions", [version_a, version_b]), ("reason", reason)):
                if payload.get(name) != value:
                    self.fail("PAYLOAD_MISMATCH", "adjudications", aid, field=name)
            items = payload.get("items")
            items = (
                set(items)
                if isinstance(items, list) and all(isinstance(i, int) for i in items)
                else set()
            )
            for sha in (version_a, version_b):
                if not owners.get(sha, set()) & items:
                    self.fail("ADJUDICATION_VERSION_UNKNOWN", "adjudications", aid, version=sha)

    # --- 6. filings ----------------------------------------------------------------------------

    def check_filings(self) -> None:
        banks = self._banks()
        f = Filing.__table__.c
        reports = set(self.session.scalars(select(OverlapReport.__table__.c.sha256)))
        tv = TreeVersion.__table__.c
        trees = {(bank, sha) for bank, sha in self.session.execute(select(tv.bank_id, tv.sha256))}
        filings = list(
            self.session.execute(
                select(
                    f.id, f.bank_id, f.merkle_root, f.manifest, f.manifest_sha256, f.signatures
                ).order_by(f.id)
            )
        )
        for fid, bank_id, root, text, manifest_sha, signatures in filings:
            self.seen()
            raw = (text or "").encode("utf-8")
            if hashlib.sha256(raw).hexdigest() != manifest_sha:
                self.fail("FILING_MANIFEST_HASH_MISMATCH", "filings", fid, version=manifest_sha)
            self._filing_signatures(fid, raw, _fields(signatures))
            manifest = self.parsed(text, "filings", fid)
            if not isinstance(manifest, dict):
                continue
            entries = manifest.get("entries")
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                self.fail("PAYLOAD_MALFORMED", "filings", fid)
                continue
            derived = merkle_root_hex(entries)
            if derived != root or manifest.get("merkle_root") != root:
                self.fail("FILING_ROOT_MISMATCH", "filings", fid, root=root, derived=derived)
            bank = banks.get(bank_id)
            stated = manifest.get("bank")
            if (
                not isinstance(stated, dict)
                or bank is None
                or any(stated.get(k) != bank[k] for k in ("occupation", "level"))
            ):
                self.fail("FILING_BANK_MISMATCH", "filings", fid)
            self._filing_entries(fid, bank_id, entries, trees)
            named = manifest.get("overlap_reports")
            for scope, sha in named.items() if isinstance(named, dict) else ():
                if sha not in reports:
                    self.fail(
                        "FILING_REFERENCE_MISSING",
                        "filings",
                        fid,
                        what=f"overlap:{scope}",
                        version=str(sha),
                    )

    def _filing_signatures(self, fid: int, manifest: bytes, signatures: Any) -> None:
        listed = signatures.get("manifest") if isinstance(signatures, dict) else None
        if not isinstance(listed, list) or not all(isinstance(s, dict) for s in listed):
            self.fail("FILING_UNSIGNED", "filings", fid)
            return
        roles = set()
        for entry in listed:
            if self.signed_by(
                self.person_named(entry.get("signer")),
                manifest,
                entry.get("signature") if isinstance(entry.get("signature"), str) else None,
                table="filings",
                row=fid,
                invalid="FILING_SIGNATURE_INVALID",
                named=entry.get("signer"),
                named_key=entry.get("fingerprint"),
            ):
                roles.add(_key(entry.get("role")))
        if "institution" not in roles:
            self.fail("FILING_UNSIGNED", "filings", fid)

    def _filing_entries(
        self, fid: int, bank_id: int, entries: list[dict[str, Any]], trees: set[tuple[int, str]]
    ) -> None:
        fe, iv, it = FilingEntry.__table__.c, ItemVersion.__table__.c, Item.__table__.c
        sv, ps = PracticalSetVersion.__table__.c, PracticalSet.__table__.c
        stmt = (
            select(fe.id, iv.item_id, it.guid, iv.sha256, ps.code, sv.sha256)
            .outerjoin(ItemVersion, iv.id == fe.item_version_id)
            .outerjoin(Item, it.id == iv.item_id)
            .outerjoin(PracticalSetVersion, sv.id == fe.set_version_id)
            .outerjoin(PracticalSet, ps.id == sv.set_id)
            .where(fe.filing_id == fid)
            .order_by(fe.id)
        )
        stored: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for eid, item_id, guid, item_sha, code, set_sha in self.rows(stmt):
            if item_sha is not None:
                key: tuple[Any, ...] = ("item", item_id, guid, item_sha)
            else:
                key = ("practical_set", code, set_sha)
            stored[key].append(eid)
        for n, entry in enumerate(entries):
            entry = {name: _key(value) for name, value in entry.items()}
            kind = entry.get("kind")
            if kind == "tree":
                if (bank_id, entry.get("version")) not in trees:
                    self.fail(
                        "FILING_REFERENCE_MISSING",
                        "filings",
                        fid,
                        what="tree",
                        version=str(entry.get("version")),
                    )
                continue
            if kind == "item":
                key = ("item", entry.get("id"), entry.get("guid"), entry.get("version"))
            else:
                key = (kind, entry.get("code"), entry.get("version"))
            if stored.get(key):
                # Rows were written in manifest order: the earliest row answers the entry, so
                # of two rows naming one version the later (the edited) one is left over.
                stored[key].pop(0)
            else:
                self.fail(
                    "FILING_ENTRY_MISMATCH",
                    "filings",
                    fid,
                    entry=n,
                    version=str(entry.get("version")),
                )
        for key, ids in stored.items():
            for eid in ids:
                self.fail(
                    "FILING_ENTRY_MISMATCH", "filing_entries", eid, entry="-", version=str(key[-1])
                )

    # --- 7. audit trail ------------------------------------------------------------------------

    def check_audit_events(self) -> None:
        self.seen(int(self.session.scalar(select(func.count()).select_from(AuditEvent)) or 0))
        for problem in audit.verify_chain(self.session):
            self.fail(problem.code, "audit_events", problem.event_id)
        self._audit_items()

    def _audit_items(self) -> None:
        """Each `import_items` event's rows re-derive its `items` and `items_sha256`."""
        a, i = AuditEvent.__table__.c, AuditItem.__table__.c
        committed = {
            event_id: _fields(detail)
            for event_id, detail in self.session.execute(
                select(a.id, a.detail).where(a.action == audit.ITEMS_ACTION)
            )
        }

        def close(event_id: int, changes: list[audit.ItemChange]) -> None:
            detail = committed.pop(event_id, None)
            if detail is None:
                self.fail("AUDIT_ITEMS_ORPHAN", "audit_event_items", event_id)
            elif detail.get("items") != len(changes) or detail.get(
                "items_sha256"
            ) != audit.items_digest(changes):
                self.fail("AUDIT_ITEMS_MISMATCH", "audit_events", event_id)

        rows = self.rows(
            select(i.event_id, i.item_id, i.action, i.version, i.seq).order_by(
                i.event_id, i.position
            )
        )
        for event_id, group in itertools.groupby(rows, key=operator.itemgetter(0)):
            changes = [audit.ItemChange(*row[1:]) for row in group]
            self.seen(len(changes))
            close(event_id, changes)
        for event_id in list(committed):  # every row of the event is gone
            close(event_id, [])

    # --- 8. custody ----------------------------------------------------------------------------

    def check_custody(self) -> None:
        lc = CustodyLayout.__table__.c
        layouts = {
            batch_id: (lid, signer_id, payload)
            for lid, batch_id, signer_id, payload in self.session.execute(
                select(lc.id, lc.batch_id, lc.signer_id, lc.payload)
            )
        }
        entries = self._custody_entry_rows(layouts)
        self._custody_checkpoint_rows()
        self._custody_logs(layouts, entries)
        self._custody_audit_events(entries)

    def _custody_entry_rows(self, layouts: dict[int, _LayoutRow]) -> dict[tuple[int, int], int]:
        """Entry rows whose columns drift from their signed payload; returns each entry's
        row id by (batch, position)."""
        people = self.people
        ec = CustodyEntry.__table__.c
        entries: dict[tuple[int, int], int] = {}
        for eid, batch_id, position, step, person_id, payload in self.rows(
            select(ec.id, ec.batch_id, ec.position, ec.step, ec.person_id, ec.payload).order_by(
                ec.id
            )
        ):
            entries[(batch_id, position)] = eid
            if batch_id not in layouts:
                self.fail("CUSTODY_ENTRY_ORPHAN", "custody_entries", eid, batch=batch_id)
                continue
            try:
                entry = parse_entry((payload or "").encode("utf-8"))
            except Malformed:
                continue  # the log's verdict names it (MALFORMED_ENTRY)
            person = people.get(person_id)
            for name, ok in (
                ("position", entry.position == position),
                ("step", entry.step == step),
                ("batch_id", entry.batch_id == batch_id),
                ("person_id", person is not None and entry.person_name == person.name),
                ("key", person is not None and self.had_key(person, entry.person_fingerprint)),
            ):
                if not ok:
                    self.fail("CUSTODY_ROW_DRIFT", "custody_entries", eid, column=name)
        return entries

    def _custody_checkpoint_rows(self) -> None:
        """Checkpoint rows whose size or root drift from their signed note."""
        cc = CustodyCheckpoint.__table__.c
        for cid, size, root, note in self.session.execute(
            select(cc.id, cc.size, cc.root, cc.note).order_by(cc.id)
        ):
            try:
                parsed = parse_note(note or "")
            except MalformedNote:
                continue  # the log's verdict names it (MALFORMED_CHECKPOINT)
            if parsed.size != size or parsed.root.hex() != root:
                self.fail("CUSTODY_ROW_DRIFT", "custody_checkpoints", cid, column="size/root")

    def _custody_logs(
        self, layouts: dict[int, _LayoutRow], entries: dict[tuple[int, int], int]
    ) -> None:
        """Each batch's log verified as a whole, against its layout signer's key."""
        for batch_id, (lid, signer_id, payload) in sorted(layouts.items()):
            self.seen()
            trusted = None
            try:
                layout = parse_layout((payload or "").encode("utf-8"))
            except Malformed:
                pass  # the log's verdict names it (MALFORMED_LAYOUT)
            else:
                if layout.batch_id != batch_id:
                    self.fail("CUSTODY_ROW_DRIFT", "custody_layouts", lid, column="batch_id")
                signer = self.people.get(signer_id)
                # Pinned to the signer's registered key, or to the key the audit trail gave
                # them when they signed (a replaced key still vouches for what it signed).
                if signer is not None:
                    trusted = self.had_key(signer, layout.signer.fingerprint)
            batch = self.session.get(Batch, batch_id)
            assert batch is not None
            try:
                verdict = verify_batch(self.session, batch, trusted_key=trusted)
            except QbankError as e:
                self.fail(
                    "CUSTODY_LOG_INVALID",
                    "custody_layouts",
                    lid,
                    batch=batch.code,
                    custody_code="-",
                    reason=str(e),
                )
                continue
            if verdict.status == INVALID:
                position = verdict.position
                eid = entries.get((batch_id, position)) if position is not None else None
                self.fail(
                    "CUSTODY_LOG_INVALID",
                    "custody_entries" if eid is not None else "custody_layouts",
                    eid if eid is not None else lid,
                    batch=batch.code,
                    custody_code=verdict.code,
                    reason=verdict.message,
                )

    def _custody_audit_events(self, entries: dict[tuple[int, int], int]) -> None:
        """Custody signatures the audit trail records but whose entry row is gone."""
        a = AuditEvent.__table__.c
        for event_id, entity_id, detail in self.session.execute(
            select(a.id, a.entity_id, a.detail).where(
                a.action == "custody_sign", a.entity == "batch"
            )
        ):
            data = _fields(detail)
            try:
                key = (int(entity_id), int(data["position"]))
            except (KeyError, TypeError, ValueError):
                continue
            if key not in entries:
                self.fail(
                    "CUSTODY_ENTRY_MISSING", "audit_events", event_id, batch=key[0], position=key[1]
                )

    # --- 9. sealed bundles ---------------------------------------------------------------------

    def check_sealed_bundles(self) -> None:
        b, p = SealedBundle.__table__.c, Paper.__table__.c
        papers = {
            pid: (batch_id, code, kind)
            for pid, batch_id, code, kind in self.session.execute(
                select(p.id, p.batch_id, p.code, p.kind)
            )
        }
        people = self.people
        for row in self.session.execute(
            select(
                b.id,
                b.batch_id,
                b.sha256,
                b.manifest_sha256,
                b.file_name,
                b.signer_id,
                b.payload,
                b.signature,
            ).order_by(b.id)
        ):
            self.seen()
            bid, batch_id, sha, manifest_sha, file_name, signer_id, text, signature = row
            data = self.parsed(text, "sealed_bundles", bid)
            statement = data if isinstance(data, dict) else {}
            signer = _object(statement.get("signer"))
            self.signed_by(
                people.get(signer_id),
                (text or "").encode("utf-8"),
                signature,
                table="sealed_bundles",
                row=bid,
                invalid="BUNDLE_SIGNATURE_INVALID",
                named=signer.get("name") if data is not None else _MISSING,
                named_key=signer.get("fingerprint") if data is not None else _MISSING,
            )
            if data is None:
                continue
            batch = _object(statement.get("batch"))
            listed = statement.get("papers") if isinstance(statement.get("papers"), list) else None
            papers_ok = listed is not None and all(
                isinstance(q, dict)
                and papers.get(_key(q.get("id"))) == (batch_id, q.get("code"), q.get("kind"))
                for q in listed
            )
            for name, ok in (
                ("ciphertext_sha256", statement.get("ciphertext_sha256") == sha),
                ("manifest_sha256", statement.get("manifest_sha256") == manifest_sha),
                ("bundle", statement.get("bundle") == file_name),
                ("batch", batch.get("id") == batch_id),
                ("papers", papers_ok),
            ):
                if not ok:
                    self.fail("PAYLOAD_MISMATCH", "sealed_bundles", bid, field=name)

    # --- 10. papers ----------------------------------------------------------------------------

    def check_papers(self) -> None:
        signed = self._assembled_papers()
        recorded: dict[str, set[str]] = defaultdict(set)
        a = AuditEvent.__table__.c
        for entity_id, detail in self.session.execute(
            select(a.entity_id, a.detail).where(a.action == "seal_paper", a.entity == "paper")
        ):
            commitment = _fields(detail).get("commitment")
            if isinstance(commitment, str):
                recorded[entity_id].add(commitment)
        pi = PaperItem.__table__.c
        with_rows = set(self.session.scalars(select(pi.paper_id).distinct()))
        for paper in self.session.scalars(select(Paper).order_by(Paper.id)):
            self.seen()
            self._paper(paper, signed, recorded, paper.id in with_rows)
        iv = ItemVersion.__table__.c
        for row_id, paper_id in self.session.execute(
            select(pi.id, pi.paper_id)
            .join(ItemVersion, iv.id == pi.item_version_id)
            .where(iv.item_id != pi.item_id)
        ):
            self.fail("PAPER_ITEM_FOREIGN", "paper_items", row_id, paper=paper_id)

    def _assembled_papers(self) -> dict[int, dict[str, str]]:
        """Per batch with a signed 组卷 entry: paper product name → signed fingerprint."""
        e = CustodyEntry.__table__.c
        out: dict[int, dict[str, str]] = {}
        for batch_id, payload in self.session.execute(
            select(e.batch_id, e.payload).where(e.step == "assemble").order_by(e.position)
        ):
            try:
                entry = parse_entry((payload or "").encode("utf-8"))
            except Malformed:
                continue
            if entry.step != "assemble" or batch_id in out:
                continue
            out[batch_id] = {p.name: p.sha256 for p in entry.products if p.kind == "paper"}
        return out

    def _paper(
        self,
        paper: Paper,
        signed: dict[int, dict[str, str]],
        recorded: dict[str, set[str]],
        has_rows: bool,
    ) -> None:
        sealed = paper.sealed_at is not None
        closed = sealed and paper.opened_at is None
        if sealed and not paper.commitment:
            self.fail("PAPER_COMMITMENT_MISSING", "papers", paper.id)
        if closed:
            layout = paper.layout if isinstance(paper.layout, dict) else {}
            if has_rows or paper.seed or paper.set_version_id is not None or "items" in layout:
                self.fail("PAPER_SEALED_IN_CLEAR", "papers", paper.id)
            if not _b64(paper.sealed_composition).startswith(_AGE_HEADER):
                self.fail("PAPER_CIPHERTEXT_MALFORMED", "papers", paper.id)
        products = signed.get(paper.batch_id)
        stated = products.get(f"{paper.kind}:{paper.code}") if products is not None else None
        if products is not None and stated is None:
            self.fail("PAPER_NOT_IN_CUSTODY", "papers", paper.id, batch=paper.batch_id)
        if (
            stated is not None
            and not closed
            and stated != paper.commitment
            and self._clear_fingerprint(paper) != stated
        ):
            self.fail("PAPER_COMPOSITION_MISMATCH", "papers", paper.id, fingerprint=stated)
        if (
            sealed
            and paper.commitment
            and paper.commitment != stated
            and paper.commitment not in recorded.get(str(paper.id), ())
        ):
            self.fail("PAPER_COMMITMENT_UNRECORDED", "papers", paper.id)
        if sealed and self.keyring is not None:
            self._opened(paper, closed)

    def _opened(self, paper: Paper, closed: bool) -> None:
        """With identities: the ciphertext opens to this paper's composition under its
        commitment, and an opened paper's clear composition is that one."""
        assert self.keyring is not None
        try:
            sealed = self.keyring.open(paper)
        except NoMatchingIdentity:
            self.unopened.append(paper.id)
            return
        except SealedPaperDamaged:
            self.fail("PAPER_CIPHERTEXT_MALFORMED", "papers", paper.id)
            return
        except CommitmentMismatch:
            self.fail("PAPER_COMMITMENT_MISMATCH", "papers", paper.id)
            return
        if not closed:
            clear = clear_composition(self.session, paper)
            if canonical_bytes(clear.as_json()) != canonical_bytes(sealed.as_json()):
                self.fail(
                    "PAPER_COMPOSITION_MISMATCH", "papers", paper.id, fingerprint=paper.commitment
                )

    def _clear_fingerprint(self, paper: Paper) -> str:
        """What 组卷 signs for a paper in the clear (`custody.paper_fingerprint` unsealed)."""
        clear = Paper(
            id=paper.id, layout=paper.layout, seed=paper.seed, set_version_id=paper.set_version_id
        )
        return paper_fingerprint(self.session, clear)
