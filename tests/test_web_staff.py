"""The staff pages (/batches, /batches/{id}) on the demo's database: who sees which batch
(institution: all; staff: the batches that name them, in banks granted to them), the
designated people and the steps signed and pending, and the custody timeline with the verdict
of the whole log — also for a log cut short (INCOMPLETE) and a tampered one (INVALID, the
entries from the bad one on not counted).

The pages are read-only: there is no POST route, so there is no CSRF check to test here
(tests/test_web_security.py covers CSRF on every POST)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hostile import unprotect
from sqlalchemy import delete, event, select, update
from web_support import sign_in, web_client

from qbank import access
from qbank.bank import find_bank
from qbank.batch import new_batch
from qbank.custody.log import Key, Layout, StepRule
from qbank.db import open_database
from qbank.model import Batch, CustodyCheckpoint, CustodyEntry, Person
from qbank.people import get_person
from web.pages.staff import Signature, step_progress
from workflows.demo import DEMO_INSTITUTION, DEMO_REVIEWER, DEMO_STAFF, DEMO_SUPERVISOR

OCCUPATION, LEVEL = "6-31-01-03", 4
PRINTER = DEMO_STAFF["print"][0]
ASSEMBLER = DEMO_STAFF["assemble"][0]
SEALERS = DEMO_STAFF["seal"]
TRANSPORTER = DEMO_STAFF["transport"][0]
# batch 2 (no custody layout yet) names everyone of batch 1 but the printer
PLANNED = {**DEMO_STAFF, "print": [ASSEMBLER]}


def _copy(demo_chain: Path, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_chain / "qbank.db", folder / "qbank.db")
    return f"sqlite:///{folder / 'qbank.db'}"


def _plan_second_batch(url: str) -> None:
    db = open_database(url)
    try:
        with db.transaction() as session:
            bank = find_bank(session, OCCUPATION, LEVEL)
            new_batch(
                session,
                bank,
                exam_date=date(2030, 6, 1),
                site="第二考点",
                candidates=30,
                staff=PLANNED,
                actor="t",
            )
    finally:
        db.dispose()


def _grant(url: str, *names: str) -> None:
    db = open_database(url)
    try:
        with db.transaction() as session:
            bank = find_bank(session, OCCUPATION, LEVEL)
            for name in names:
                access.grant(session, get_person(session, name), bank, actor="t")
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def staff_db(demo_chain: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo's database with a second, planned batch (no layout); the printer, the
    assembler and the supervisor are granted the bank, the sealers are not."""
    url = _copy(demo_chain, tmp_path_factory.mktemp("web-staff"))
    _plan_second_batch(url)
    _grant(url, PRINTER, ASSEMBLER, DEMO_SUPERVISOR)
    return url


@pytest.fixture(scope="module")
def ids(staff_db: str) -> dict[str, int]:
    db = open_database(staff_db)
    try:
        with db.transaction() as session:
            rows = session.execute(select(Batch.site, Batch.id)).all()
            return {site: batch_id for site, batch_id in rows}
    finally:
        db.dispose()


def _table_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="batch-(\d+)">', html)


def test_no_session_goes_to_sign_in(staff_db: str, ids: dict[str, int]) -> None:
    with web_client(staff_db, acting_person=PRINTER) as (client, _config):
        for path in ("/batches", f"/batches/{ids['示例考点']}"):
            response = client.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=")


def test_other_roles_are_refused(staff_db: str, ids: dict[str, int]) -> None:
    with web_client(staff_db, acting_person=DEMO_REVIEWER) as (client, config):
        sign_in(client, config)
        for path in ("/batches", f"/batches/{ids['示例考点']}"):
            response = client.get(path)
            assert response.status_code == 403
            assert "考务人员、评价机构" in response.text
        assert 'href="/batches"' not in client.get("/").text


def test_pages_are_read_only(staff_db: str, ids: dict[str, int]) -> None:
    with web_client(staff_db, acting_person=PRINTER) as (client, config):
        sign_in(client, config)
        assert client.post("/batches", data={}).status_code == 405
        assert client.post(f"/batches/{ids['示例考点']}", data={}).status_code == 405


