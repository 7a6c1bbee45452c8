"""Re-hash at every trust boundary: a version row edited behind qbank's back is refused.

A hostile database administrator edits the filed sample bank's SQLite file directly (after
dropping whatever UPDATE triggers guard it) in three ways: (a) the `stem` column only, (b) the
`canonical` content only, (c) canonical, stem and `sha256` consistently (the row re-hashes,
but the filing, the reviews and the paper name the old id). Printing, sealing, unsealing,
filing, assembly, overlap reports and the checks must each refuse with `ContentTampered`
(or, for unseal, `PaperContentMismatch`), a one-line CLI message naming the item and the
version, a non-zero exit, and nothing written.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hostile import unprotect
from pyrage import x25519
from sqlalchemy import func, select, text
from test_assembly_service import POLICY, STAFF, THEORY
from test_print_practical import assembled_database
from test_seal_cli import EXTRACTOR, KEY_PASS, Setup, setup  # noqa: F401  (fixture)

from cli.main import cli
from formats.sealed_bundle import build_archive, encrypt, signature_document
from qbank import keys
from qbank.assembly.service import assemble, draw_practical
from qbank.bank import ensure_bank, find_bank
from qbank.batch import get_batch, new_batch
from qbank.blueprint import load_blueprint
from qbank.canonical import canonical_bytes, content_id, sha256_hex
from qbank.content import (
    ContentTampered,
    item_version_mismatch,
    set_version_mismatch,
    verified_item_content,
)
from qbank.db import Database, open_database
from qbank.filing import file_bank
from qbank.items import import_items
from qbank.model import Base, Filing, ItemVersion, OverlapReport, Paper, PracticalSetVersion
from qbank.overlap.checks import check_theory
from qbank.overlap.verification import load_report, verify_report
from qbank.people import get_person
from qbank.records import ItemRecord, ItemType, Location
from qbank.seal import (
    PaperContentMismatch,
    bundle_statement,
    check_paper_data,
    paper_data,
    sign_statement,
)
from workflows.demo import DEMO_INSTITUTION, DEMO_PASSPHRASE, DEMO_REVIEWER
from workflows.sealing import unseal_bundle

MODES = ("stem", "canonical", "rehashed")
MARK = "（已篡改）"
FILING_DIR = Path("filings") / "6-31-01-03-4"


@dataclass(frozen=True)
class Target:
    """The tampered copy and the first item of paper A: its guid and version id as filed."""

    db: Path
    workspace: Path
    item_id: int
    guid: str
    version: str  # the id the filing, the reviews and the paper name
    row: int  # the item_versions row that was edited


def _drop_guards(con: sqlite3.Connection) -> None:
    """What a hostile administrator does first: drop every trigger that refuses the edit."""
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f'DROP TRIGGER IF EXISTS "{name}"')


def _edit_item(path: Path, row: int, mode: str) -> None:
    con = sqlite3.connect(path)
    try:
        _drop_guards(con)
        stem, canonical = con.execute(
            "SELECT stem, canonical FROM item_versions WHERE id = ?", (row,)
        ).fetchone()
        content = json.loads(canonical)
        content["stem"] = stem + MARK
        edited = canonical_bytes(content).decode("utf-8")
        if mode == "stem":
            con.execute("UPDATE item_versions SET stem = ? WHERE id = ?", (stem + MARK, row))
        elif mode == "canonical":
            con.execute("UPDATE item_versions SET canonical = ? WHERE id = ?", (edited, row))
        else:
            con.execute(
                "UPDATE item_versions SET canonical = ?, stem = ?, sha256 = ? WHERE id = ?",
                (edited, stem + MARK, content_id(content), row),
            )
        con.commit()
    finally:
        con.close()


def _copy(factory: pytest.TempPathFactory, name: str) -> tuple[Path, Path]:
    """A private copy of the assembled database, with the filing package beside it."""
    source = assembled_database(factory)
    folder = factory.mktemp(name)
    shutil.copyfile(source, folder / "qbank.db")
    shutil.copytree(source.parent / "keys", folder / "keys")
    shutil.copytree(source.parent / FILING_DIR, folder / FILING_DIR)
    return folder / "qbank.db", folder


def _first_item_of_a(path: Path) -> tuple[int, str, str, int]:
    con = sqlite3.connect(path)
    try:
        item_id, row, guid, sha = con.execute(
            "SELECT pi.item_id, pi.item_version_id, i.guid, v.sha256 FROM paper_items pi"
            " JOIN papers p ON p.id = pi.paper_id JOIN items i ON i.id = pi.item_id"
            " JOIN item_versions v ON v.id = pi.item_version_id"
            " WHERE p.code = 'A' AND p.kind = 'theory' ORDER BY pi.position LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return item_id, guid, sha, row


def tampered(factory: pytest.TempPathFactory, mode: str) -> Target:
    path, folder = _copy(factory, f"tampered-{mode}")
    item_id, guid, sha, row = _first_item_of_a(path)
    _edit_item(path, row, mode)
    return Target(path, folder, item_id, guid, sha, row)


@pytest.fixture(params=MODES)
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Target:
    return tampered(tmp_path_factory, request.param)


def run(*args: str, code: int = 1) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def refusal(result: Result, target: Target, consequence: str) -> str:
    """The one line that names the item, a version and what was not done."""
    lines = [line for line in result.output.splitlines() if target.guid in line]
    assert len(lines) == 1, result.output
    assert consequence in lines[0] and ("版本" in lines[0] or "version" in lines[0]), lines[0]
    return lines[0]


def _paper(session, code: str, kind: str = "theory") -> Paper:  # type: ignore[no-untyped-def]
    paper = session.scalar(select(Paper).where(Paper.code == code, Paper.kind == kind))
    assert paper is not None
    return paper


def _counts(session, *tables) -> list[int]:  # type: ignore[no-untyped-def]
    return [session.scalar(select(func.count()).select_from(t)) for t in tables]


# --- the pure check ------------------------------------------------------------------------


def test_untouched_rows_verify_and_each_edit_is_named(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    path, _ = _copy(tmp_path_factory, "pure")
    db = open_database(str(path))
    try:
        with db.transaction() as session:
            versions = session.scalars(select(ItemVersion)).all()
            assert versions and all(item_version_mismatch(v) is None for v in versions)
            sets = session.scalars(select(PracticalSetVersion)).all()
            assert sets and all(set_version_mismatch(v) is None for v in sets)
    finally:
        db.dispose()
    _item_id, guid, sha, row = _first_item_of_a(path)
    expected = {"stem": "content.field", "canonical": "content.hash", "rehashed": None}
    for mode, code in expected.items():
        copy = path.with_name(f"{mode}.db")
        shutil.copyfile(path, copy)
        _edit_item(copy, row, mode)
        db = open_database(str(copy))
        try:
            with db.transaction() as session:
                version = session.get(ItemVersion, row)
                assert version is not None
                mismatch = item_version_mismatch(version)
                assert (mismatch.code if mismatch else None) == code
                if code is not None:
                    with pytest.raises(ContentTampered) as refused:
                        verified_item_content(version, guid=guid, consequence="print")
                    message = str(refused.value)
                    assert guid in message and sha in message and "试卷未打印" in message
        finally:
            db.dispose()


# --- printing --------------------------------------------------------------------------------


def test_export_paper_refuses_and_writes_nothing(target: Target) -> None:
    out = target.workspace / "印制"
    result = run(
        "export", "paper", "--batch", "1", "--paper", "A", "--copies", "1",
        "--no-count-pages", "--out", str(out), "--db", str(target.db),
    )  # fmt: skip
    line = refusal(result, target, "试卷未打印")
    assert target.version in line
    assert not out.exists() or not any(out.iterdir())


def test_english_refusal(tmp_path_factory: pytest.TempPathFactory) -> None:
    target = tampered(tmp_path_factory, "stem")
    out = target.workspace / "print"
    result = run(
        "--lang", "en", "export", "paper", "--batch", "1", "--paper", "A", "--copies", "1",
        "--no-count-pages", "--out", str(out), "--db", str(target.db),
    )  # fmt: skip
    line = refusal(result, target, "the paper was not printed")
    assert "stem" in line and target.version in line


def test_practical_rows_and_content_are_checked(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """A task title edited in the child rows only, then the set's canonical content only."""
    for mode in ("row", "canonical"):
        path, folder = _copy(tmp_path_factory, f"practical-{mode}")
        con = sqlite3.connect(path)
        try:
            _drop_guards(con)
            (version_id,) = con.execute(
                "SELECT set_version_id FROM papers WHERE code = 'P' AND kind = 'practical'"
            ).fetchone()
            if mode == "row":
                con.execute(
                    "UPDATE practical_tasks SET title = title || ? WHERE version_id = ?",
                    (MARK, version_id),
                )
            else:
                (canonical,) = con.execute(
                    "SELECT canonical FROM practical_set_versions WHERE id = ?", (version_id,)
                ).fetchone()
                content = json.loads(canonical)
                content["tasks"][0]["title"] += MARK
                con.execute(
                    "UPDATE practical_set_versions SET canonical = ? WHERE id = ?",
                    (canonical_bytes(content).decode("utf-8"), version_id),
                )
            (code,) = con.execute(
                "SELECT s.code FROM practical_sets s JOIN practical_set_versions v"
                " ON v.set_id = s.id WHERE v.id = ?",
                (version_id,),
            ).fetchone()
            con.commit()
        finally:
            con.close()
        out = folder / "印制"
        result = run(
            "export", "practical", "--batch", "1", "--copies", "1", "--no-count-pages",
            "--out", str(out), "--db", str(path),
        )  # fmt: skip
        assert code in result.output and "试卷未打印" in result.output
        assert not out.exists() or not any(out.iterdir())
        db = open_database(str(path))
        try:
            with db.transaction() as session:
                bank = find_bank(session, "6-31-01-03", 4)
                batch = new_batch(
                    session, bank, exam_date=date(2027, 3, 1), site="长沙考点",
                    candidates=30, staff=STAFF, actor="t",
                )  # fmt: skip
                with pytest.raises(ContentTampered) as refused:
                    draw_practical(session, batch, POLICY, actor="t", seed=3)
                assert refused.value.subject == code and "未组卷" in str(refused.value)
        finally:
            db.dispose()


