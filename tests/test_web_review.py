"""The reviewer pages on a real database: the sample bank imported and checked for overlap but
not reviewed, plus a few items of the reviewer's own (回避) and a new version of one item by
an expert. Every route is refused without a session, for the wrong role, without CSRF and
for a bank not granted; decisions are signed exactly as `qbank review` signs them."""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import SAMPLES
from sqlalchemy import select
from web_support import csrf_of, sign_in, web_client

from qbank import access, keys
from qbank.bank import find_bank
from qbank.db import open_database
from qbank.model import AuditEvent, Item, ItemVersion, PracticalSet, Review
from qbank.people import add_person, get_person, public_key_raw, set_public_key
from qbank.queries import current_items, current_sets
from qbank.review import verify_review

REVIEWER, OTHER_REVIEWER, EXPERT = "李审", "钱审", "张命题"
INSTITUTION, REGULATOR = "王机构", "赵督导"
PASSPHRASE = "review-test-passphrase"
OWN_STEMS = ("回避测试：本人命题的第一道判断题。", "回避测试：本人命题的第二道判断题。")
CHANGED_STEM = "职业道德是从业人员在职业活动中应当遵循的、具有职业特征的道德要求和行为准则。"

_BUILT: dict[str, Path] = {}


def _extra_items(folder: Path, guid: str) -> Path:
    """A workbook in the sample's columns: two items written by the reviewer, and a new
    version of item 1 (its 试题编号 `guid`) with a shorter stem."""
    source = openpyxl.load_workbook(SAMPLES / "electrician-4" / "items.xlsx").active
    assert source is not None
    rows = list(source.iter_rows(values_only=True))
    header = list(rows[0])
    first = list(rows[1])
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    changed = list(first)
    changed[header.index("试题编号")] = guid
    changed[header.index("题干")] = CHANGED_STEM
    sheet.append(changed)
    for stem in OWN_STEMS:
        own = list(first)
        own[header.index("题干")] = stem
        own[header.index("作者")] = REVIEWER
        own[header.index("解析")] = "回避测试。"
        sheet.append(own)
    path = folder / "extra.xlsx"
    book.save(path)
    return path


