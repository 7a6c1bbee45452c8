"""The near-duplicate pair pages and the overlap report viewer, through the test client on a
real SQLite bank with planted near-copies (test_overlap_scopes.checked_bank_file: six distinct
items and two rewordings of the first, imported from bank.xlsx and checked by the CLI).

Refusals (no session, wrong role, no CSRF, bank not granted, the reviewer's own item), the
pages' content, and the two signed actions compared with what the engine stores and the keys
verify; the regulator's viewer on the report the check wrote, with and without the items file,
tampered and malformed."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from test_overlap_scopes import OCC, checked_bank_file
from web_support import csrf_of, sign_in, web_client

from qbank import access, keys
from qbank.bank import find_bank
from qbank.db import open_database
from qbank.model import Adjudication, Review
from qbank.overlap.document import OverlapReport
from qbank.people import add_person, get_person, public_key_raw, set_public_key

PASSPHRASES = {"李工": "li-secret-1", "tester": "tester-secret-1"}


@dataclass(frozen=True)
class World:
    db_path: Path
    keystore: Path
    items_xlsx: Path
    report_json: Path
    bank_id: int
    pairs: list[tuple[int, int]]  # most similar first, as the list shows them


def build_world(folder: Path) -> World:
    """The checked bank in `folder` with 李工 (reviewer, granted, key), tester (reviewer,
    granted, key: the importer of every item), 王工 (reviewer, not granted) and 赵督导
    (regulator), 评价机构 (institution: sees every bank, signs nothing). Keys in `folder/keys`, passphrases in PASSPHRASES."""
    url = f"sqlite:///{folder / 'qbank.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QBANK_USER", "tester")
        items_xlsx, report_json = checked_bank_file(folder, url)
    keystore = folder / "keys"
    db = open_database(url)
    try:
        with db.transaction() as session:
            bank = find_bank(session, OCC, 4)
            for name, passphrase in PASSPHRASES.items():
                person = add_person(session, name, ["reviewer"], actor="t")
                signer = keys.generate_signer(name, passphrase, keystore=keystore)
                set_public_key(session, person, signer.public_key_raw, actor="t")
                access.grant(session, person, bank, actor="t")
            add_person(session, "王工", ["reviewer"], actor="t")
            add_person(session, "赵督导", ["regulator"], actor="t")
            add_person(session, "评价机构", ["institution"], actor="t")
            bank_id = bank.id
    finally:
        db.dispose()
    report = OverlapReport.from_json(json.loads(report_json.read_text("utf-8")))
    ordered = sorted(report.pairs, key=lambda p: (-p.similarity, str(p.a), str(p.b)))
    pairs = [(int(p.a), int(p.b)) for p in ordered]
    assert len(pairs) == 3
    return World(folder / "qbank.db", keystore, items_xlsx, report_json, bank_id, pairs)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("web-pairs"))


@pytest.fixture
def fresh(world: World, tmp_path: Path) -> str:
    """A copy of the world's database, free to change."""
    copy = tmp_path / "qbank.db"
    shutil.copy(world.db_path, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def read_only(world: World) -> str:
    return f"sqlite:///{world.db_path}"


@pytest.fixture
def as_li(world: World, fresh: str) -> Iterator[Any]:
    with web_client(fresh, acting_person="李工", keystore=world.keystore, page_size=2) as (
        client,
        config,
    ):
        sign_in(client, config)
        yield client


def _url(world: World, k: int = 0) -> str:
    a, b = world.pairs[k]
    return f"/review/bank/{world.bank_id}/pairs/{a}/{b}"


def _count(url: str, model: Any) -> int:
    db = open_database(url)
    try:
        with db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        db.dispose()


def _current_versions(url: str, ids: tuple[int, int]) -> tuple[str, str]:
    from qbank.queries import current_items

    db = open_database(url)
    try:
        with db.transaction() as session:
            found = {i.id: v.sha256 for i, v in session.execute(current_items(item_ids=ids))}
            return found[ids[0]], found[ids[1]]
    finally:
        db.dispose()


def _form(client: Any, page_url: str, form_id: str, **fields: str) -> dict[str, str]:
    """The hidden fields of the form `form_id` on the page, with `fields` filled in."""
    import re

    html = client.get(page_url).text
    start = html.index(f'id="{form_id}"')
    block = html[start : html.index("</form>", start)]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', block))
    data.update(fields)
    return data


# --- refusals -------------------------------------------------------------------------------


def test_pages_need_a_session(world: World, read_only: str) -> None:
    with web_client(read_only, acting_person="李工", keystore=world.keystore) as (client, _):
        listing = client.get(f"/review/bank/{world.bank_id}/pairs")
        assert listing.status_code == 303 and listing.headers["location"].startswith("/login")
        assert client.get(_url(world)).status_code == 303
        assert client.get("/verify/overlap").status_code == 303
        for action in ("adjudicate", "reject"):
            assert client.post(f"{_url(world)}/{action}", data={"csrf": "x"}).status_code == 401
        assert client.post("/verify/overlap", data={"csrf": "x"}).status_code == 401


def test_wrong_role_is_refused(world: World, read_only: str) -> None:
    with web_client(read_only, acting_person="赵督导") as (client, config):
        sign_in(client, config)
        assert client.get(f"/review/bank/{world.bank_id}/pairs").status_code == 403
        page = client.get(_url(world))
        assert page.status_code == 403 and "审题专家" in page.text
        csrf = csrf_of(client.get("/verify/overlap").text)
        refused = client.post(f"{_url(world)}/adjudicate", data={"csrf": csrf})
        assert refused.status_code == 403
    with web_client(read_only, acting_person="李工") as (client, config):
        sign_in(client, config)
        assert client.get("/verify/overlap").status_code == 403


def test_csrf_is_required(world: World, as_li: Any, fresh: str) -> None:
    fields = _form(as_li, _url(world), "adjudicate", passphrase=PASSPHRASES["李工"])
    del fields["csrf"]
    assert as_li.post(f"{_url(world)}/adjudicate", data=fields).status_code == 403
    wrong = {**fields, "csrf": "not-the-token"}
    assert as_li.post(f"{_url(world)}/adjudicate", data=wrong).status_code == 403
    assert _count(fresh, Adjudication) == 0


def test_regulator_upload_needs_csrf(world: World, read_only: str) -> None:
    with web_client(read_only, acting_person="赵督导") as (client, config):
        sign_in(client, config)
        files = {"report": ("r.json", world.report_json.read_bytes(), "application/json")}
        assert client.post("/verify/overlap", files=files).status_code == 403


def test_a_bank_not_granted_is_refused(world: World, fresh: str) -> None:
    with web_client(fresh, acting_person="王工", keystore=world.keystore) as (client, config):
        sign_in(client, config)
        listing = client.get(f"/review/bank/{world.bank_id}/pairs")
        assert listing.status_code == 403
        assert client.get(_url(world)).status_code == 403
        csrf = csrf_of(client.get("/").text)
        a, _b = world.pairs[0]
        posted = client.post(
            f"{_url(world)}/reject",
            data={"csrf": csrf, "item": str(a), "comment": "重复", "passphrase": "x"},
        )
        assert posted.status_code == 403
    assert _count(fresh, Review) == _count(f"sqlite:///{world.db_path}", Review)


def test_unknown_bank_and_a_pair_not_in_the_report(world: World, as_li: Any) -> None:
    missing = as_li.get("/review/bank/999/pairs")
    assert missing.status_code == 404 and "没有编号为 999 的题库" in missing.text
    not_pair = as_li.get(f"/review/bank/{world.bank_id}/pairs/2/3")
    assert not_pair.status_code == 404
    assert "不是本题库最新重复率报告中的相似题对" in not_pair.text


# --- the reviewer's pages -------------------------------------------------------------------


def test_pair_list_pages_the_latest_report(world: World, as_li: Any) -> None:
    first = as_li.get(f"/review/bank/{world.bank_id}/pairs")
    assert first.status_code == 200
    assert "重复率 25%（上限 30%），合格" in first.text
    assert "相似题对 3 对（其中报告生成时已裁定 0 对）" in first.text
    assert "第 1 / 2 页，共 3 条" in first.text
    (a, b), (c, d), (e, f) = world.pairs
    assert f'pairs/{a}/{b}"' in first.text and f'pairs/{c}/{d}"' in first.text
    assert f'pairs/{e}/{f}"' not in first.text
    assert '<td class="num">1</td>' in first.text  # the verbatim copy comes first
    assert first.text.count("待处理") == 2
    second = as_li.get(f"/review/bank/{world.bank_id}/pairs?page=2")
    assert f'pairs/{e}/{f}"' in second.text and "第 2 / 2 页" in second.text


def test_pair_page_shows_both_items_and_their_differences(world: World, as_li: Any) -> None:
    a, b = world.pairs[1]  # 0.923: a rewording, so the texts differ
    page = as_li.get(f"/review/bank/{world.bank_id}/pairs/{a}/{b}")
    assert page.status_code == 200
    assert f'id="item-{a}"' in page.text and f'id="item-{b}"' in page.text
    assert "热继电器" in page.text and "A. 过载" in page.text
    assert 'class="diff-' in page.text
    assert "词集相似度（Jaccard，报告）0.9231" in page.text
    assert "尚无裁定" in page.text
    assert 'value="考查内容不同"' in page.text
    assert 'name="passphrase"' in page.text and 'type="password"' in page.text


def test_adjudication_is_signed_as_overlap_mark_signs_it(
    world: World, as_li: Any, fresh: str
) -> None:
    url = _url(world)
    wrong = _form(as_li, url, "adjudicate", passphrase="not-it", reason="考查内容不同")
    refused = as_li.post(f"{url}/adjudicate", data=wrong)
    assert refused.status_code == 400 and "口令" in refused.text
    assert _count(fresh, Adjudication) == 0
    fields = _form(as_li, url, "adjudicate", passphrase=PASSPHRASES["李工"], reason="考查内容不同")
    done = as_li.post(f"{url}/adjudicate", data=fields)
    assert done.status_code == 303 and done.headers["location"] == f"{url}?done=adjudicated"
    db = open_database(fresh)
    try:
        with db.transaction() as session:
            (mark,) = session.scalars(select(Adjudication)).all()
            li = get_person(session, "李工")
            payload = json.loads(mark.payload or "")
            assert payload["format"] == "qbank-adjudication/1"
            assert payload["items"] == sorted(world.pairs[0])
            assert payload["judgement"] == "distinct" and payload["reason"] == "考查内容不同"
            assert payload["reviewer"] == "李工" and payload["key"] == li.key_fingerprint
            assert sorted((fields["version_a"], fields["version_b"])) == payload["versions"]
            assert keys.verify(
                public_key_raw(li),
                (mark.payload or "").encode("utf-8"),
                base64.b64decode(mark.signature or ""),
            )
    finally:
        db.dispose()
    shown = as_li.get(done.headers["location"])
    assert "已签名裁定" in shown.text and "有效（针对两题的现行版本）" in shown.text
    listing = as_li.get(f"/review/bank/{world.bank_id}/pairs")
    assert "已裁定（李工）" in listing.text


def test_adjudication_refuses_a_stale_page_and_an_empty_reason(
    world: World, as_li: Any, fresh: str
) -> None:
    url = _url(world)
    stale = _form(
        as_li,
        url,
        "adjudicate",
        passphrase=PASSPHRASES["李工"],
        version_a="0" * 64,
        reason="考查内容不同",
    )
    refused = as_li.post(f"{url}/adjudicate", data=stale)
    assert refused.status_code == 400 and "已有新版本" in refused.text
    empty = _form(as_li, url, "adjudicate", passphrase=PASSPHRASES["李工"], reason="  ")
    refused = as_li.post(f"{url}/adjudicate", data=empty)
    assert refused.status_code == 400 and "请填写裁定理由" in refused.text
    assert _count(fresh, Adjudication) == 0


def test_rejecting_one_item_is_a_signed_review(world: World, as_li: Any, fresh: str) -> None:
    url = _url(world)
    _a, b = world.pairs[0]
    before = _count(fresh, Review)
    no_comment = _form(as_li, url, "reject", item=str(b), passphrase=PASSPHRASES["李工"])
    refused = as_li.post(f"{url}/reject", data=no_comment)
    assert refused.status_code == 400 and "必须填写审核意见" in refused.text
    other = _form(as_li, url, "reject", item="2", comment="x", passphrase=PASSPHRASES["李工"])
    assert as_li.post(f"{url}/reject", data=other).status_code == 400
    assert _count(fresh, Review) == before
    fields = _form(
        as_li, url, "reject", item=str(b), comment="与另一题重复", passphrase=PASSPHRASES["李工"]
    )
    done = as_li.post(f"{url}/reject", data=fields)
    assert done.status_code == 303, done.text
    db = open_database(fresh)
    try:
        with db.transaction() as session:
            row = session.scalars(select(Review).order_by(Review.id.desc())).first()
            assert row is not None and row.decision == "rejected"
            assert row.comment == "与另一题重复"
            payload = json.loads(row.payload)
            assert payload["reviewer"] == "李工" and payload["decision"] == "rejected"
            assert payload["version"] == fields[f"version_{b}"]
            li = get_person(session, "李工")
            assert keys.verify(
                public_key_raw(li), row.payload.encode("utf-8"), base64.b64decode(row.signature)
            )
    finally:
        db.dispose()
    assert _count(fresh, Review) == before + 1
    shown = as_li.get(done.headers["location"])
    assert "已签名：该题审核不通过" in shown.text
    assert 'class="status-rejected"' in shown.text


def test_own_items_are_refused_avoidance(world: World, fresh: str) -> None:
    """tester imported every item: the page says so, and both actions are refused (回避)."""
    url = _url(world)
    a, _b = world.pairs[0]
    with web_client(fresh, acting_person="tester", keystore=world.keystore) as (client, config):
        sign_in(client, config)
        page = client.get(url)
        assert "本人试题（回避）" in page.text and 'id="recused"' in page.text
        fields = _form(
            client, url, "reject", item=str(a), comment="重复", passphrase=PASSPHRASES["tester"]
        )
        refused = client.post(f"{url}/reject", data=fields)
        assert refused.status_code == 403 and "回避原则" in refused.text
        mark = _form(
            client, url, "adjudicate", passphrase=PASSPHRASES["tester"], reason="考查内容不同"
        )
        refused = client.post(f"{url}/adjudicate", data=mark)
        assert refused.status_code == 403 and "回避原则" in refused.text
    assert _count(fresh, Adjudication) == 0
    assert _count(fresh, Review) == _count(f"sqlite:///{world.db_path}", Review)


def test_a_bank_never_checked_says_so(world: World, fresh: str) -> None:
    from qbank.bank import ensure_bank

    db = open_database(fresh)
    try:
        with db.transaction() as session:
            other = ensure_bank(session, OCC, 3, actor="t")
            access.grant(session, get_person(session, "李工"), other, actor="t")
            other_id = other.id
    finally:
        db.dispose()
    with web_client(fresh, acting_person="李工") as (client, config):
        sign_in(client, config)
        page = client.get(f"/review/bank/{other_id}/pairs")
        assert page.status_code == 200 and 'id="no-report"' in page.text


# --- the regulator's viewer -----------------------------------------------------------------


@pytest.fixture
def as_regulator(world: World, read_only: str) -> Iterator[tuple[Any, str]]:
    with web_client(read_only, acting_person="赵督导") as (client, config):
        sign_in(client, config)
        page = client.get("/verify/overlap")
        assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
        yield client, csrf_of(page.text)


def _upload(client: Any, csrf: str, report: bytes, items: Path | None = None) -> Any:
    files: dict[str, Any] = {"report": ("重复率报告.json", report, "application/json")}
    if items is not None:
        files["items"] = (items.name, items.read_bytes(), "application/octet-stream")
    return client.post("/verify/overlap", data={"csrf": csrf}, files=files)


def test_report_alone_shows_its_own_figures(world: World, as_regulator: tuple[Any, str]) -> None:
    client, csrf = as_regulator
    page = _upload(client, csrf, world.report_json.read_bytes())
    assert page.status_code == 200
    assert 'id="not-rederived"' in page.text and "没有上传报告所针对的试题文件" in page.text
    assert '<td id="rate">25%</td>' in page.text
    assert "合格" in page.text and "2 / 8" in page.text
    assert "相似题对（共 3 对）" in page.text
    assert page.text.count('class="bar"') >= 1 and "<svg" in page.text
    a, b = world.pairs[0]
    assert f"{a} ~ {b}" in page.text
    assert "3 题：" in page.text  # the one cluster


def test_report_with_its_items_file_is_rederived(
    world: World, as_regulator: tuple[Any, str]
) -> None:
    client, csrf = as_regulator
    page = _upload(client, csrf, world.report_json.read_bytes(), world.items_xlsx)
    assert page.status_code == 200, page.text
    assert "核验通过：报告中的每一项数字均可重新得出" in page.text
    assert "不一致" not in page.text
    assert "热继电器" in page.text and 'class="diff-' in page.text


def test_a_tampered_report_fails_at_the_figure(world: World, as_regulator: tuple[Any, str]) -> None:
    client, csrf = as_regulator
    data = json.loads(world.report_json.read_text("utf-8"))
    data["rate"] = 0.0
    page = _upload(client, csrf, json.dumps(data, ensure_ascii=False).encode(), world.items_xlsx)
    assert page.status_code == 200
    assert "核验未通过" in page.text
    row = page.text[page.text.index("<td>rate</td>") :]
    row = row[: row.index("</tr>")]
    assert "不一致" in row and ">0.0</td>" in row and ">0.25</td>" in row


def test_a_malformed_report_names_the_field(world: World, as_regulator: tuple[Any, str]) -> None:
    client, csrf = as_regulator
    data = json.loads(world.report_json.read_text("utf-8"))
    data["pairs"][1]["similarity"] = "high"
    page = _upload(client, csrf, json.dumps(data).encode())
    assert page.status_code == 400 and "pairs[1].similarity" in page.text
    assert "重复率报告.json" in page.text
    garbage = _upload(client, csrf, b"\x00not json")
    assert garbage.status_code == 400 and "不是 qbank 重复率报告" in garbage.text
    none = client.post("/verify/overlap", data={"csrf": csrf})
    assert none.status_code == 400 and "请选择重复率报告文件" in none.text


def test_histogram_bins_pairs_by_similarity(world: World) -> None:
    from web.pages.pairs import chart_of, histogram

    report = OverlapReport.from_json(json.loads(world.report_json.read_text("utf-8")))
    bars = histogram(report)
    assert bars[0].low <= float(report.threshold) < bars[0].high
    assert bars[-1].high == 1.0
    assert sum(b.count for b in bars) == 3 and bars[-1].count == 1  # 0.92, 0.92 and 1.0
    assert bars[-2].count == 2
    chart = chart_of(bars)
    assert chart.top == 2 and len(chart.bars) == len(bars)
    assert chart.bars[-1]["h"] > 0 and chart.bars[0]["h"] == 0


def test_pages_in_english(world: World, read_only: str) -> None:
    from qbank.i18n import set_language

    set_language("en")
    url = _url(world)
    with web_client(read_only, acting_person="李工", keystore=world.keystore) as (client, config):
        sign_in(client, config)
        listing = client.get(f"/review/bank/{world.bank_id}/pairs")
        assert listing.status_code == 200 and "Near-duplicate pairs" in listing.text
        assert "repetition 25% (cap 30%), pass" in listing.text
        page = client.get(url)
        assert page.status_code == 200 and "Sign the mark" in page.text
        assert "token-set similarity (Jaccard, from the report) 1" in page.text
    with web_client(read_only, acting_person="赵督导") as (client, config):
        sign_in(client, config)
        csrf = csrf_of(client.get("/verify/overlap").text)
        shown = _upload(client, csrf, world.report_json.read_bytes(), world.items_xlsx)
        assert shown.status_code == 200 and "verified: every figure re-derives" in shown.text


def test_wrong_passphrases_lock_signing(world: World, fresh: str) -> None:
    url = _url(world)
    with web_client(fresh, acting_person="李工", keystore=world.keystore, login_attempts=2) as (
        client,
        config,
    ):
        sign_in(client, config)
        wrong = _form(client, url, "adjudicate", passphrase="nope", reason="考查内容不同")
        for _ in range(2):
            assert client.post(f"{url}/adjudicate", data=wrong).status_code == 400
        right = {**wrong, "passphrase": PASSPHRASES["李工"]}
        locked = client.post(f"{url}/adjudicate", data=right)
        assert locked.status_code == 400 and "口令错误次数过多" in locked.text
    assert _count(fresh, Adjudication) == 0


def test_a_mark_lapses_with_a_new_version(world: World, as_li: Any, fresh: str) -> None:
    """Adjudicate (1, 7), then item 7 (the first planted copy) gets a new version: the page
    shows the mark as lapsed, the list has the pair open again, and the old form is refused."""
    import dataclasses

    from test_overlap_scopes import COPIES

    from qbank.items import import_items

    a, b = world.pairs[1]
    url = f"/review/bank/{world.bank_id}/pairs/{a}/{b}"
    fields = _form(as_li, url, "adjudicate", passphrase=PASSPHRASES["李工"], reason="考查内容不同")
    assert as_li.post(f"{url}/adjudicate", data=fields).status_code == 303
    assert "已裁定（李工）" in as_li.get(f"/review/bank/{world.bank_id}/pairs").text
    db = open_database(fresh)
    try:
        with db.transaction() as session:
            bank = find_bank(session, OCC, 4)
            changed = dataclasses.replace(COPIES[0], answer="B")
            import_items(session, bank, [changed], source="t.xlsx", actor="tester")
    finally:
        db.dispose()
    page = as_li.get(url)
    assert "已失效（其中一题已有新版本）" in page.text and "有效（针对两题" not in page.text
    assert "已裁定（李工）" not in as_li.get(f"/review/bank/{world.bank_id}/pairs").text
    stale = as_li.post(f"{url}/adjudicate", data=fields)
    assert stale.status_code == 400 and "已有新版本" in stale.text
    assert _count(fresh, Adjudication) == 1


def test_pages_on_postgresql(world: World, pg_url: str) -> None:
    """The same pages and both signed actions on the PostgreSQL server."""
    from conftest import copy_to_postgresql

    copy_to_postgresql(world.db_path, pg_url)
    url = _url(world)
    _a, b = world.pairs[0]
    with web_client(pg_url, acting_person="李工", keystore=world.keystore) as (client, config):
        sign_in(client, config)
        listing = client.get(f"/review/bank/{world.bank_id}/pairs")
        assert listing.status_code == 200 and "第 1 / 1 页，共 3 条" in listing.text
        mark = _form(
            client, url, "adjudicate", passphrase=PASSPHRASES["李工"], reason="考查内容不同"
        )
        assert client.post(f"{url}/adjudicate", data=mark).status_code == 303
        reject = _form(
            client, url, "reject", item=str(b), comment="重复", passphrase=PASSPHRASES["李工"]
        )
        assert client.post(f"{url}/reject", data=reject).status_code == 303
        page = client.get(url)
        assert "有效（针对两题的现行版本）" in page.text and 'class="status-rejected"' in page.text
    assert _count(pg_url, Adjudication) == 1


def test_institution_sees_every_bank_but_signs_nothing(world: World, fresh: str) -> None:
    url = _url(world)
    with web_client(fresh, acting_person="评价机构", keystore=world.keystore) as (client, config):
        sign_in(client, config)
        assert client.get(f"/review/bank/{world.bank_id}/pairs").status_code == 200
        page = client.get(url)
        assert page.status_code == 200 and 'id="not-reviewer"' in page.text
        assert 'id="adjudicate"' not in page.text
        csrf = csrf_of(page.text)
        versions = _current_versions(fresh, world.pairs[0])
        posted = client.post(
            f"{url}/adjudicate",
            data={"csrf": csrf, "reason": "考查内容不同", "passphrase": "x"}
            | {"version_a": versions[0], "version_b": versions[1]},
        )
        assert posted.status_code == 403  # the route signs for reviewers only
    assert _count(fresh, Adjudication) == 0