def test_institution_sees_every_batch_and_its_progress(staff_db: str, ids: dict[str, int]) -> None:
    with web_client(staff_db, acting_person=DEMO_INSTITUTION) as (client, config):
        sign_in(client, config)
        page = client.get("/batches")
        assert page.status_code == 200
        html = page.text
        # newest exam date first: the planned batch (2030) before the demo's
        assert _table_rows(html) == [str(ids["第二考点"]), str(ids["示例考点"])]
        assert "评价机构可查看全部批次" in html
        done, planned = html.split('<tr id="batch-')[1:][::-1]
        assert "已签 6 / 6 个环节" in done and "全部环节已签署" in done
        assert done.count('class="step-cell step-done"') == 5
        assert f'<span class="person signed">{PRINTER}</span>' in done
        assert "已签 0 / 5 个环节" in planned and "保管布局尚未签署" in planned
        assert planned.count('class="step-cell step-pending"') == 5
        assert f'<span class="person">{ASSEMBLER}</span>' in planned
        assert "6-31-01-03 电工 四级" in planned and "第二考点" in planned


def test_staff_see_only_batches_that_name_them(staff_db: str, ids: dict[str, int]) -> None:
    with web_client(staff_db, acting_person=PRINTER) as (client, config):
        sign_in(client, config)
        html = client.get("/batches").text
        assert _table_rows(html) == [str(ids["示例考点"])]
        assert "hidden-batches" not in html
        other = client.get(f"/batches/{ids['第二考点']}")
        assert other.status_code == 403
        assert f"{PRINTER} 不是批次" in other.text
    with web_client(staff_db, acting_person=ASSEMBLER) as (client, config):
        sign_in(client, config)
        assert _table_rows(client.get("/batches").text) == [
            str(ids["第二考点"]),
            str(ids["示例考点"]),
        ]
        assert client.get(f"/batches/{ids['第二考点']}").status_code == 200


def test_a_person_named_only_in_the_layout_sees_the_batch(
    staff_db: str, ids: dict[str, int]
) -> None:
    """The supervisor is on no staff list: the signed layout names them for 启封."""
    with web_client(staff_db, acting_person=DEMO_SUPERVISOR) as (client, config):
        sign_in(client, config)
        assert _table_rows(client.get("/batches").text) == [str(ids["示例考点"])]
        assert client.get(f"/batches/{ids['示例考点']}").status_code == 200
        assert client.get(f"/batches/{ids['第二考点']}").status_code == 403


def test_a_bank_not_granted_hides_the_batch(staff_db: str, ids: dict[str, int]) -> None:
    with web_client(staff_db, acting_person=SEALERS[0]) as (client, config):
        sign_in(client, config)
        html = client.get("/batches").text
        assert _table_rows(html) == []
        assert "没有可显示的批次" in html
        assert "另有 2 个批次指定了您" in html
        refused = client.get(f"/batches/{ids['示例考点']}")
        assert refused.status_code == 403
        assert "qbank person grant" in refused.text


def test_unknown_batch_is_not_found(staff_db: str) -> None:
    with web_client(staff_db, acting_person=DEMO_INSTITUTION) as (client, config):
        sign_in(client, config)
        missing = client.get("/batches/9999")
        assert missing.status_code == 404 and "没有编号为 9999 的考试批次" in missing.text
        assert client.get("/batches/abc").status_code == 404


def _fingerprints(url: str) -> dict[str, str]:
    db = open_database(url)
    try:
        with db.transaction() as session:
            return {
                p.name: p.key_fingerprint or ""
                for p in session.scalars(select(Person).where(Person.key_fingerprint.is_not(None)))
            }
    finally:
        db.dispose()


def test_batch_page_shows_the_verified_chain(staff_db: str, ids: dict[str, int]) -> None:
    fingerprints = _fingerprints(staff_db)
    with web_client(staff_db, acting_person=PRINTER) as (client, config):
        sign_in(client, config)
        page = client.get(f"/batches/{ids['示例考点']}")
        assert page.status_code == 200
        html = page.text
        assert re.search(r'<p class="verdict-VALID" id="verdict">有效（VALID）', html)
        entries = re.findall(r'<li id="entry-(\d+)" class="(entry-\w+)">', html)
        assert entries == [(str(n), "entry-ok") for n in range(7)]
        timeline = html.split('id="timeline"')[1]
        order = ["组卷", "提取", "印制", "传送", "封存", "封存", "启封"]
        assert re.findall(r"<strong>(\S+?)</strong>", timeline) == order
        signers = [ASSEMBLER, DEMO_STAFF["extract"][0], PRINTER, TRANSPORTER, *SEALERS]
        for name in [*signers, DEMO_SUPERVISOR]:
            assert f"· {name}</div>" in timeline
            assert f"<code>{fingerprints[name]}</code>" in timeline
        assert "copies=3" in timeline and "seal_no=DEMO-0001" in timeline
        assert "print-list.json" in timeline and ".tar.age" in timeline
        assert "没有待签的环节" in html
        papers = html.split('id="papers">')[1].split("</dd>")[0]
        assert papers == "A 卷（理论知识）、B 卷（理论知识）、P 卷（操作技能）"
        assert 'id="step-open" class="step-done"' in html
        assert f"{DEMO_INSTITUTION} <code>{fingerprints[DEMO_INSTITUTION]}</code>" in html


