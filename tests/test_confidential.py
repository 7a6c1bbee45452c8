"""Sealed papers: nothing of a paper in the database file, exact opening, caps still honoured.

The session's filed sample bank is copied once per backend (SQLite file, PostgreSQL schema); most
tests work in a session that is rolled back at the end, so they share it without seeing each
other. The tests that must look at a committed SQLite file work on a copy.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pyrage
import pytest
from click.testing import CliRunner, Result
from conftest import copy_filed_bank, copy_to_postgresql, pg_schema_url
from hostile import unprotect
from pyrage import x25519
from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import Session
from test_assembly_service import POLICY, STAFF, THEORY

from cli.main import cli
from qbank.assembly.service import (
    assemble,
    check_batch_papers,
    draw_practical,
    seed_commitment,
)
from qbank.bank import find_bank
from qbank.batch import new_batch
from qbank.blueprint import Blueprint, load_blueprint
from qbank.canonical import canonical_bytes
from qbank.confidential import (
    CommitmentMismatch,
    Identities,
    IdentityRequired,
    Keyring,
    NoMatchingIdentity,
    SealedPaperDamaged,
    composition,
    custody_recipients,
    open_papers,
    paper_item_ids,
    seal_papers,
    set_age_recipient,
)
from qbank.db import Database, open_database
from qbank.errors import InvalidInput
from qbank.model import AuditEvent, Batch, Paper, PaperItem
from qbank.people import add_person, get_person
from qbank.policy import Policy, Value
from workflows.custody import on_open

BLUEPRINT = load_blueprint(THEORY)
STAFF_ID = x25519.Identity.generate()
ESCROW_ID = x25519.Identity.generate()
OUTSIDER_ID = x25519.Identity.generate()
SEED = 6180339887498948482  # long enough that its digits never occur in the database by chance


@pytest.fixture(scope="module")
def filed_file(filed_bank_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The filed bank (with the staff member 王老师) and the regulator 省鉴定中心."""
    path = copy_filed_bank(filed_bank_db, tmp_path_factory.mktemp("confidential"))
    db = open_database(str(path))
    try:
        with db.transaction() as session:
            add_person(session, "省鉴定中心", ["regulator"], actor="t")
    finally:
        db.dispose()
    return path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def filed(request: pytest.FixtureRequest, filed_file: Path) -> Iterator[Database]:
    """The filed bank on each backend; tests must not commit to it (see `scratch`)."""
    if request.param == "sqlite":
        db = open_database(str(filed_file))
        yield db
        db.dispose()
        return
    with pg_schema_url() as url:
        copy_to_postgresql(filed_file, url)
        db = open_database(url)
        try:
            yield db
        finally:
            db.dispose()


@contextmanager
def scratch(db: Database) -> Iterator[Session]:
    """A session whose work is rolled back at the end."""
    with Session(db.engine) as session:
        try:
            yield session
        finally:
            session.rollback()


def recipients(session: Session) -> None:
    """The staff member and the regulator escrow get their age recipients."""
    for name, identity in (("王老师", STAFF_ID), ("省鉴定中心", ESCROW_ID)):
        set_age_recipient(session, get_person(session, name), str(identity.to_public()), actor="t")


def batch(session: Session, day: int) -> Batch:
    return new_batch(
        session,
        find_bank(session, "6-31-01-03", 4),
        exam_date=date(2026, 12, day),
        site="长沙考点",
        candidates=100,
        staff=STAFF,
        actor="t",
    )


def theory(
    session: Session,
    b: Batch,
    *,
    codes: tuple[str, ...] = ("A", "B"),
    bp: Blueprint = BLUEPRINT,
    policy: Policy = POLICY,
    identities: Identities = None,
) -> list[list[int]]:
    """Assemble theory papers with the module's seed; their item lists."""
    _seed, papers = assemble(
        session, b, bp, list(codes), policy, actor="t", seed=SEED, identities=identities
    )
    return [list(p.layout["items"]) for p in papers]


def practical(session: Session, b: Batch, **kwargs: Any) -> str:
    paper = draw_practical(session, b, POLICY, actor="t", seed=SEED, **kwargs)
    return str(paper.layout["set"])


def papers_of(session: Session, b: Batch) -> list[Paper]:
    return list(session.scalars(select(Paper).where(Paper.batch_id == b.id).order_by(Paper.id)))


