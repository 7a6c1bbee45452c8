"""The regulator pages on a real database, with the demo's own filing package and custody
export (`demo_chain`) uploaded as a regulator would: the checklist of `qbank filing verify`
step by step, the custody verdict and timeline, tampered material caught at the right step,
and hostile zips (bombs, path traversal, links) refused without a byte leaving the request's
temporary folder, which is gone afterwards."""

from __future__ import annotations

import html
import io
import json
import re
import stat
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from web_support import csrf_of, sign_in, web_client

from qbank import keys
from qbank.db import open_database
from qbank.filing_check import TrustedKey
from qbank.i18n import tr
from qbank.people import add_person
from web.config import WebConfig
from web.i18n import wt
from workflows.demo import DEMO_INSTITUTION, DEMO_REVIEWER, DEMO_SUPERVISOR
from workflows.filing import verify_filing

REGULATOR, REVIEWER = "赵督导", "李工"
PAGES = ("/verify", "/verify/filing", "/verify/custody")
POSTS = ("/verify/filing", "/verify/custody")
STEPS = [
    "index",
    "signatures",
    "keys",
    "files",
    "merkle_root",
    "items",
    "bank.xlsx",
    "practical",
    "tree",
    "reviews",
    "overlap-theory",
    "overlap-practical",
]


@dataclass(frozen=True)
class Material:
    """What a regulator receives from the demo institution, read once."""

    package_dir: Path
    package: dict[str, bytes]
    custody: dict[str, bytes]
    institution_key: str
    reviewer_key: str
    other_key: str  # a real key, but not the institution's


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def zipped(files: dict[str, bytes], top: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"{top}/{name}" if top else name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def material(demo_chain: Path) -> Material:
    keystore = demo_chain / "keys"
    package_dir = demo_chain / "filings" / "6-31-01-03-4"
    return Material(
        package_dir,
        read_tree(package_dir),
        read_tree(demo_chain / "custody"),
        keys.export_public(DEMO_INSTITUTION, keystore=keystore),
        keys.export_public(DEMO_REVIEWER, keystore=keystore),
        keys.export_public(DEMO_SUPERVISOR, keystore=keystore),
    )


@pytest.fixture(scope="module")
def people_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The regulator's own workspace: 赵督导 (regulator) and 李工 (reviewer), no banks."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web-verify') / 'qbank.db'}"
    db = open_database(url)
    try:
        with db.transaction() as session:
            add_person(session, REGULATOR, ["regulator"], actor="t")
            add_person(session, REVIEWER, ["reviewer"], actor="t")
    finally:
        db.dispose()
    return url


@pytest.fixture
def uploads_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every temporary folder of this test goes here, so the test can see it is emptied."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@contextmanager
def regulator(people_db: str) -> Iterator[tuple[TestClient, WebConfig]]:
    with web_client(people_db, acting_person=REGULATOR) as (client, config):
        sign_in(client, config)
        yield client, config


def post(client: TestClient, path: str, fields: dict[str, str], files: dict[str, Any]) -> Any:
    csrf = csrf_of(client.get(path).text)
    return client.post(path, data={"csrf": csrf, **fields}, files=files)


def verify_package(
    client: TestClient, package: bytes, *key_lines: str, pasted: str = "", name: str = "备案包.zip"
) -> Any:
    files: dict[str, Any] = {"package": (name, package, "application/zip")}
    for n, line in enumerate(key_lines, start=1):
        files[f"key_file_{n}"] = (f"key-{n}.pub", (line + "\n").encode(), "text/plain")
    return post(client, "/verify/filing", {"key_text": pasted}, files)


def verify_export(client: TestClient, export: bytes, key: str = "", **more: Any) -> Any:
    files = {"export": ("保管链.zip", export, "application/zip"), **more}
    return post(client, "/verify/custody", {"key_text": key}, files)


ROW = re.compile(
    r'data-step="([^"]+)" data-status="(\w+)">.*?<td class="detail">(.*?)</td>', re.DOTALL
)


def checklist(page: str) -> list[tuple[str, str, str]]:
    """(step, ok/failed/skipped, detail) of each row of the filing checklist."""
    return [(s, st, html.unescape(d)) for s, st, d in ROW.findall(page)]


def verdict_of(page: str) -> str:
    found = re.search(r'<strong id="verdict" class="verdict-\w+">(\w+)</strong>', page)
    assert found, page
    return found.group(1)


def first_failed(page: str) -> tuple[str, str]:
    return next((s, d) for s, st, d in checklist(page) if st == "failed")