def review_world(factory: pytest.TempPathFactory) -> Path:
    """The database described above, built once per test process; beside it `keys/` holds
    the reviewer's key (passphrase PASSPHRASE). Copy the folder before changing it."""
    if "path" in _BUILT:
        return _BUILT["path"]
    from workflows.demo import check_bank_overlap, import_bank
    from workflows.importing import BankFiles, import_items_file
    from workflows.types import BankRef

    files = BankFiles(
        SAMPLES / "electrician-4",
        BankRef("6-31-01-03", 4, "电工"),
        tree=("tree.xlsx",),
        items=("items.xlsx",),
        practical=tuple(f"practical/DG4-SC-0{i}.yaml" for i in range(1, 7)),
    )
    workspace = factory.mktemp("web-review")
    db = open_database(str(workspace / "qbank.db"))
    try:
        import_bank(db.transaction, files, lambda _line: None)
        with db.transaction() as session:
            guid = session.get_one(Item, 1).guid
        extra = _extra_items(workspace, guid)
        import_items_file(db.transaction, files.bank, extra, actor=EXPERT)
        check_bank_overlap(db.transaction, files.bank, workspace, lambda _line: None)
        signer = keys.generate_signer(REVIEWER, PASSPHRASE, keystore=workspace / "keys")
        with db.transaction() as session:
            bank = find_bank(session, "6-31-01-03", 4)
            reviewer = add_person(session, REVIEWER, ["reviewer"], actor="t")
            set_public_key(session, reviewer, signer.public_key_raw, actor="t")
            add_person(session, OTHER_REVIEWER, ["reviewer"], actor="t")
            add_person(session, EXPERT, ["expert"], actor="t")
            add_person(session, INSTITUTION, ["institution"], actor="t")
            add_person(session, REGULATOR, ["regulator"], actor="t")
            access.grant(session, reviewer, bank, actor="t")
    finally:
        db.dispose()
    _BUILT["path"] = workspace / "qbank.db"
    return _BUILT["path"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return review_world(tmp_path_factory)


@pytest.fixture
def copy(world: Path, tmp_path: Path) -> Path:
    """A copy of the world this test may change."""
    shutil.copytree(world.parent, tmp_path / "w")
    return tmp_path / "w" / world.name


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def settings(path: Path, person: str) -> dict[str, Any]:
    return {"acting_person": person, "keystore": path.parent / "keys"}


def facts(path: Path) -> dict[str, Any]:
    """Ids and versions the tests name: the bank, the reviewer's own items, item 1 (two
    versions, by the expert), and three other pending items."""
    db = open_database(url(path))
    try:
        with db.transaction() as session:
            bank = find_bank(session, "6-31-01-03", 4)
            rows = session.execute(current_items(bank.id).order_by(Item.id)).all()
            own = [(i.id, v.sha256) for i, v in rows if v.author == REVIEWER]
            others = [(i.id, v.sha256) for i, v in rows if v.author is None][1:4]
            item1 = next(v.sha256 for i, v in rows if i.id == 1)
            sets = [
                (s.code, v.sha256)
                for s, v in session.execute(current_sets(bank.id).order_by(PracticalSet.code))
            ]
            return {
                "bank": bank.id,
                "own": own,
                "others": others,
                "item1": item1,
                "sets": sets,
                "total": len(rows),
            }
    finally:
        db.dispose()


def reviews(path: Path) -> list[Review]:
    """Every review row of the database at `path`, oldest first (detached)."""
    db = open_database(url(path))
    try:
        with db.transaction() as session:
            rows = list(session.scalars(select(Review).order_by(Review.id)))
            session.expunge_all()
            return rows
    finally:
        db.dispose()


PAGES = (
    "/review",
    "/review/bank/{bank}",
    "/review/bank/{bank}/queue",
    "/review/bank/{bank}/sets",
    "/review/item/1",
    "/review/bank/{bank}/sets/DG4-SC-01",
)


def decide(client: Any, bank: int, csrf: str, **fields: Any) -> Any:
    data = {"csrf": csrf, "passphrase": PASSPHRASE, "comment": "", **fields}
    return client.post(f"/review/bank/{bank}/decide", data=data)


def subject(pair: tuple[Any, str]) -> str:
    return f"{pair[0]}@{pair[1]}"


# --- refusals --------------------------------------------------------------------------------


def test_without_a_session_pages_send_to_login_and_posts_are_refused(world: Path) -> None:
    f = facts(world)
    with web_client(url(world), **settings(world, REVIEWER)) as (client, _config):
        for path in PAGES:
            response = client.get(path.format(bank=f["bank"]))
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=")
        refused = client.post(f"/review/bank/{f['bank']}/decide", data={"decision": "approved"})
        assert refused.status_code == 401
    assert reviews(world) == []


def test_other_roles_are_refused(world: Path) -> None:
    f = facts(world)
    for person in (REGULATOR, EXPERT):
        with web_client(url(world), **settings(world, person)) as (client, config):
            sign_in(client, config)
            csrf = csrf_of(client.get("/").text)
            for path in PAGES:
                response = client.get(path.format(bank=f["bank"]))
                assert response.status_code == 403, (person, path)
                assert "审题专家" in response.text
            posted = decide(
                client, f["bank"], csrf, decision="approved", item=subject(f["others"][0])
            )
            assert posted.status_code == 403
    assert reviews(world) == []


def test_a_decision_without_the_csrf_token_is_refused(copy: Path) -> None:
    f = facts(copy)
    with web_client(url(copy), **settings(copy, REVIEWER)) as (client, config):
        sign_in(client, config)
        data = {"decision": "approved", "item": subject(f["others"][0]), "passphrase": PASSPHRASE}
        missing = client.post(f"/review/bank/{f['bank']}/decide", data=data)
        assert missing.status_code == 403 and "表单已失效" in missing.text
        wrong = client.post(f"/review/bank/{f['bank']}/decide", data={**data, "csrf": "forged"})
        assert wrong.status_code == 403
    assert reviews(copy) == []


def test_a_bank_not_granted_is_refused_on_every_page(copy: Path) -> None:
    f = facts(copy)
    with web_client(url(copy), **settings(copy, OTHER_REVIEWER)) as (client, config):
        sign_in(client, config)
        listing = client.get("/review")
        assert listing.status_code == 200
        assert f"/review/bank/{f['bank']}" not in listing.text
        assert "qbank person grant" in listing.text
        for path in PAGES[1:]:
            response = client.get(path.format(bank=f["bank"]))
            assert response.status_code == 403, path
            assert "钱审" in response.text
        csrf = csrf_of(listing.text)
        posted = decide(client, f["bank"], csrf, decision="approved", item=subject(f["others"][0]))
        assert posted.status_code == 403
    assert reviews(copy) == []


def test_unknown_bank_and_item_are_not_found(world: Path) -> None:
    with web_client(url(world), **settings(world, INSTITUTION)) as (client, config):
        sign_in(client, config)
        assert client.get("/review/bank/999").status_code == 404
        assert client.get("/review/bank/999/queue").status_code == 404
        assert client.get("/review/item/999999").status_code == 404
        assert client.get("/review/bank/x").status_code == 404


# --- what the pages show ---------------------------------------------------------------------


def test_the_bank_list_shows_counts(world: Path) -> None:
    f = facts(world)
    with web_client(url(world), **settings(world, REVIEWER)) as (client, config):
        sign_in(client, config)
        page = client.get("/review")
    assert page.status_code == 200
    row = re.search(r'<tr>\s*<td><a href="/review/bank/\d+">(.*?)</tr>', page.text, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">(\d+)</td>', row.group(0))
    # items, 判断, 单选, 多选, pending, approved, rejected, sets
    assert cells == [str(f["total"]), "164", "350", "85", str(f["total"]), "0", "0", "6"]
    assert "电工（6-31-01-03）四级" in row.group(1)


def test_the_overview_shows_types_coverage_repetition_progress_and_filing(world: Path) -> None:
    f = facts(world)
    with web_client(url(world), **settings(world, INSTITUTION)) as (client, config):
        sign_in(client, config)
        page = client.get(f"/review/bank/{f['bank']}")
    assert page.status_code == 200
    text = page.text
    assert f"理论知识试题 {f['total']} 题，已审核通过 0 题；下限 500 题" in text
    assert 'id="rule-items" class="bad"' in text
    assert "操作技能试卷 6 套，已审核通过 0 套；下限 5 套" in text
    repetition = re.search(r'<tr id="repetition-theory">(.*?)</tr>', text, re.S)
    assert repetition is not None
    assert '0.67% <span class="muted">(4/599)</span>' in repetition.group(1)
    assert "verdict-PASS" in repetition.group(1)
    assert 'id="repetition-practical"' in text
    chart = re.search(r'<svg class="chart" id="coverage-chart".*?</svg>', text, re.S)
    assert chart is not None
    assert chart.group(0).count('class="weight"') == 25  # the ranges that hold points
    assert "A-A-A 职业道德基本知识" in chart.group(0)
    assert "<script" not in text
    assert text.count('<tr class=""') + text.count('<tr class="bad"') == 96  # every point
    assert "尚未备案" in text
    assert "已记录签名审核结论 0 条" in text


def test_the_overview_of_a_filed_bank_and_of_one_changed_since(
    filed_bank_db: Path, tmp_path: Path
) -> None:
    from conftest import copy_filed_bank

    from workflows.importing import import_items_file
    from workflows.types import BankRef

    path = copy_filed_bank(filed_bank_db, tmp_path / "filed")
    db = open_database(url(path))
    try:
        with db.transaction() as session:
            bank_id = find_bank(session, "6-31-01-03", 4).id
            guid = session.get_one(Item, 1).guid
    finally:
        db.dispose()
    with web_client(url(path), acting_person="示例评价机构") as (client, config):
        sign_in(client, config)
        page = client.get(f"/review/bank/{bank_id}")
        assert page.status_code == 200
        assert "最近一次备案包含全部现行试题" in page.text
        assert 'id="rule-items" class="ok"' in page.text
        assert "已记录签名审核结论 603 条" in page.text
        db = open_database(url(path))
        try:
            extra = _extra_items(tmp_path, guid)
            import_items_file(db.transaction, BankRef("6-31-01-03", 4), extra, actor=EXPERT)
        finally:
            db.dispose()
        changed = client.get(f"/review/bank/{bank_id}")
    assert "最近一次备案之后有 3 道试题新增或修改" in changed.text


def test_coverage_and_chart_follow_the_tree() -> None:
    from qbank.model import KnowledgeNode
    from web.pages.reviewer import chart, coverage, point_path

    nodes = [
        KnowledgeNode(code="A", parent_code=None, name="基本要求", weight=40.0),
        KnowledgeNode(code="A-A", parent_code="A", name="职业道德", weight=40.0),
        KnowledgeNode(code="A-A-001", parent_code="A-A", name="含义", importance="X"),
        KnowledgeNode(code="B", parent_code=None, name="相关知识", weight=60.0),
        KnowledgeNode(code="B-001", parent_code="B", name="电路", importance="Y"),
        KnowledgeNode(code="B-002", parent_code="B", name="电机", importance="X"),
    ]
    bars, points, outside = coverage(nodes, {"A-A-001": 1, "B-001": 2, None: 1, "Z-9": 4})
    assert [(b.code, b.items, b.share, b.weight) for b in bars] == [
        ("A-A", 1, 0.125, 0.4),
        ("B", 2, 0.25, 0.6),
    ]
    assert [(p.code, p.items) for p in points] == [("A-A-001", 1), ("B-001", 2), ("B-002", 0)]
    assert outside == 5
    drawn = chart(bars)
    assert [round(w) for _, _, w, _ in drawn.rows] == [280, 420]  # the largest fills the width
    assert [c.code for c in point_path(nodes, "A-A-001")] == ["A", "A-A", "A-A-001"]
    assert point_path(nodes, "nowhere") == [] and point_path(nodes, None) == []


def queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="item-(\d+)">', html)]


def test_the_queue_filters_and_pages(world: Path) -> None:
    f = facts(world)
    base = f"/review/bank/{f['bank']}/queue"
    with web_client(url(world), **settings(world, REVIEWER)) as (client, config):
        sign_in(client, config)
        first = client.get(base)
        assert first.status_code == 200
        assert "第 1 / 12 页，共 599 条" in first.text
        assert queue_ids(first.text) == list(range(1, 51))
        second = client.get(base + "?page=2")
        assert queue_ids(second.text) == list(range(51, 101))
        multiple = client.get(base + "?type=multiple")
        assert "共 85 条" in multiple.text
        assert "单选题" not in multiple.text.split('id="queue"')[1]
        point = client.get(base + "?point=A-A-A-001&type=single")
        assert point.status_code == 200
        range_wide = client.get(base + "?point=A-A")
        counted = int(re.search(r"共 (\d+) 条", range_wide.text).group(1))  # type: ignore[union-attr]
        assert 0 < counted < 599
        for code in re.findall(r'<tr id="item-\d+">.*?</tr>', range_wide.text, re.S):
            assert "A-A-" in code
        own = client.get(base + "?author=" + REVIEWER)
        assert sorted(queue_ids(own.text)) == [i for i, _ in f["own"]]
        assert own.text.count('class="own"') == 2 and 'name="item"' not in own.text
        by_expert = client.get(base + "?importer=" + EXPERT)
        assert queue_ids(by_expert.text) == [1, *[i for i, _ in f["own"]]]
        assert "v2" in by_expert.text
        approved = client.get(base + "?status=approved")
        assert 'id="empty"' in approved.text
        pending = client.get(base + "?status=draft&type=judgement&page=99")
        assert "第 4 / 4 页，共 164 条" in pending.text
        nonsense = client.get(base + "?type=<script>&status=x&page=-3")
        assert nonsense.status_code == 200 and "共 599 条" in nonsense.text
        nowhere = client.get(base + "?point=nowhere")
        assert nowhere.status_code == 200 and 'id="empty"' in nowhere.text


def test_the_item_card_shows_answer_path_and_differences(world: Path) -> None:
    with web_client(url(world), **settings(world, REVIEWER)) as (client, config):
        sign_in(client, config)
        card = client.get("/review/item/1")
        single = client.get("/review/item/2")
    assert card.status_code == 200
    text = card.text
    assert CHANGED_STEM in text
    assert "√ 正确" in text
    assert "A-A-A 职业道德基本知识" in text and "A-A-A-001 职业道德的含义、特点与作用" in text
    assert 'id="version-2"' in text and 'id="version-1"' in text
    history = text.split('id="history"')[1]
    assert "<del" in history and "<ins" in history
    assert "首次导入" in history
    assert 'name="passphrase"' in text and 'id="approve"' in text
    assert '<li class="answer"><b>B.</b> 非强制性' in single.text
    assert "✓ 正确答案" in single.text


def test_the_reviewers_own_item_card_offers_no_decision(world: Path) -> None:
    f = facts(world)
    with web_client(url(world), **settings(world, REVIEWER)) as (client, config):
        sign_in(client, config)
        card = client.get(f"/review/item/{f['own'][0][0]}")
    assert card.status_code == 200
    assert 'id="own-note"' in card.text and 'id="decide"' not in card.text


def test_the_institution_sees_every_bank_without_signing(world: Path) -> None:
    f = facts(world)
    with web_client(url(world), **settings(world, INSTITUTION)) as (client, config):
        sign_in(client, config)
        assert f"/review/bank/{f['bank']}" in client.get("/review").text
        queue = client.get(f"/review/bank/{f['bank']}/queue")
        assert queue.status_code == 200
        assert 'name="item"' not in queue.text and "只有审题专家可以签名审核" in queue.text
        posted = client.post(
            f"/review/bank/{f['bank']}/decide",
            data={"csrf": csrf_of(queue.text), "passphrase": "x", "decision": "approved"}
            | {"item": subject(f["others"][0])},
        )
        assert posted.status_code == 403  # the signing route is for reviewers only


# --- decisions -------------------------------------------------------------------------------


def test_approving_a_selected_set_signs_each_like_qbank_review(copy: Path) -> None:
    f = facts(copy)
    chosen = f["others"][:2]
    with web_client(url(copy), **settings(copy, REVIEWER)) as (client, config):
        sign_in(client, config)
        queue = client.get(f"/review/bank/{f['bank']}/queue?status=draft&page=1")
        csrf = csrf_of(queue.text)
        back = f"/review/bank/{f['bank']}/queue?status=draft&page=1"
        done = client.post(
            f"/review/bank/{f['bank']}/decide",
            data={
                "csrf": csrf,
                "passphrase": PASSPHRASE,
                "comment": "",
                "decision": "approved",
                "item": [subject(c) for c in chosen],
                "back": back,
            },
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"] == back + "&done=2,0"
        after = client.get(done.headers["location"])
        assert "已记录：通过 2 项，不通过 0 项（均已签名）" in after.text
        assert not set(queue_ids(after.text)) & {c[0] for c in chosen}
    db = open_database(url(copy))
    try:
        with db.transaction() as session:
            reviewer = get_person(session, REVIEWER)
            rows = session.scalars(select(Review).order_by(Review.id)).all()
            assert len(rows) == 2
            for row, (item_id, version) in zip(rows, chosen, strict=True):
                payload = json.loads(row.payload)
                assert payload["format"] == "qbank-review/1"
                assert (payload["id"], payload["version"]) == (item_id, version)
                assert payload["decision"] == "approved" and payload["reviewer"] == REVIEWER
                assert payload["key"] == reviewer.key_fingerprint
                assert verify_review(row, reviewer)
                assert keys.verify(
                    public_key_raw(reviewer), row.payload.encode(), base64.b64decode(row.signature)
                )
                version_row = session.get_one(ItemVersion, row.item_version_id)
                assert version_row.status == "approved"
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("review_%"))
            ).all()
            assert actions == ["review_approved", "review_approved"]
    finally:
        db.dispose()


def test_rejecting_needs_a_comment(copy: Path) -> None:
    f = facts(copy)
    target = f["others"][0]
    with web_client(url(copy), **settings(copy, REVIEWER)) as (client, config):
        sign_in(client, config)
        csrf = csrf_of(client.get(f"/review/item/{target[0]}").text)
        empty = decide(
            client, f["bank"], csrf, decision="rejected", comment="  ", item=subject(target)
        )
        assert empty.status_code == 400
        assert "不通过时必须填写审核意见" in empty.text
        assert reviews(copy) == []
        done = decide(
            client,
            f["bank"],
            csrf,
            decision="rejected",
            comment="答案有误",
            item=subject(target),
            back=f"/review/item/{target[0]}",
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/review/item/{target[0]}?done=0,1"
        card = client.get(done.headers["location"])
        assert "答案有误" in card.text and "有效" in card.text
    (row,) = reviews(copy)
    assert row.decision == "rejected" and row.comment == "答案有误"
    assert json.loads(row.payload)["comment"] == "答案有误"


def test_the_reviewers_own_items_are_refused_through_the_page(copy: Path) -> None:
    f = facts(copy)
    with web_client(url(copy), **settings(copy, REVIEWER)) as (client, config):
        sign_in(client, config)
        csrf = csrf_of(client.get("/review").text)
        alone = decide(client, f["bank"], csrf, decision="approved", item=subject(f["own"][0]))
        assert alone.status_code == 403
        assert "回避原则：李审 不能审核自己命题或导入的试题" in alone.text
        mixed = client.post(
            f"/review/bank/{f['bank']}/decide",
            data={
                "csrf": csrf,
                "passphrase": PASSPHRASE,
                "decision": "approved",
                "item": [subject(f["others"][0]), subject(f["own"][1])],
            },
        )
        assert mixed.status_code == 403 and "回避原则" in mixed.text
    assert reviews(copy) == []


def test_wrong_passphrase_outdated_version_and_empty_choice_record_nothing(copy: Path) -> None:
    f = facts(copy)
    target = f["others"][0]
    with web_client(url(copy), **settings(copy, REVIEWER)) as (client, config):
        sign_in(client, config)
        csrf = csrf_of(client.get("/review").text)
        wrong = decide(
            client, f["bank"], csrf, decision="approved", item=subject(target), passphrase="nope"
        )
        assert wrong.status_code == 400 and PASSPHRASE not in wrong.text
        outdated = decide(
            client, f["bank"], csrf, decision="approved", item=f"{target[0]}@{'0' * 64}"
        )
        assert outdated.status_code == 400 and "新版本" in outdated.text
        nothing = decide(client, f["bank"], csrf, decision="approved")
        assert nothing.status_code == 400 and "没有选择" in nothing.text
        bad = decide(client, f["bank"], csrf, decision="approved", item="1;DROP")
        assert bad.status_code == 400
        odd = decide(client, f["bank"], csrf, decision="maybe", item=subject(target))
        assert odd.status_code == 400
    assert reviews(copy) == []


def test_practical_sets_are_listed_shown_and_decided(copy: Path) -> None:
    f = facts(copy)
    with web_client(url(copy), **settings(copy, REVIEWER)) as (client, config):
        sign_in(client, config)
        page = client.get(f"/review/bank/{f['bank']}/sets")
        assert page.status_code == 200
        assert [c for c, _ in f["sets"]] == re.findall(r'<tr id="set-([^"]+)">', page.text)
        done = client.post(
            f"/review/bank/{f['bank']}/decide",
            data={
                "csrf": csrf_of(page.text),
                "passphrase": PASSPHRASE,
                "decision": "approved",
                "set": [subject(s) for s in f["sets"][:2]],
                "back": f"/review/bank/{f['bank']}/sets?page=1",
            },
        )
        assert done.status_code == 303
        after = client.get(done.headers["location"])
        assert after.text.count("status-approved") == 2
        code, version = f["sets"][2]
        card = client.get(f"/review/bank/{f['bank']}/sets/{code}")
        assert card.status_code == 200
        assert card.text.count('<section class="task"') == 3
        assert "评分标准" in card.text and "否决项" in card.text
        assert 'id="venue"' in card.text
        assert f'name="set" value="{code}@{version}"' in card.text
        rejected = decide(
            client,
            f["bank"],
            csrf_of(card.text),
            decision="rejected",
            comment="评分标准不完整",
            set=f"{code}@{version}",
            back=f"/review/bank/{f['bank']}/sets/{code}",
        )
        assert rejected.headers["location"] == f"/review/bank/{f['bank']}/sets/{code}?done=0,1"
        shown = client.get(rejected.headers["location"]).text
        assert "评分标准不完整" in shown and "status-rejected" in shown
        assert client.get(f"/review/bank/{f['bank']}/sets/NO-SUCH").status_code == 404
    rows = reviews(copy)
    assert [r.decision for r in rows] == ["approved", "approved", "rejected"]
    assert all(r.set_version_id for r in rows)


def test_the_back_link_stays_on_the_reviewer_pages(copy: Path) -> None:
    f = facts(copy)
    with web_client(url(copy), **settings(copy, REVIEWER)) as (client, config):
        sign_in(client, config)
        csrf = csrf_of(client.get("/review").text)
        done = decide(
            client,
            f["bank"],
            csrf,
            decision="approved",
            item=subject(f["others"][0]),
            back="//evil.example/review/item/1",
        )
    assert done.status_code == 303
    assert done.headers["location"] == f"/review/bank/{f['bank']}/queue?done=1,0"


@pytest.fixture
def pg_copy(world: Path) -> Iterator[str]:
    from conftest import copy_to_postgresql, pg_schema_url

    with pg_schema_url() as pg:
        copy_to_postgresql(world, pg)
        yield pg


def test_queue_and_decision_on_postgresql(pg_copy: str, world: Path) -> None:
    f = facts(world)
    with web_client(pg_copy, acting_person=REVIEWER, keystore=world.parent / "keys") as (
        client,
        config,
    ):
        sign_in(client, config)
        queue = client.get(f"/review/bank/{f['bank']}/queue?status=draft&type=single")
        assert "共 350 条" in queue.text
        overview = client.get(f"/review/bank/{f['bank']}")
        assert overview.status_code == 200 and 'id="coverage-chart"' in overview.text
        own = decide(
            client, f["bank"], csrf_of(queue.text), decision="approved", item=subject(f["own"][0])
        )
        assert own.status_code == 403
        done = decide(
            client,
            f["bank"],
            csrf_of(queue.text),
            decision="approved",
            item=subject(f["others"][0]),
        )
        assert done.status_code == 303
        after = client.get(f"/review/bank/{f['bank']}/queue?status=approved")
        assert queue_ids(after.text) == [f["others"][0][0]]
