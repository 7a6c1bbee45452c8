"""A stored overlap report (`qbank.overlap.checks.store_report`) is the report's bytes, kept as
text: its body bound as UTF-8 bytes (`qbank.utf8_text`) reads back as the `str` of those
bytes, hashes to the stored SHA-256 and passes `qbank db verify`, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import func, insert, select
from test_bulk_import import OCC, records, store
from test_overlap2_stored import lsh_policy

from qbank import integrity
from qbank.bank import find_bank
from qbank.db import Database
from qbank.model import OverlapReport as StoredReport
from qbank.overlap.checks import check_theory, store_report
from qbank.overlap.report import report_bytes
from qbank.utf8_text import utf8_text


def test_stored_body_is_the_report_bytes(db: Database, db_url: str, tmp_path: Path) -> None:
    store(db, records(120))
    with db.transaction() as session:
        bank = find_bank(session, OCC, 4)
        report = check_theory(session, bank, lsh_policy(tmp_path), actor="t")
        body = report_bytes(report)
        sha = store_report(session, bank, report, actor="t")
    assert not body.isascii()  # the policy's clauses: a str of it is two bytes a character
    with db.transaction() as session:
        stored, kept_sha, scope, verdict = session.execute(
            select(StoredReport.body, StoredReport.sha256, StoredReport.scope, StoredReport.verdict)
        ).one()
        if db_url.startswith("sqlite"):  # TEXT, as a bound str stores it, not a BLOB
            assert session.scalar(select(func.typeof(StoredReport.body))) == "text"
        problems = integrity.verify_database(session).failures
    assert isinstance(stored, str) and stored.encode("utf-8") == body
    assert kept_sha == sha == hashlib.sha256(body).hexdigest()
    assert (scope, verdict) == (report.kind, report.verdict)
    assert not [p for p in problems if p.table == "overlap_reports"]
    with db.transaction() as session:  # the same report again: kept once
        assert store_report(session, bank, report, actor="t", body=body) == sha
        assert session.scalar(select(func.count()).select_from(StoredReport)) == 1


def test_utf8_text_keeps_every_character(db: Database, db_url: str) -> None:
    """Characters of one to four UTF-8 bytes, escapes and a value of several megabytes read
    back as the text those bytes encode, typed TEXT."""
    text = 'a"\\/\n\t 中文 é ß 𠀀 😀 \u2028 \U0010ffff ' * 200_000
    body = text.encode("utf-8")
    assert len(body) > 7 * 2**20
    with db.transaction() as session:
        session.execute(
            insert(StoredReport).values(
                scope="theory",
                sha256=hashlib.sha256(body).hexdigest(),
                body=utf8_text(body),
                verdict="pass",
                created_by="t",
            )
        )
    with db.transaction() as session:
        assert session.scalar(select(StoredReport.body)) == text
        assert session.scalar(select(func.length(StoredReport.body))) == len(text)
        if db_url.startswith("sqlite"):
            assert session.scalar(select(func.typeof(StoredReport.body))) == "text"