def error_of(page: str) -> str:
    found = re.search(r'id="error-message">(.*?)</p>', page, re.DOTALL)
    assert found, page
    return html.unescape(found.group(1))


def timeline(page: str) -> list[tuple[int, str]]:
    return [(int(p), s) for p, s in re.findall(r'data-position="(\d+)" data-state="(\w+)"', page)]


# --- who may come in ---------------------------------------------------------------------


def test_pages_need_a_session(people_db: str) -> None:
    with web_client(people_db, acting_person=REGULATOR) as (client, _config):
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=")
        for path in POSTS:
            assert client.post(path, data={"csrf": "x"}).status_code == 401


def test_pages_need_the_regulator_role(people_db: str) -> None:
    with web_client(people_db, acting_person=REVIEWER) as (client, config):
        sign_in(client, config)
        csrf = csrf_of(client.get("/").text)
        for path in PAGES:
            refused = client.get(path)
            assert refused.status_code == 403
            assert "鉴定中心/督导员" in error_of(refused.text)
        for path in POSTS:
            assert client.post(path, data={"csrf": csrf}).status_code == 403


def test_uploads_need_the_csrf_token_and_this_origin(people_db: str, material: Material) -> None:
    package = zipped(material.package)
    with regulator(people_db) as (client, config):
        csrf = csrf_of(client.get("/verify/filing").text)
        files = {"package": ("p.zip", package, "application/zip")}
        for path in POSTS:
            refused = client.post(path, data={}, files=files)
            assert refused.status_code == 403
            assert error_of(refused.text) == wt("web.error.csrf")
            wrong = client.post(path, data={"csrf": "A" * len(csrf)}, files=files)
            assert wrong.status_code == 403
        other = client.post(
            "/verify/filing",
            data={"csrf": csrf},
            files=files,
            headers={"origin": "http://evil.example"},
        )
        assert other.status_code == 403
        assert config.origin != "http://evil.example"


def test_landing_names_the_three_verifiers(people_db: str) -> None:
    with regulator(people_db) as (client, _config):
        page = client.get("/verify")
        assert page.status_code == 200
        for link in ('href="/verify/filing"', 'href="/verify/overlap"', 'href="/verify/custody"'):
            assert link in page.text
        assert "核验备案包" in page.text and "核验保管链导出" in page.text
        form = client.get("/verify/filing").text
        assert 'enctype="multipart/form-data"' in form and 'name="csrf"' in form