def test_batch_without_layout_lists_its_designated_staff(
    staff_db: str, ids: dict[str, int]
) -> None:
    with web_client(staff_db, acting_person=ASSEMBLER) as (client, config):
        sign_in(client, config)
        html = client.get(f"/batches/{ids['第二考点']}").text
        assert "保管布局尚未签署" in html and "还没有签署记录" in html
        pending = re.findall(r'<li id="pending-(\w+)">', html)
        assert pending == ["assemble", "extract", "print", "transport", "seal"]
        assert f"待 {'、'.join(SEALERS)} 签署" in html
        assert html.count(">未定</td>") == 5


@pytest.fixture
def own_copy(demo_chain: Path, tmp_path: Path) -> Iterator[str]:
    url = _copy(demo_chain, tmp_path)
    _grant(url, TRANSPORTER)
    yield url


def _batch_one(url: str) -> int:
    db = open_database(url)
    try:
        with db.transaction() as session:
            return session.scalars(select(Batch.id)).one()
    finally:
        db.dispose()


def test_a_chain_cut_short_is_incomplete_with_its_pending_steps(own_copy: str) -> None:
    """The log as it stood after 印制: 传送, 封存 and 启封 still to sign."""
    batch_id = _batch_one(own_copy)
    db = open_database(own_copy)
    try:
        with db.transaction() as session:
            unprotect(session, "custody_entries", "custody_checkpoints")
            session.execute(delete(CustodyEntry).where(CustodyEntry.position >= 3))
            session.execute(delete(CustodyCheckpoint).where(CustodyCheckpoint.size > 3))
    finally:
        db.dispose()
    with web_client(own_copy, acting_person=TRANSPORTER) as (client, config):
        sign_in(client, config)
        listed = client.get("/batches").text
        assert "已签 3 / 6 个环节" in listed
        assert f"下一步：传送（{TRANSPORTER}）" in listed
        html = client.get(f"/batches/{batch_id}").text
        assert '<p class="verdict-INCOMPLETE" id="verdict">未完成（INCOMPLETE）' in html
        assert re.findall(r'<li id="entry-(\d+)"', html) == ["0", "1", "2"]
        assert re.findall(r'<li id="pending-(\w+)">', html) == ["transport", "seal", "open"]
        assert f"待 {TRANSPORTER} 签署" in html
        assert f"待 {'、'.join(SEALERS)} 签署" in html
        assert 'id="step-print" class="step-done"' in html


def test_a_tampered_entry_is_not_counted_as_signed(own_copy: str) -> None:
    """A signature changed in the database: the list still counts what is recorded, the
    batch page's verification stops there and counts only the entries before it."""
    batch_id = _batch_one(own_copy)
    db = open_database(own_copy)
    try:
        with db.transaction() as session:
            unprotect(session, "custody_entries")
            signature = session.scalars(
                select(CustodyEntry.signature).where(CustodyEntry.position == 2)
            ).one()
            forged = ("B" if signature[0] == "A" else "A") + signature[1:]
            session.execute(
                update(CustodyEntry).where(CustodyEntry.position == 2).values(signature=forged)
            )
    finally:
        db.dispose()
    with web_client(own_copy, acting_person=TRANSPORTER) as (client, config):
        sign_in(client, config)
        assert "已签 6 / 6 个环节" in client.get("/batches").text
        html = client.get(f"/batches/{batch_id}").text
        assert '<p class="verdict-INVALID" id="verdict">无效（INVALID）' in html
        assert "第 2 号记录" in html.split('id="verdict"')[1].split("</p>")[0]
        marks = re.findall(r'<li id="entry-(\d+)" class="(entry-\w+)">', html)
        assert marks == [(str(n), "entry-ok" if n < 2 else "entry-bad") for n in range(7)]
        assert 'id="step-extract" class="step-done"' in html
        assert 'id="step-print" class="step-pending"' in html
        assert re.findall(r'<li id="pending-(\w+)">', html)[:2] == ["print", "transport"]