def snapshot(session: Session, b: Batch) -> list[tuple[Any, ...]]:
    """Everything sealing hides, per paper: layout, seed, drawn set, item rows."""
    out = []
    for paper in papers_of(session, b):
        rows = session.execute(
            select(PaperItem.item_id, PaperItem.item_version_id, PaperItem.position)
            .where(PaperItem.paper_id == paper.id)
            .order_by(PaperItem.position)
        ).all()
        out.append(
            (paper.code, paper.layout, paper.seed, paper.set_version_id, list(map(tuple, rows)))
        )
    return out


def needles(snap: list[tuple[Any, ...]]) -> list[str]:
    """Strings that would give a paper away: its item list (both JSON spellings), seed, salt."""
    out = [str(SEED)]
    for _code, layout, _seed, _set, _rows in snap:
        if "items" in layout:
            out += [json.dumps(layout["items"]), json.dumps(layout["items"], separators=(",", ":"))]
            out.append(layout["seed_salt"])
            out.append(json.dumps(layout["option_orders"])[:40])
        else:
            out += [json.dumps(layout), json.dumps(layout, separators=(",", ":"))]
            out.append(layout["seed_salt"])
    return out


def every_cell(session: Session) -> Iterator[tuple[str, str, Any]]:
    """(table, column, value) for every cell of every table, as the database holds them."""
    meta = MetaData()
    meta.reflect(bind=session.connection())
    for table in meta.tables.values():
        for row in session.execute(select(table)).mappings():
            for column, value in row.items():
                yield table.name, column, value


def assert_sealed_rows_hide(
    session: Session, b: Batch, snap: list[tuple[Any, ...]], since: int
) -> None:
    """No row links a sealed paper to its items, its seed or its drawn set."""
    ids = [p.id for p in papers_of(session, b)]
    assert (
        session.scalar(
            select(func.count()).select_from(PaperItem).where(PaperItem.paper_id.in_(ids))
        )
        == 0
    )
    for paper in papers_of(session, b):
        assert paper.seed == "" and paper.set_version_id is None and paper.layout["sealed"] is True
        assert set(paper.layout) <= {"sealed", "sections", "score"}
        assert all(
            set(s) == {"type", "title", "count", "score"} for s in paper.layout.get("sections", [])
        )
    secrets = needles(snap)
    drawn = [layout for _c, layout, _s, _v, _r in snap if "set" in layout]
    for table, column, value in every_cell(session):
        shown = (
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        )
        for secret in secrets:
            assert secret not in shown, (table, column, secret)
    for event in session.scalars(select(AuditEvent).where(AuditEvent.id > since)):
        shown = json.dumps(event.detail, ensure_ascii=False)
        for layout in drawn:
            assert layout["set"] not in shown and layout["version"] not in shown, event.action


def last_event(session: Session) -> int:
    return session.scalar(select(func.max(AuditEvent.id))) or 0


# --- sealing and opening ---------------------------------------------------------------


def test_sealed_rows_hide_the_paper_and_opening_restores_it_exactly(filed: Database) -> None:
    with scratch(filed) as session:
        recipients(session)
        b = batch(session, 12)
        since = last_event(session)
        theory(session, b)
        practical(session, b)
        before = snapshot(session, b)
        assemble_event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "assemble", AuditEvent.id > since)
        )
        salt = before[0][1]["seed_salt"]
        assert assemble_event.detail["seed_commitment"] == seed_commitment(str(SEED), salt)

        sealed = seal_papers(session, b, actor="t")
        session.flush()
        assert [p.code for p in sealed] == ["A", "B", "P"]
        assert all(p.commitment and p.sealed_at and p.opened_at is None for p in sealed)
        assert_sealed_rows_hide(session, b, before, since)
        assert seal_papers(session, b, actor="t") == []  # already sealed: skipped

        with pytest.raises(IdentityRequired):
            composition(sealed[0])
        assert composition(sealed[0], [STAFF_ID]) == before[0][1]
        assert paper_item_ids(session, sealed[1], [ESCROW_ID]) == before[1][1]["items"]

        opened = open_papers(session, b, identities=[ESCROW_ID], actor="t")
        assert [p.code for p in opened] == ["A", "B", "P"]
        session.expire_all()
        assert snapshot(session, b) == before
        assert all(p.opened_at and p.sealed_composition for p in papers_of(session, b))
        assert composition(papers_of(session, b)[0]) == before[0][1]  # opened: no identity needed
        assert open_papers(session, b, identities=[ESCROW_ID], actor="t") == []
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.id > since, AuditEvent.entity == "paper")
        ).all()
        assert actions == ["seal_paper"] * 3 + ["open_paper"] * 3


