"""`qbank db verify` on the whole sample chain, clean and tampered, on SQLite and PostgreSQL.

The chain is built once (`run_demo`: import, overlap, review, filing, assembly, sealed bundle,
papers sealed, every custody step, 启封) into a SQLite file; PostgreSQL gets a row-for-row copy
of it in a fresh schema. Each tampering is what a hostile administrator would do: drop the
table's protection triggers, then edit rows directly. On SQLite each test edits a copy of the
file and runs the command; on PostgreSQL it edits inside a transaction that is rolled back
after the check (DDL is transactional there), so the tests share one copy.
"""

from __future__ import annotations

import base64
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import copy_to_postgresql, pg_schema_url
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hostile import unprotect
from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.orm import Session

from cli.main import cli
from qbank import integrity
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.db import open_database
from qbank.people import get_person, set_public_key
from workflows.demo import (
    DEMO_INSTITUTION,
    DEMO_PASSPHRASE,
    DEMO_REVIEWER,
)

Tamper = Callable[[Connection], Any]


@pytest.fixture(scope="module")
def chain(demo_chain: Path) -> Path:
    """The demo's database: the whole chain on the sample bank, every record signed."""
    return demo_chain / "qbank.db"


@dataclass
class Backend:
    """Runs `qbank db verify` on one copy of the chain, after an optional tampering."""

    name: str
    chain: Path
    tmp: Path
    pg_url: str | None = None

    def verify(self, tamper: Tamper | None = None) -> tuple[int, dict[str, Any]]:
        if self.pg_url is None:
            copy = self.tmp / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(self.chain, copy)
            if tamper is not None:
                engine = create_engine(f"sqlite:///{copy}")
                with engine.begin() as conn:
                    tamper(conn)
                engine.dispose()
            return _cli(str(copy))
        if tamper is None:
            return _cli(self.pg_url)
        engine = create_engine(self.pg_url)
        try:
            with engine.connect() as conn:
                transaction = conn.begin()
                tamper(conn)
                with Session(bind=conn) as session:
                    report = integrity.verify_database(session)
                transaction.rollback()
        finally:
            engine.dispose()
        return (0 if report.ok else 1), report.as_dict()


def _cli(url: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["db", "verify", "--db", url, "--json"])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.output)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, chain: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    tmp = tmp_path_factory.mktemp("copies")
    if request.param == "sqlite":
        yield Backend("sqlite", chain, tmp)
        return
    with pg_schema_url() as url:
        copy_to_postgresql(chain, url)
        yield Backend("postgresql", chain, tmp, url)


# --- what a hostile administrator does ---------------------------------------------------------


def one(conn: Connection, sql: str, **params: Any) -> Any:
    return conn.execute(text(sql), params).one()


def found(report: dict[str, Any], code: str, table: str, row: Any) -> bool:
    return any((f["code"], f["table"], f["row"]) == (code, table, row) for f in report["failures"])


def codes(report: dict[str, Any]) -> set[str]:
    return {f["code"] for f in report["failures"]}


# --- the clean chain ---------------------------------------------------------------------------


def test_the_clean_chain_verifies(backend: Backend) -> None:
    code, report = backend.verify()
    assert report["failures"] == []
    assert (code, report["ok"]) == (0, True)
    checked = {name: c["checked"] for name, c in report["checks"].items()}
    assert list(checked) == list(integrity.CHECKS)
    assert checked["item_versions"] > 500
    assert checked["reviews"] > 500
    assert checked["practical_set_versions"] == 6
    assert checked["filings"] == checked["custody"] == checked["sealed_bundles"] == 1
    assert checked["papers"] == 3
    assert checked["audit_events"] > 1000