def test_pages_speak_english_on_request(
    people_db: str, material: Material, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QBANK_LANG", "en")
    with regulator(people_db) as (client, _config):
        assert "Verify a filing package" in client.get("/verify").text
        page = verify_package(client, zipped(material.package))
        missing = post(client, "/verify/custody", {}, {})
    assert "every signer&#39;s key is pinned" in page.text
    assert "signer without a pinned key: " in html.unescape(page.text)
    assert error_of(missing.text) == "choose the custody export zip to upload"


# --- filing packages ---------------------------------------------------------------------


def test_good_package_is_valid_with_the_commands_checklist(
    people_db: str, material: Material, uploads_dir: Path
) -> None:
    pinned = [
        TrustedKey(name, raw, f"key-{n}.pub")
        for n, (name, raw) in enumerate(
            (keys.parse_public(material.institution_key), keys.parse_public(material.reviewer_key)),
            start=1,
        )
    ]
    command = verify_filing(material.package_dir, trusted=pinned).verdict
    with regulator(people_db) as (client, _config):
        page = verify_package(
            client,
            zipped(material.package, top="6-31-01-03-4"),  # a zip of the folder itself
            material.institution_key,
            material.reviewer_key,
        )
    assert page.status_code == 200
    assert verdict_of(page.text) == "VALID"
    assert tr("filing.verified") in page.text
    rows = checklist(page.text)
    assert [s for s, _st, _d in rows] == STEPS
    assert [(s, st, d) for s, st, d in rows] == [(c.check, "ok", c.detail) for c in command.checks]
    assert dict((s, d) for s, _st, d in rows)["items"] == "597 item versions"
    assert f"{DEMO_INSTITUTION} ← key-1.pub" in page.text
    assert list(uploads_dir.iterdir()) == []


def test_keys_may_be_pasted(people_db: str, material: Material) -> None:
    pasted = f"\n{material.institution_key}\n\n{material.reviewer_key}\n"
    with regulator(people_db) as (client, _config):
        page = verify_package(client, zipped(material.package), pasted=pasted)
    assert verdict_of(page.text) == "VALID"
    assert f"{DEMO_REVIEWER} ← 粘贴的文本" in page.text


def test_without_keys_the_signers_are_unpinned(people_db: str, material: Material) -> None:
    with regulator(people_db) as (client, _config):
        page = verify_package(client, zipped(material.package))
    assert page.status_code == 200
    assert verdict_of(page.text) == "INVALID"
    step, detail = first_failed(page.text)
    assert step == "keys"
    assert detail.startswith("signers without a pinned key: ")
    institution_fp = keys.fingerprint(keys.parse_public(material.institution_key)[1])
    assert tr(
        "filing.unpinned",
        name=DEMO_INSTITUTION,
        role="institution",
        fingerprint=institution_fp,
    ) in html.unescape(page.text)
    assert [st for _s, st, _d in checklist(page.text)][3:] == ["skipped"] * 9


def test_wrong_trusted_key_fails_at_the_keys_step(people_db: str, material: Material) -> None:
    _name, other = keys.parse_public(material.other_key)
    impostor = material.other_key.rsplit(" ", 1)[0] + f" {DEMO_INSTITUTION}"
    with regulator(people_db) as (client, _config):
        page = verify_package(client, zipped(material.package), impostor, material.reviewer_key)
    assert verdict_of(page.text) == "INVALID"
    step, detail = first_failed(page.text)
    assert step == "keys"
    assert f"pinned key is {keys.fingerprint(other)}" in detail
    assert "不是固定的公钥" in html.unescape(page.text)


def test_flipped_byte_in_a_member_fails_at_files(people_db: str, material: Material) -> None:
    tree = bytearray(material.package["tree.json"])
    tree[len(tree) // 2] ^= 0x01
    tampered = {**material.package, "tree.json": bytes(tree)}
    with regulator(people_db) as (client, _config):
        page = verify_package(
            client, zipped(tampered), material.institution_key, material.reviewer_key
        )
    assert verdict_of(page.text) == "INVALID"
    assert first_failed(page.text) == ("files", "tree.json changed")
    assert tr("filing.not_verified") in page.text


def test_changed_row_in_bank_xlsx_fails_at_files(people_db: str, material: Material) -> None:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(material.package["bank.xlsx"]))
    sheet = book.worksheets[0]
    row = next(r for r in sheet.iter_rows(min_row=2) if isinstance(r[1].value, str) and r[1].value)
    row[1].value = row[1].value + "（改）"
    changed = io.BytesIO()
    book.save(changed)
    tampered = {**material.package, "bank.xlsx": changed.getvalue()}
    with regulator(people_db) as (client, _config):
        page = verify_package(
            client, zipped(tampered), material.institution_key, material.reviewer_key
        )
    assert verdict_of(page.text) == "INVALID"
    assert first_failed(page.text) == ("files", "bank.xlsx changed")


def test_rehashed_index_fails_at_signatures(people_db: str, material: Material) -> None:
    """Change a file and its hash in the signed index: the signatures no longer verify."""
    import hashlib

    tree = material.package["tree.json"].replace(b'"weight":', b'"weight" :', 1)
    signed = json.loads(material.package["signatures.json"])
    signed["index"]["files"]["tree.json"] = hashlib.sha256(tree).hexdigest()
    tampered = {
        **material.package,
        "tree.json": tree,
        "signatures.json": json.dumps(signed, ensure_ascii=False).encode(),
    }
    with regulator(people_db) as (client, _config):
        page = verify_package(
            client, zipped(tampered), material.institution_key, material.reviewer_key
        )
    assert verdict_of(page.text) == "INVALID"
    step, detail = first_failed(page.text)
    assert step == "signatures"
    assert detail.endswith("does not verify")


# --- what an upload may not be -----------------------------------------------------------


def test_malformed_uploads_are_refused_with_one_message(
    people_db: str, material: Material, uploads_dir: Path
) -> None:
    package = zipped(material.package)
    with regulator(people_db) as (client, _config):
        cases = [
            (post(client, "/verify/filing", {}, {}), "请选择要上传的备案包 zip"),
            (
                verify_package(client, b"not a zip at all", name="包.zip"),
                "上传的 包.zip 不是 zip 压缩包，未读取",
            ),
            (
                verify_package(client, package, "qbank-ed25519 AAAA 某人"),
                "key-1.pub 第 1 行不是公钥",
            ),
            (
                verify_package(client, package, pasted=f"{material.reviewer_key}\nhello"),
                "粘贴的文本 第 2 行不是公钥",
            ),
            (
                verify_export(client, zipped(material.custody), key="x\ny"),
                "粘贴的文本 第 1 行不是公钥",
            ),
            (
                verify_export(
                    client,
                    zipped(material.custody),
                    key=f"{material.institution_key}\n{material.other_key}",
                ),
                "评价机构公钥只能有一个",
            ),
        ]
        for response, message in cases:
            assert response.status_code == 400, message
            assert error_of(response.text).startswith(message)
            assert 'id="result"' not in response.text
    assert list(uploads_dir.iterdir()) == []


def test_zip_bomb_is_refused_before_it_inflates(
    people_db: str, uploads_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QBANK_LIMITS", "member_size=1M")
    bomb = zipped({"bank.xlsx": bytes(16 * 1024 * 1024)})  # 16 MiB of zeros, ~16 KiB zipped
    assert len(bomb) < 100_000
    with regulator(people_db) as (client, _config):
        for response in (
            verify_package(client, bomb, name="bomb.zip"),
            verify_export(client, bomb),
        ):
            assert response.status_code == 400
            message = error_of(response.text)
            assert "member_size" in message and "bank.xlsx" in message
            assert str(uploads_dir) not in message and "qbank-web-" not in message
    assert list(uploads_dir.iterdir()) == []


def test_a_zip_whose_directory_claims_a_huge_member_is_refused(
    people_db: str, uploads_dir: Path
) -> None:
    """The central directory says 300 MiB (over the default 256 MiB a member): refused from
    the directory alone, nothing inflated."""
    small = zipped({"log.jsonl": b"x" * 100})
    at = small.index(b"PK\x01\x02")
    lying = small[: at + 24] + struct.pack("<I", 300 * 1024 * 1024) + small[at + 28 :]
    with regulator(people_db) as (client, _config):
        response = verify_export(client, lying)
    assert response.status_code == 400
    assert "member_size" in error_of(response.text)
    assert list(uploads_dir.iterdir()) == []


def _zip_with(info: zipfile.ZipInfo, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("layout.json", b"{}\n")
        archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["../escaped.txt", "/tmp/escaped.txt", "a/../../escaped.txt"])
def test_path_traversal_is_refused(people_db: str, uploads_dir: Path, name: str) -> None:
    evil = _zip_with(zipfile.ZipInfo(name), b"escaped")
    with regulator(people_db) as (client, _config):
        for response in (verify_export(client, evil), verify_package(client, evil, name="e.zip")):
            assert response.status_code == 400
            assert "文件名不安全" in error_of(response.text)
    assert not list(uploads_dir.parent.rglob("escaped.txt"))
    assert list(uploads_dir.iterdir()) == []


def test_symbolic_links_are_refused(people_db: str, uploads_dir: Path) -> None:
    link = zipfile.ZipInfo("keys/示例评价机构.pub")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    evil = _zip_with(link, b"/etc/passwd")
    with regulator(people_db) as (client, _config):
        for response in (verify_export(client, evil), verify_package(client, evil, name="l.zip")):
            assert response.status_code == 400
            assert error_of(response.text).startswith(
                "上传的 "
            ) and "keys/示例评价机构.pub 是符号链接，已拒绝" in error_of(response.text)
    assert list(uploads_dir.iterdir()) == []


def test_the_browsers_file_name_is_never_a_path(
    people_db: str, material: Material, uploads_dir: Path
) -> None:
    with regulator(people_db) as (client, _config):
        page = verify_package(client, zipped(material.package), name="../../evil<b>.zip")
    assert verdict_of(page.text) == "INVALID"  # no keys given: stops at `keys`, quickly
    assert "evil&lt;b&gt;.zip" in page.text and "<b>" not in page.text
    assert not list(uploads_dir.parent.rglob("evil*"))
    assert list(uploads_dir.iterdir()) == []


# --- custody exports ---------------------------------------------------------------------


def test_custody_export_is_valid_with_its_timeline(
    people_db: str, material: Material, uploads_dir: Path
) -> None:
    entries = [
        json.loads(json.loads(line)["payload"])
        for line in material.custody["log.jsonl"].decode().splitlines()
    ]
    with regulator(people_db) as (client, _config):
        page = verify_export(
            client,
            zipped(material.custody, top="保管链-1"),
            key=material.institution_key,
            checkpoint_1=("7.txt", material.custody[f"checkpoints/{len(entries)}.txt"]),
        )
    assert page.status_code == 200
    assert verdict_of(page.text) == "VALID"
    assert "有效（VALID）：保管链完整" in page.text
    assert timeline(page.text) == [(n, "ok") for n in range(len(entries))]
    text = html.unescape(page.text)
    for entry in entries:
        assert entry["person"]["name"] in text
        assert entry["person"]["fingerprint"] in text
        assert entry["claimed_time"] in text
    bundle = f"{entries[0]['batch']['code']}.tar.age"  # the batch code holds the exam date
    assert tr("custody.step.seal") in text and bundle in text
    assert "已用给出的公钥固定" in text
    assert list(uploads_dir.iterdir()) == []


def test_custody_without_the_institutions_key_is_untrusted(
    people_db: str, material: Material
) -> None:
    with regulator(people_db) as (client, _config):
        page = verify_export(client, zipped(material.custody))
        wrong = verify_export(client, zipped(material.custody), key=material.other_key)
    assert verdict_of(page.text) == "INVALID"
    fingerprint = keys.fingerprint(keys.parse_public(material.institution_key)[1])
    assert fingerprint in page.text and "未给出评价机构公钥" in page.text
    assert all(state == "ok" for _p, state in timeline(page.text))
    assert verdict_of(wrong.text) == "INVALID"
    assert keys.fingerprint(keys.parse_public(material.other_key)[1]) in wrong.text
    assert all(state == "unchecked" for _p, state in timeline(wrong.text))


def test_tampered_custody_entry_is_named(people_db: str, material: Material) -> None:
    lines = material.custody["log.jsonl"].split(b"\n")
    claimed = json.loads(json.loads(lines[3])["payload"])["claimed_time"]
    earlier = str(int(claimed[:4]) - 1) + claimed[4:]
    lines[3] = lines[3].replace(claimed.encode(), earlier.encode(), 1)
    tampered = {**material.custody, "log.jsonl": b"\n".join(lines)}
    with regulator(people_db) as (client, _config):
        page = verify_export(client, zipped(tampered), key=material.institution_key)
    assert page.status_code == 200
    assert verdict_of(page.text) == "INVALID"
    text = html.unescape(page.text)
    assert "无效（INVALID）：第 3 号记录：" in text
    states = timeline(page.text)
    assert states[:4] == [(0, "ok"), (1, "ok"), (2, "ok"), (3, "failed")]
    assert all(state == "unchecked" for _p, state in states[4:])
    assert earlier in text


def test_custody_export_with_a_stray_file_is_invalid(people_db: str, material: Material) -> None:
    stray = {**material.custody, "notes.txt": b"hello"}
    with regulator(people_db) as (client, _config):
        page = verify_export(client, zipped(stray), key=material.institution_key)
    assert verdict_of(page.text) == "INVALID"
    assert "notes.txt" in html.unescape(page.text)


def test_upload_folder_is_the_requests_own_and_goes_away(uploads_dir: Path) -> None:
    from web.uploads import upload_folder

    with upload_folder() as folder:
        assert folder.root.parent == uploads_dir
        saved = folder.save(b"PK", "package.zip")
        assert saved.parent == folder.root
        for name in ("../x.zip", "a/b.zip", "包.zip", "x.zip/..", ".hidden"):
            with pytest.raises(ValueError):
                folder.save(b"", name)
        with pytest.raises(FileExistsError):
            folder.save(b"again", "package.zip")
    assert not folder.root.exists()
    assert list(uploads_dir.iterdir()) == []


def test_cut_short_log_is_incomplete_and_an_earlier_checkpoint_catches_it(
    people_db: str, material: Material
) -> None:
    lines = material.custody["log.jsonl"].split(b"\n")
    kept = {
        name: data
        for name, data in material.custody.items()
        if not name.startswith("checkpoints/") or int(name[12:-4]) <= 3
    }
    short = {**kept, "log.jsonl": b"\n".join(lines[:3]) + b"\n"}
    full_note = material.custody[f"checkpoints/{len(lines) - 1}.txt"]
    with regulator(people_db) as (client, _config):
        page = verify_export(client, zipped(short), key=material.institution_key)
        caught = verify_export(
            client,
            zipped(short),
            key=material.institution_key,
            checkpoint_2=("earlier.txt", full_note),
        )
    assert verdict_of(page.text) == "INCOMPLETE"
    assert timeline(page.text) == [(0, "ok"), (1, "ok"), (2, "ok")]
    assert "已核验 3 / 3 条记录" in page.text
    assert verdict_of(caught.text) == "INVALID"
    assert "日志被截短" in html.unescape(caught.text)