def test_the_sqlite_file_itself_holds_nothing_of_a_sealed_paper(
    filed_file: Path, tmp_path: Path
) -> None:
    """Raw bytes (free pages included), iterdump and every cell of the committed file."""
    copy = tmp_path / "qbank.db"
    shutil.copyfile(filed_file, copy)
    db = open_database(str(copy))
    try:
        with db.transaction() as session:
            recipients(session)
            b_id = batch(session, 12).id
            since = last_event(session)
        with db.transaction() as session:
            b = session.get(Batch, b_id)
            theory(session, b)
            practical(session, b)
        with db.transaction() as session:
            before = snapshot(session, session.get(Batch, b_id))
        raw = copy.read_bytes()
        assert all(s.encode() in raw for s in needles(before)[:2])  # the check can see them
        with db.transaction() as session:
            seal_papers(session, session.get(Batch, b_id), actor="t")
    finally:
        db.dispose()

    raw = copy.read_bytes()
    secrets = needles(before)
    for secret in secrets:
        assert secret.encode() not in raw, secret
    connection = sqlite3.connect(copy)
    try:
        dump = "\n".join(connection.iterdump())
        ids = [
            r[0] for r in connection.execute("SELECT id FROM papers WHERE batch_id = ?", (b_id,))
        ]
        rows = connection.execute(
            f"SELECT count(*) FROM paper_items WHERE paper_id IN ({','.join('?' * len(ids))})", ids
        ).fetchone()[0]
    finally:
        connection.close()
    assert rows == 0 and len(ids) == 3
    for secret in secrets:
        assert secret not in dump, secret
    db = open_database(str(copy))
    try:
        with scratch(db) as session:
            assert_sealed_rows_hide(session, session.get(Batch, b_id), before, since)
    finally:
        db.dispose()


def test_opening_refuses_wrong_identity_tampering_and_mismatch(filed: Database) -> None:
    with scratch(filed) as session:
        recipients(session)
        b = batch(session, 12)
        theory(session, b)
        practical(session, b)
        a, b_paper, p = seal_papers(session, b, actor="t")
        session.flush()
        sealed_state = [(x.layout, x.sealed_composition, x.commitment) for x in (a, b_paper, p)]
        # The database refuses every edit of a sealed paper but its opening
        # (test_immutability); the edits below are a hostile administrator's, who drops that
        # protection first. Opening must catch them all the same.
        unprotect(session, "papers")

        def refused(error: type[Exception], identities: list[x25519.Identity]) -> None:
            with pytest.raises(error):
                open_papers(session, b, identities=identities, actor="t")
            assert all(x.opened_at is None and x.layout["sealed"] for x in (a, b_paper, p))
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(PaperItem)
                    .where(PaperItem.paper_id.in_([a.id, b_paper.id, p.id]))
                )
                == 0
            )

        refused(IdentityRequired, [])
        refused(NoMatchingIdentity, [OUTSIDER_ID])

        # a flipped byte in the payload of the last paper: the first two are not opened either
        blob = bytearray(base64.b64decode(p.sealed_composition))
        blob[-1] ^= 0x01
        p.sealed_composition = base64.b64encode(bytes(blob)).decode()
        refused(SealedPaperDamaged, [STAFF_ID])
        p.sealed_composition = sealed_state[2][1]

        # paper A's ciphertext and commitment moved onto paper B: bound to A, refused
        b_paper.sealed_composition, b_paper.commitment = sealed_state[0][1], sealed_state[0][2]
        refused(SealedPaperDamaged, [STAFF_ID])
        b_paper.sealed_composition, b_paper.commitment = sealed_state[1][1], sealed_state[1][2]

        # the commitment column altered
        a.commitment = "0" * 64
        refused(CommitmentMismatch, [STAFF_ID])
        a.commitment = sealed_state[0][2]

        # a forged composition, correctly bound and encrypted to the same recipients, but not
        # the one committed to
        document = json.loads(pyrage.decrypt(base64.b64decode(a.sealed_composition), [STAFF_ID]))
        document["composition"]["layout"]["items"][0] = document["composition"]["layout"]["items"][
            1
        ]
        forged = pyrage.encrypt(canonical_bytes(document), [STAFF_ID.to_public()])
        a.sealed_composition = base64.b64encode(forged).decode()
        refused(CommitmentMismatch, [STAFF_ID])
        a.sealed_composition = sealed_state[0][1]

        assert [x.code for x in open_papers(session, b, identities=[STAFF_ID], actor="t")] == [
            "A",
            "B",
            "P",
        ]