def test_text_output_in_chinese_and_english(chain: Path, tmp_path: Path) -> None:
    copy = tmp_path / "q.db"
    shutil.copyfile(chain, copy)
    zh = CliRunner().invoke(cli, ["db", "verify", "--db", str(copy)])
    assert zh.exit_code == 0, zh.output
    assert "试题版本" in zh.output and "数据库核验通过" in zh.output
    en = CliRunner().invoke(cli, ["db", "verify", "--db", str(copy), "--lang", "en"])
    assert en.exit_code == 0, en.output
    assert "item versions" in en.output and "everything holds" in en.output


# --- tampering, one kind per test ----------------------------------------------------------------


def test_an_edited_stem_column(backend: Backend) -> None:
    def tamper(conn: Connection) -> None:
        unprotect(conn, "item_versions")
        conn.execute(text("UPDATE item_versions SET stem = stem || '（改）' WHERE id = 7"))

    code, report = backend.verify(tamper)
    assert code == 1
    assert found(report, "VERSION_COLUMN_DRIFT", "item_versions", 7)
    (failure,) = [f for f in report["failures"] if f["row"] == 7]
    assert failure["params"]["column"] == "stem"
    assert report["checks"]["item_versions"]["failures"] == 1


def test_an_edited_canonical(backend: Backend) -> None:
    def tamper(conn: Connection) -> None:
        unprotect(conn, "item_versions")
        (canonical,) = one(conn, "SELECT canonical FROM item_versions WHERE id = 9")
        content = json.loads(canonical)
        content["stem"] += "（改）"
        edited = canonical_bytes(content).decode("utf-8")
        conn.execute(text("UPDATE item_versions SET canonical = :c WHERE id = 9"), {"c": edited})

    code, report = backend.verify(tamper)
    assert code == 1
    assert found(report, "VERSION_HASH_MISMATCH", "item_versions", 9)


def test_an_edited_canonical_with_its_hash_recomputed(backend: Backend) -> None:
    """The content, its id and every column changed together: what names the old id catches it."""

    def tamper(conn: Connection) -> None:
        unprotect(conn, "item_versions")
        (canonical,) = one(conn, "SELECT canonical FROM item_versions WHERE id = 11")
        content = json.loads(canonical)
        content["stem"] += "（改）"
        edited = canonical_bytes(content)
        conn.execute(
            text("UPDATE item_versions SET canonical = :c, sha256 = :s, stem = :t WHERE id = 11"),
            {"c": edited.decode("utf-8"), "s": sha256_hex(edited), "t": content["stem"]},
        )

    code, report = backend.verify(tamper)
    assert code == 1
    review_id = _review_of(backend, 11)
    assert found(report, "REVIEW_VERSION_MISMATCH", "reviews", review_id)
    assert "FILING_ENTRY_MISMATCH" in codes(report)
    assert report["checks"]["item_versions"]["failures"] == 0


def _review_of(backend: Backend, version_id: int) -> int:
    engine = create_engine(backend.pg_url or f"sqlite:///{backend.chain}")
    try:
        with engine.connect() as conn:
            (review_id,) = one(
                conn, "SELECT id FROM reviews WHERE item_version_id = :v", v=version_id
            )
    finally:
        engine.dispose()
    return int(review_id)


def test_a_forged_review_signature(backend: Backend) -> None:
    """The payload edited (approve → a new comment) and re-signed with a key of the forger's."""

    def tamper(conn: Connection) -> None:
        unprotect(conn, "reviews")
        (payload,) = one(conn, "SELECT payload FROM reviews WHERE id = 5")
        data = json.loads(payload)
        data["comment"] = "同意"
        forged = canonical_bytes(data)
        signature = base64.b64encode(Ed25519PrivateKey.generate().sign(forged)).decode()
        conn.execute(
            text("UPDATE reviews SET payload = :p, signature = :s, comment = '同意' WHERE id = 5"),
            {"p": forged.decode("utf-8"), "s": signature},
        )

    code, report = backend.verify(tamper)
    assert code == 1
    assert found(report, "REVIEW_SIGNATURE_INVALID", "reviews", 5)
    assert report["checks"]["reviews"]["failures"] == 1