def _statements_for_list(url: str, page_size: int) -> tuple[int, int]:
    """(rows shown, SQL statements run) for GET /batches as the institution."""
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with web_client(url, acting_person=DEMO_INSTITUTION, page_size=page_size) as (client, config):
        sign_in(client, config)
        engine = client.app.state.web.db.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute", count)
        try:
            page = client.get("/batches")
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return len(_table_rows(page.text)), len(statements)


def test_the_list_costs_the_same_queries_for_one_batch_or_many(staff_db: str) -> None:
    """No query per batch: a page of two batches runs as many statements as a page of one."""
    one, two = _statements_for_list(staff_db, 1), _statements_for_list(staff_db, 2)
    assert (one[0], two[0]) == (1, 2)
    assert one[1] == two[1]


def test_paging(staff_db: str, ids: dict[str, int]) -> None:
    with web_client(staff_db, acting_person=DEMO_INSTITUTION, page_size=1) as (client, config):
        sign_in(client, config)
        first = client.get("/batches").text
        second = client.get("/batches?page=2").text
        assert _table_rows(first) == [str(ids["第二考点"])]
        assert _table_rows(second) == [str(ids["示例考点"])]
        assert "第 2 / 2 页，共 2 条" in second


# --- the counting rule itself ------------------------------------------------------------------


def _key(name: str) -> Key:
    return Key(name, bytes([len(name)]) * 32)


def _layout(legs: int | None) -> Layout:
    rules = (
        StepRule("print", 1, (_key("印"),)),
        StepRule("transport", 2, (_key("甲"), _key("乙"), _key("丙"))),
        StepRule("seal", 2, (_key("封甲"), _key("封乙"))),
    )
    return Layout(1, "B-1", "6-31-01-03", 4, "2030-06-01", "考点", rules, legs, _key("机构"), "")


def test_step_progress_counts_quorum_per_leg_and_planned_legs() -> None:
    one_leg = [Signature("print", "印"), Signature("transport", "甲", 1)]
    steps = {s.step: s for s in step_progress(_layout(2), {}, one_leg)}
    assert steps["print"].done and not steps["transport"].done
    assert steps["transport"].waiting_for == ("乙", "丙")
    both = [*one_leg, Signature("transport", "乙", 1)]
    steps = {s.step: s for s in step_progress(_layout(2), {}, both)}
    assert steps["transport"].legs == 1 and not steps["transport"].done
    second = [*both, Signature("transport", "丙", 2), Signature("transport", "甲", 2)]
    steps = {s.step: s for s in step_progress(_layout(2), {}, second)}
    assert steps["transport"].legs == 2 and steps["transport"].done
    started = [*second, Signature("transport", "乙", 3)]
    assert not {s.step: s for s in step_progress(_layout(2), {}, started)}["transport"].done
    unplanned = {s.step: s for s in step_progress(_layout(None), {}, both)}
    assert unplanned["transport"].done
    twice = [Signature("seal", "封甲"), Signature("seal", "封甲")]
    assert not {s.step: s for s in step_progress(_layout(None), {}, twice)}["seal"].done


def test_pages_in_english(
    staff_db: str, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QBANK_LANG", "en")
    with web_client(staff_db, acting_person=ASSEMBLER) as (client, config):
        sign_in(client, config)
        listed = client.get("/batches").text
        assert "Custody progress" in listed and "6 of 6 steps signed" in listed
        html = client.get(f"/batches/{ids['示例考点']}").text
        assert '<p class="verdict-VALID" id="verdict">VALID' in html
        assert "Entry 6" in html and "<strong>open</strong>" in html
        assert "A (theory), B (theory), P (practical)" in html
        planned = client.get(f"/batches/{ids['第二考点']}").text
        assert f"<strong>seal</strong>: waiting for {', '.join(SEALERS)}" in planned
        for page in (listed, html, planned):
            assert not re.search(r"[（）：、]", page.split("<main>")[1])


def test_progress_agrees_with_the_verifier_on_the_demo_chain(
    staff_db: str, ids: dict[str, int]
) -> None:
    """On a real log, each step's signers and completeness are the verifier's acts'."""
    from qbank.custody import view

    db = open_database(staff_db)
    try:
        with db.transaction() as session:
            shown = view(session, session.get_one(Batch, ids["示例考点"]))
    finally:
        db.dispose()
    steps = step_progress(shown.layout, {}, [Signature.of(e) for e in shown.entries])
    acts = {a.step: a for a in shown.verdict.acts}
    assert [s.step for s in steps if s.signed_by] == list(acts)
    for s in steps:
        if s.step in acts:
            assert list(s.signed_by) == acts[s.step].signers
            assert s.done == acts[s.step].complete