def test_custody_recipients_are_staff_then_escrow_and_both_are_required(filed: Database) -> None:
    with scratch(filed) as session:
        b = batch(session, 12)
        with pytest.raises(InvalidInput) as err:
            custody_recipients(session, b)
        assert err.value.key == "confidential.no_staff_recipient"
        set_age_recipient(
            session, get_person(session, "王老师"), str(STAFF_ID.to_public()), actor="t"
        )
        with pytest.raises(InvalidInput) as err:
            seal_papers(session, b, actor="t")
        assert err.value.key == "confidential.no_regulator_recipient"
        other = add_person(session, "其他鉴定中心", ["regulator"], actor="t")
        set_age_recipient(session, other, str(ESCROW_ID.to_public()), actor="t")
        # the same recipient twice (staff member doubling as escrow) is listed once
        regulator = add_person(session, "省鉴定中心", ["regulator"], actor="t")
        set_age_recipient(session, regulator, str(STAFF_ID.to_public()), actor="t")
        assert custody_recipients(session, b) == [
            str(STAFF_ID.to_public()),
            str(ESCROW_ID.to_public()),
        ]
        with pytest.raises(InvalidInput) as err:
            set_age_recipient(session, regulator, "age1notarecipient", actor="t")
        assert err.value.key == "confidential.bad_recipient"
        with pytest.raises(InvalidInput) as err:
            seal_papers(session, b, recipients=[], actor="t")
        assert err.value.key == "confidential.no_recipients"


# --- assembly reads sealed papers with identities ----------------------------------------


def test_caps_and_draws_against_a_sealed_batch_match_the_unsealed_result(filed: Database) -> None:
    """History (recent cap), exposure and the practical draw read batch 1 while it is sealed."""
    limited = dataclasses.replace(BLUEPRINT, max_exposure=1)
    no_recent_cap = dataclasses.replace(POLICY, max_paper_recent_share=Value(1.0, "test"))
    with scratch(filed) as session:  # the reference: batch 1 unsealed
        first, second = batch(session, 12), batch(session, 13)
        own = theory(session, first)
        own_set = practical(session, first)
        expected = theory(session, second)
        expected_set = practical(session, second)
        exposed = theory(
            session, batch(session, 14), codes=("A",), bp=limited, policy=no_recent_cap
        )
    # the same seed gives batch 2 batch 1's papers unless the history is read, so these differ
    assert expected != own and expected_set != own_set
    assert all(len(set(e) & set(o)) <= 30 for e in expected for o in own)
    assert not set().union(*exposed) & set().union(*own)

    with scratch(filed) as session:  # batch 1 sealed
        recipients(session)
        first, second = batch(session, 12), batch(session, 13)
        assert theory(session, first) == own and practical(session, first) == own_set
        seal_papers(session, first, actor="t")
        with pytest.raises(IdentityRequired):
            theory(session, second)
        with pytest.raises(NoMatchingIdentity):
            theory(session, second, identities=[OUTSIDER_ID])
        with pytest.raises(IdentityRequired):
            practical(session, second)
        keyring = Keyring([OUTSIDER_ID, STAFF_ID])
        assert theory(session, second, identities=keyring) == expected
        assert practical(session, second, identities=keyring) == expected_set
        with pytest.raises(IdentityRequired):
            check_batch_papers(session, first, POLICY)
        assert check_batch_papers(session, first, POLICY, identities=keyring) == []
        assert check_batch_papers(session, second, POLICY, identities=[ESCROW_ID]) == []
        third = batch(session, 14)
        assert (
            theory(
                session, third, codes=("A",), bp=limited, policy=no_recent_cap, identities=keyring
            )
            == exposed
        )