def test_an_edited_audit_event(backend: Backend) -> None:
    def tamper(conn: Connection) -> None:
        unprotect(conn, "audit_events")
        conn.execute(
            text("UPDATE audit_events SET detail = :d WHERE id = 20"),
            {"d": json.dumps({"file": "别的文件.xlsx"})},
        )

    code, report = backend.verify(tamper)
    assert code == 1
    assert found(report, "AUDIT_EVENT_EDITED", "audit_events", 20)


def test_a_deleted_audit_event(backend: Backend) -> None:
    def tamper(conn: Connection) -> None:
        unprotect(conn, "audit_events")
        conn.execute(text("DELETE FROM audit_events WHERE id = 30"))

    code, report = backend.verify(tamper)
    assert code == 1
    assert found(report, "AUDIT_CHAIN_BROKEN", "audit_events", 31)


def test_an_edited_filing_manifest(backend: Backend) -> None:
    """An entry's version swapped for another in the manifest (its hash column left alone)."""

    def tamper(conn: Connection) -> None:
        unprotect(conn, "filings")
        (manifest,) = one(conn, "SELECT manifest FROM filings WHERE id = 1")
        data = json.loads(manifest)
        data["entries"][0]["version"] = data["entries"][1]["version"]
        conn.execute(
            text("UPDATE filings SET manifest = :m WHERE id = 1"),
            {"m": canonical_bytes(data).decode("utf-8")},
        )

    code, report = backend.verify(tamper)
    assert code == 1
    for expected in ("FILING_MANIFEST_HASH_MISMATCH", "FILING_ROOT_MISMATCH",
                     "FILING_SIGNATURE_INVALID", "FILING_ENTRY_MISMATCH"):  # fmt: skip
        assert found(report, expected, "filings", 1), expected


def test_an_edited_filing_entry(backend: Backend) -> None:
    """The last filed item's row made to name the first item's version instead."""
    edited: list[int] = []

    def tamper(conn: Connection) -> Any:
        unprotect(conn, "filing_entries")
        first, last = one(
            conn,
            "SELECT min(id), max(id) FROM filing_entries WHERE item_version_id IS NOT NULL",
        )
        edited.append(int(last))
        conn.execute(
            text(
                "UPDATE filing_entries SET item_version_id = "
                "(SELECT item_version_id FROM filing_entries WHERE id = :first) WHERE id = :last"
            ),
            {"first": first, "last": last},
        )

    code, report = backend.verify(tamper)
    assert code == 1
    rows = [f["row"] for f in report["failures"] if f["table"] == "filing_entries"]
    assert rows == edited
    assert found(report, "FILING_ENTRY_MISMATCH", "filings", 1)


def test_an_edited_custody_entry(backend: Backend) -> None:
    """The seal number in a 封存 entry changed: its signature no longer verifies."""
    entry_id: list[int] = []

    def tamper(conn: Connection) -> None:
        unprotect(conn, "custody_entries")
        (eid,) = one(conn, "SELECT min(id) FROM custody_entries WHERE step = 'seal'")
        entry_id.append(int(eid))
        conn.execute(
            text(
                "UPDATE custody_entries SET payload = replace(payload, 'DEMO-0001', 'DEMO-0002') "
                "WHERE id = :e"
            ),
            {"e": eid},
        )

    code, report = backend.verify(tamper)
    assert code == 1
    assert found(report, "CUSTODY_LOG_INVALID", "custody_entries", entry_id[0])
    (failure,) = [f for f in report["failures"] if f["code"] == "CUSTODY_LOG_INVALID"]
    assert failure["params"]["custody_code"] == "SIGNATURE_INVALID"