# --- sealing and unsealing -----------------------------------------------------------------


def test_paper_data_refuses(target: Target) -> None:
    db = open_database(str(target.db))
    try:
        with db.transaction() as session, pytest.raises(ContentTampered) as refused:
            paper_data(session, get_batch(session, 1))
        assert refused.value.subject == target.guid
        assert "未封存" in str(refused.value)
    finally:
        db.dispose()


def test_seal_cli_refuses(setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("QBANK_KEYS", str(setup.keystore))
    monkeypatch.setenv("QBANK_PASSPHRASE", KEY_PASS)
    copy = tmp_path / "qbank.db"
    shutil.copyfile(setup.db, copy)
    item_id, guid, sha, row = _first_item_of_a(copy)
    _edit_item(copy, row, "stem")
    out = tmp_path / "sealed"
    result = run(
        "seal", "--batch", "1", "--person", EXTRACTOR, "--out", str(out), "--copies", "1",
        "--no-count-pages", "--recipient-person", "刘师傅", "--db", str(copy),
    )  # fmt: skip
    target = Target(copy, tmp_path, item_id, guid, sha, row)
    refusal(result, target, "未封存")
    assert not out.exists() or not any(out.iterdir())
    con = sqlite3.connect(copy)
    try:
        assert con.execute("SELECT count(*) FROM sealed_bundles").fetchone() == (0,)
        assert (
            con.execute("SELECT count(*) FROM papers WHERE sealed_at IS NOT NULL").fetchone()[0]
            == 0
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def good_paper_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    path, _ = _copy(tmp_path_factory, "paper-data")
    db = open_database(str(path))
    try:
        with db.transaction() as session:
            return paper_data(session, get_batch(session, 1))
    finally:
        db.dispose()


def _with_edit(files: dict[str, bytes], edit: str) -> dict[str, bytes]:
    name = "papers/A-theory.json"
    record = json.loads(files[name])
    if edit == "content":
        record["items"][0]["content"]["stem"] += MARK
    elif edit == "consistent":  # content and its id agree, but the layout names another id
        record["items"][0]["content"]["stem"] += MARK
        record["items"][0]["version"] = content_id(record["items"][0]["content"])
    else:
        record["set"] = None
    return {**files, name: canonical_bytes(record)}


def test_check_paper_data(good_paper_data: dict[str, bytes]) -> None:
    check_paper_data(good_paper_data)
    for edit in ("content", "consistent", "garbage"):
        with pytest.raises(PaperContentMismatch) as refused:
            check_paper_data(_with_edit(good_paper_data, edit))
        assert "papers/A-theory.json" in str(refused.value)


def test_unseal_refuses_a_signed_bundle_whose_content_does_not_rehash(
    good_paper_data: dict[str, bytes], tmp_path: Path
) -> None:
    """The bundle an unfixed `seal` would have made: validly signed, content edited."""
    identity = x25519.Identity.generate()
    signer = keys.generate_signer(EXTRACTOR, KEY_PASS, keystore=tmp_path / "keys")
    for edit in (None, "content"):
        files = good_paper_data if edit is None else _with_edit(good_paper_data, edit)
        archive, manifest = build_archive(files)
        ciphertext = encrypt(archive, recipients=[str(identity.to_public())], passphrase=None)
        statement = bundle_statement(
            batch={"id": 1, "code": "20261212-01"},
            bundle="20261212-01.tar.age",
            ciphertext_sha256=sha256_hex(ciphertext),
            manifest_sha256=sha256_hex(canonical_bytes(manifest)),
            papers=[],
            recipients=[str(identity.to_public())],
            signer=signer,
            signed_at=datetime.now(UTC),
        )
        signed = sign_statement(statement, signer)
        folder = tmp_path / f"bundle-{edit}"
        folder.mkdir()
        (folder / "b.tar.age").write_bytes(ciphertext)
        (folder / "b.tar.age.sig.json").write_bytes(
            signature_document(signed.text, signed.signature, signed.public_key)
        )
        out = folder / "out"
        call = dict(
            identities=[identity],
            trusted_keys={EXTRACTOR: signer.public_key_raw},
            out_dir=out,
        )
        if edit is None:
            unseal_bundle(folder / "b.tar.age", folder / "b.tar.age.sig.json", **call)  # type: ignore[arg-type]
            assert (out / "papers" / "A-theory.json").exists()
        else:
            with pytest.raises(PaperContentMismatch):
                unseal_bundle(folder / "b.tar.age", folder / "b.tar.age.sig.json", **call)  # type: ignore[arg-type]
            assert not out.exists()


# --- filing, assembly, checks, overlap -----------------------------------------------------


def test_file_refuses_and_stores_nothing(target: Target) -> None:
    keystore = target.workspace / "keys"
    reviewer_signer = keys.load_signer(DEMO_REVIEWER, DEMO_PASSPHRASE, keystore=keystore)
    org_signer = keys.load_signer(DEMO_INSTITUTION, DEMO_PASSPHRASE, keystore=keystore)
    db = open_database(str(target.db))
    try:
        with db.transaction() as session:
            before = _counts(session, Filing, OverlapReport)
        with pytest.raises(ContentTampered) as refused, db.transaction() as session:
            file_bank(
                session,
                find_bank(session, "6-31-01-03", 4),
                POLICY,
                institution=get_person(session, DEMO_INSTITUTION),
                institution_signer=org_signer,
                reviewers=[(get_person(session, DEMO_REVIEWER), reviewer_signer)],
                actor="t",
            )
        assert refused.value.subject == target.guid
        assert "题库未备案" in str(refused.value)
        with db.transaction() as session:
            assert _counts(session, Filing, OverlapReport) == before
    finally:
        db.dispose()


def test_assembly_refuses(target: Target) -> None:
    db = open_database(str(target.db))
    try:
        with db.transaction() as session:
            batch = new_batch(
                session, find_bank(session, "6-31-01-03", 4), exam_date=date(2027, 3, 1),
                site="长沙考点", candidates=30, staff=STAFF, actor="t",
            )  # fmt: skip
            batch_id = batch.id
            before = _counts(session, Paper)
        with pytest.raises(ContentTampered) as refused, db.transaction() as session:
            assemble(
                session, get_batch(session, batch_id), load_blueprint(THEORY), ["A"], POLICY,
                actor="t", seed=5,
            )  # fmt: skip
        assert refused.value.subject == target.guid and "未组卷" in str(refused.value)
        with db.transaction() as session:
            assert _counts(session, Paper) == before
    finally:
        db.dispose()


def test_paper_check_refuses(target: Target) -> None:
    db = open_database(str(target.db))
    try:
        with db.transaction() as session:
            paper_id = _paper(session, "A").id
    finally:
        db.dispose()
    result = run("paper", "check", str(paper_id), "--db", str(target.db))
    refusal(result, target, "检查未通过")


@pytest.mark.parametrize("mode", ["stem", "canonical"])
def test_bank_and_overlap_checks_refuse(mode: str, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    target = tampered(tmp_path_factory, mode)
    bank = ("--occupation", "6-31-01-03", "--level", "4", "--db", str(target.db))
    refusal(run("bank", "check", *bank), target, "未生成重复率报告")
    out = target.workspace / "report.json"
    refusal(run("overlap", "check", *bank, "--out", str(out)), target, "未生成重复率报告")
    assert not out.exists()
    report = target.workspace / FILING_DIR / "overlap-theory.json"
    refusal(run("overlap", "verify", str(report), "--db", str(target.db)), target, "核验未通过")
    sheet = target.workspace / "审核表.xlsx"  # a reviewer never reads text other than they sign
    refusal(run("review", "export", *bank, "--out", str(sheet)), target, "未导出")
    assert not sheet.exists()
    refusal(run("item", "show", str(target.item_id), "--db", str(target.db)), target, "未导出")


def test_overlap_verify_of_a_rehashed_row_fails(tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """(c): the row re-hashes, but it is no longer the version the report names."""
    target = tampered(tmp_path_factory, "rehashed")
    report = load_report(str(target.workspace / FILING_DIR / "overlap-theory.json"))
    db = open_database(str(target.db))
    try:
        with db.transaction() as session:
            assert not verify_report(session, report).ok
    finally:
        db.dispose()


# --- the same check on a live server ------------------------------------------------------


def _drop_guards_sql(database: Database) -> None:
    with database.engine.begin() as conn:
        unprotect(conn, *Base.metadata.tables)


def test_stored_rows_verify_and_edits_are_refused(db: Database) -> None:
    """Values round-trip through each server's column types without a false alarm (floats,
    JSON options, booleans); an edited stem or canonical is refused when reports are built."""
    records = [
        ItemRecord(
            type=ItemType.SINGLE if i % 2 else ItemType.JUDGEMENT,
            stem=f"第{i}题：电动机的额定功率是指轴上输出的机械功率{i}",
            answer="B" if i % 2 else bool(i % 4),
            location=Location("t.xlsx", row=i + 2),
            options={"A": "输入功率", "B": "输出功率", "C": f"视在功率{i}"} if i % 2 else {},
            knowledge_path=("基础知识", "电机"),
            difficulty=0.1 * (i % 10),
            discrimination=0.35,
            score=1.0 if i % 3 else 2.5,
            explanation=None if i % 2 else "解析",
        )
        for i in range(6)
    ]
    with db.transaction() as session:
        bank = ensure_bank(session, "6-31-01-03", 4, actor="t", occupation_name="电工")
        import_items(session, bank, records, source="t.xlsx", actor="t")
    with db.transaction() as session:
        versions = session.scalars(select(ItemVersion).order_by(ItemVersion.id)).all()
        assert len(versions) == 6
        assert [item_version_mismatch(v) for v in versions] == [None] * 6
        row = versions[1].id
        check_theory(session, find_bank(session, "6-31-01-03", 4), POLICY, actor="t")
    _drop_guards_sql(db)
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE item_versions SET stem = stem || :mark WHERE id = :id"),
            {"mark": MARK, "id": row},
        )
    with db.transaction() as session:
        version = session.get(ItemVersion, row)
        assert version is not None
        mismatch = item_version_mismatch(version)
        assert mismatch is not None and (mismatch.code, mismatch.detail) == (
            "content.field",
            "stem",
        )
        with pytest.raises(ContentTampered):
            check_theory(session, find_bank(session, "6-31-01-03", 4), POLICY, actor="t")