# --- command line ------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_age_identities_and_assembly_next_to_a_sealed_batch(
    filed_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "qbank.db"
    shutil.copyfile(filed_file, copy)
    monkeypatch.setenv("QBANK_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("QBANK_PASSPHRASE", "pass-for-tests")
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, [*args, "--db", str(copy)])

    made = run("key", "age-new", "--person", "王老师")
    assert made.exit_code == 0, made.output
    staff_recipient = re.search(r"age1[0-9a-z]+", made.stdout).group(0)  # type: ignore[union-attr]
    again = run("key", "age-new", "--person", "王老师")
    assert again.exit_code == 1 and "王老师 已有 age 身份密钥，未作任何改动" in again.stderr
    escrow = str(ESCROW_ID.to_public())
    assert run("key", "age-set", "--person", "省鉴定中心", "--recipient", escrow).exit_code == 0
    bad = run("key", "age-set", "--person", "省鉴定中心", "--recipient", "age1nonsense")
    assert bad.exit_code == 1
    assert bad.stderr == "错误：“age1nonsense”不是 age X25519 接收方（应为 age1…）\n"
    shown = run("person", "show", "王老师")
    assert shown.exit_code == 0 and f"age 接收方：{staff_recipient}" in shown.stdout
    listed = {
        p["name"]: p["age_recipient"] for p in json.loads(run("person", "list", "--json").stdout)
    }
    assert listed.pop("王老师") == staff_recipient and listed.pop("省鉴定中心") == escrow
    assert set(listed.values()) == {None}

    db = open_database(str(copy))
    with db.transaction() as session:
        first, second = batch(session, 12).id, batch(session, 13).id
    db.dispose()
    assembled = run("assemble", "--batch", str(first), "--blueprint", str(THEORY), "--json")
    assert assembled.exit_code == 0, assembled.output
    sealed_id = json.loads(assembled.stdout)["papers"][0]["id"]
    db = open_database(str(copy))
    try:
        with db.transaction() as session:
            seal_papers(session, session.get(Batch, first), actor="t")
            blob = base64.b64decode(session.get(Paper, sealed_id).sealed_composition)
    finally:
        db.dispose()

    refused = run("assemble", "--batch", str(second), "--blueprint", str(THEORY))
    assert refused.exit_code == 1
    assert refused.stderr.startswith("错误：试卷 A（编号 ") and "已封存" in refused.stderr
    exported = tmp_path / "王老师.age-identity.txt"
    out = run("key", "age-export-identity", "--person", "王老师", "--out", str(exported))
    assert out.exit_code == 0 and "警告" in out.stderr
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert (
        run("key", "age-export-identity", "--person", "王老师", "--out", str(exported)).exit_code
        == 1
    )
    ok = run(
        "assemble", "--batch", str(second), "--blueprint", str(THEORY), "--identity", str(exported)
    )
    assert ok.exit_code == 0, ok.output

    no_key = run("paper", "check", str(sealed_id))
    assert no_key.exit_code == 1 and "已封存" in no_key.stderr
    (keystore_file,) = (tmp_path / "keys").glob("*.age-identity.age")
    for how in (("--identity-person", "王老师"), ("--identity", str(keystore_file))):
        checked = run("paper", "check", str(sealed_id), *how)
        assert checked.exit_code == 0, checked.output
        assert checked.stdout == "校验通过：试卷满足组卷方案与各项上限\n"
    stranger = tmp_path / "stranger.txt"
    stranger.write_text(f"{OUTSIDER_ID}\n", encoding="utf-8")
    wrong = run("paper", "check", str(sealed_id), "--identity", str(stranger))
    assert wrong.exit_code == 1 and "所给的 age 身份都解不开试卷 A" in wrong.stderr

    if shutil.which("age"):  # the stock tool opens a sealed composition with the exported file
        (tmp_path / "sealed.age").write_bytes(blob)
        opened = subprocess.run(
            ["age", "-d", "-i", str(exported), str(tmp_path / "sealed.age")],
            capture_output=True,
            check=True,
        )
        assert json.loads(opened.stdout)["paper"]["id"] == sealed_id


def test_open_step_hook_waits_for_the_exam_and_an_identity(filed: Database) -> None:
    """`custody sign --step open` (workflows.custody.on_open): refused before the exam date and
    without an identity that opens the papers; on the day it writes them back exactly."""
    with scratch(filed) as session:
        recipients(session)
        b = batch(session, 14)
        theory(session, b)
        practical(session, b)
        before = snapshot(session, b)
        seal_papers(session, b, actor="t")
        with pytest.raises(InvalidInput) as early:
            on_open(session, b, Keyring([STAFF_ID]), actor="t")
        assert early.value.key == "custody.open_too_early"
        b.exam_date = date.today()
        with pytest.raises(IdentityRequired):
            on_open(session, b, Keyring([]), actor="t")
        with pytest.raises(NoMatchingIdentity):
            on_open(session, b, Keyring([OUTSIDER_ID]), actor="t")
        on_open(session, b, Keyring([ESCROW_ID]), actor="t")
        assert snapshot(session, b) == before
        on_open(session, b, Keyring([]), actor="t")  # nothing sealed any more: nothing to do