def test_a_swapped_key_and_reviews_signed_with_it(backend: Backend) -> None:
    """The forger registers a key of their own for the reviewer and re-signs a review."""
    reviewer: list[int] = []

    def tamper(conn: Connection) -> None:
        forger = Ed25519PrivateKey.generate()
        raw = forger.public_key().public_bytes_raw()
        (person_id, payload) = one(
            conn,
            "SELECT reviewer_id, payload FROM reviews WHERE id = 3",
        )
        reviewer.append(int(person_id))
        conn.execute(
            text("UPDATE people SET public_key = :k, key_fingerprint = :f WHERE id = :p"),
            {"k": base64.b64encode(raw).decode(), "f": sha256_hex(raw), "p": person_id},
        )
        unprotect(conn, "reviews")
        conn.execute(
            text("UPDATE reviews SET signature = :s WHERE id = 3"),
            {"s": base64.b64encode(forger.sign(payload.encode())).decode()},
        )

    code, report = backend.verify(tamper)
    assert code == 1
    assert found(report, "PERSON_KEY_UNAUDITED", "people", reviewer[0])
    assert found(report, "SIGNER_KEY_MISMATCH", "reviews", 3)


def test_an_edited_sealed_bundle_statement(backend: Backend) -> None:
    def tamper(conn: Connection) -> None:
        unprotect(conn, "sealed_bundles")
        (payload,) = one(conn, "SELECT payload FROM sealed_bundles WHERE id = 1")
        data = json.loads(payload)
        data["ciphertext_sha256"] = "0" * 64
        conn.execute(
            text("UPDATE sealed_bundles SET payload = :p, sha256 = :s WHERE id = 1"),
            {"p": canonical_bytes(data).decode("utf-8"), "s": "0" * 64},
        )

    code, report = backend.verify(tamper)
    assert code == 1
    assert found(report, "BUNDLE_SIGNATURE_INVALID", "sealed_bundles", 1)


def test_an_edited_paper_composition(backend: Backend) -> None:
    """An opened paper's item swapped: it no longer matches what 组卷 signed."""

    def tamper(conn: Connection) -> None:
        unprotect(conn, "paper_items")
        (row_id,) = one(conn, "SELECT min(id) FROM paper_items")
        conn.execute(
            text("UPDATE paper_items SET position = position + 1000 WHERE id = :r"),
            {"r": row_id},
        )

    code, report = backend.verify(tamper)
    assert code == 1
    assert "PAPER_COMPOSITION_MISMATCH" in codes(report)


def test_rows_of_shapes_qbank_never_writes_are_reported_not_crashed_on(backend: Backend) -> None:
    def tamper(conn: Connection) -> None:
        for table in ("item_versions", "audit_events", "sealed_bundles"):
            unprotect(conn, table)
        bad = "'{{'" if conn.dialect.name == "sqlite" else "'\"x\"'"  # PostgreSQL checks JSON
        conn.execute(text(f"UPDATE item_versions SET options = {bad} WHERE id = 13"))
        conn.execute(text("UPDATE audit_events SET detail = '[1, 2]' WHERE id = 40"))
        (payload,) = one(conn, "SELECT payload FROM sealed_bundles WHERE id = 1")
        data = json.loads(payload)
        data["papers"] = [{"id": [1], "code": {}, "kind": None}]
        conn.execute(
            text("UPDATE sealed_bundles SET payload = :p WHERE id = 1"),
            {"p": canonical_bytes(data).decode("utf-8")},
        )

    code, report = backend.verify(tamper)
    assert code == 1
    assert "CHECK_ABORTED" not in codes(report)
    assert found(report, "VERSION_COLUMN_DRIFT", "item_versions", 13)
    assert found(report, "AUDIT_EVENT_EDITED", "audit_events", 40)
    assert found(report, "PAYLOAD_MISMATCH", "sealed_bundles", 1)


def test_an_edited_commitment(backend: Backend) -> None:
    def tamper(conn: Connection) -> None:
        unprotect(conn, "papers")
        conn.execute(text("UPDATE papers SET commitment = :c WHERE id = 1"), {"c": "0" * 64})

    code, report = backend.verify(tamper)
    assert code == 1
    assert found(report, "PAPER_COMMITMENT_UNRECORDED", "papers", 1)


def test_with_an_identity_sealed_papers_are_opened_and_checked(chain: Path, tmp_path: Path) -> None:
    env = {"QBANK_KEYS": str(chain.parent / "keys"), "QBANK_PASSPHRASE": DEMO_PASSPHRASE}
    args = ["db", "verify", "--identity-person", "示例督导员", "--json"]
    copy = tmp_path / "q.db"
    shutil.copyfile(chain, copy)
    result = CliRunner().invoke(cli, [*args, "--db", str(copy)], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unopened_papers"] == []

    engine = create_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        unprotect(conn, "papers")
        conn.execute(text("UPDATE papers SET commitment = :c WHERE id = 2"), {"c": "0" * 64})
        unprotect(conn, "paper_items")
        conn.execute(
            text(
                "UPDATE paper_items SET position = -1 WHERE id = "
                "(SELECT min(id) FROM paper_items WHERE paper_id = 1)"
            )
        )
    engine.dispose()
    result = CliRunner().invoke(cli, [*args, "--db", str(copy)], env=env)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert found(report, "PAPER_COMMITMENT_MISMATCH", "papers", 2)
    assert found(report, "PAPER_COMPOSITION_MISMATCH", "papers", 1)


def test_replaced_keys_still_vouch_for_what_they_signed(chain: Path, tmp_path: Path) -> None:
    """The reviewer and the institution get new keys (audited): their earlier reviews, filing
    and custody layout verify under the keys the audit trail recorded."""
    copy = tmp_path / "q.db"
    shutil.copyfile(chain, copy)
    db = open_database(str(copy))
    try:
        with db.transaction() as session:
            for name in (DEMO_REVIEWER, DEMO_INSTITUTION):
                raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
                set_public_key(session, get_person(session, name), raw, actor="t")
    finally:
        db.dispose()
    result = CliRunner().invoke(cli, ["db", "verify", "--db", str(copy), "--json"])
    assert result.exit_code == 0, result.output


def test_the_canonical_encoder_is_canonical_bytes() -> None:
    """The verifier's prebuilt encoder writes exactly what `canonical_bytes` writes."""
    samples = [
        {"stem": "电工（A）", "options": {"B": "x", "A": "√"}, "score": 1.0, "n": None, "t": True},
        [1, 2.5, "é", {"z": [], "a": {}}],
    ]
    for value in samples:
        assert integrity._CANONICAL.encode(value).encode("utf-8") == canonical_bytes(value)


def test_counts_match_the_tables(backend: Backend) -> None:
    _code, report = backend.verify()
    engine = create_engine(backend.pg_url or f"sqlite:///{backend.chain}")
    try:
        with engine.connect() as conn:
            versions = conn.scalar(select(func.count()).select_from(text("item_versions")))
    finally:
        engine.dispose()
    assert report["checks"]["item_versions"]["checked"] == versions


def test_the_merkle_root_is_the_filings() -> None:
    from qbank.filing import merkle_root_hex

    entries = [{"kind": "item", "id": n, "guid": f"g{n}", "version": f"{n:064x}"} for n in range(7)]
    entries.append({"kind": "tree", "version": "题" * 3})
    assert integrity.merkle_root_hex(entries) == merkle_root_hex(entries)


def test_no_database_is_created_or_migrated(chain: Path, tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(cli, ["db", "verify", "--db", str(missing)])
    assert result.exit_code == 1
    assert "没有数据库" in result.output and not missing.exists()

    old = tmp_path / "old.db"
    shutil.copyfile(chain, old)
    engine = create_engine(f"sqlite:///{old}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'e41c9a7d3b20'"))
    engine.dispose()
    before = old.read_bytes()
    result = CliRunner().invoke(cli, ["db", "verify", "--db", str(old), "--lang", "en"])
    assert result.exit_code == 1
    assert "qbank init" in result.output and "Traceback" not in result.output
    assert old.read_bytes() == before
