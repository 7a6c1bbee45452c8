"""The commands around the workspace: `qbank serve` (its refusals, the printed one-time link,
and TLS beyond loopback, run as a real process), `qbank person password` (scrypt, audited
without the hash) and `qbank person grant/revoke`."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import queue
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest
from browser_support import free_port
from click.testing import CliRunner, Result
from sqlalchemy import select
from web_support import CSRF

from cli.main import cli
from qbank import access
from qbank.bank import ensure_bank, find_bank
from qbank.db import open_database
from qbank.model import AuditEvent, Person
from qbank.passwords import hash_password, verify_password
from qbank.people import add_person, get_person, set_password_hash

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
OCCUPATION, LEVEL = "6-31-01-03", 4


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """李工 (reviewer) and 王老师 (staff) and the bank 6-31-01-03 level 4, nothing granted."""
    path = tmp_path_factory.mktemp("web-cli") / "qbank.db"
    db = open_database(f"sqlite:///{path}")
    try:
        with db.transaction() as session:
            add_person(session, "李工", ["reviewer"], actor="t")
            add_person(session, "王老师", ["staff"], actor="t")
            ensure_bank(session, OCCUPATION, LEVEL, actor="t")
    finally:
        db.dispose()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    """A fresh copy of `template_db` for one test."""
    path = tmp_path / "qbank.db"
    shutil.copy(template_db, path)
    return path


def run(args: Sequence[str], db: Path, **env: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", str(db)], env=env or None)


def _password_hash(db: Path, name: str) -> str | None:
    handle = open_database(f"sqlite:///{db}")
    try:
        with handle.transaction() as session:
            return get_person(session, name).password_hash
    finally:
        handle.dispose()


def _events(db: Path, action: str) -> list[AuditEvent]:
    handle = open_database(f"sqlite:///{db}")
    try:
        with handle.transaction() as session:
            return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
    finally:
        handle.dispose()


# --- qbank serve: refusals before anything listens ---------------------------------------------


def test_serve_beyond_loopback_needs_tls(db_path: Path) -> None:
    result = run(["serve", "--host", "10.1.2.3", "--port", "9"], db_path)
    assert result.exit_code == 1
    assert (
        "在本机以外的地址（10.1.2.3）提供服务必须同时给出 --cert 和 --key（TLS）" in result.output
    )


def test_serve_refuses_as_beyond_loopback(db_path: Path, tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("x")
    args = ["serve", "--host", "10.1.2.3", "--cert", str(cert), "--key", str(key), "--as", "李工"]
    result = run(args, db_path)
    assert result.exit_code == 1
    assert "--as 只能用于本机地址；在 10.1.2.3 上每个人须用密码登录" in result.output


def test_serve_refuses_an_unknown_person(db_path: Path) -> None:
    result = run(["serve", "--as", "没有此人", "--port", str(free_port())], db_path)
    assert result.exit_code == 1
    assert "没有登记人员 没有此人" in result.output


# --- qbank serve as a real process --------------------------------------------------------------


@contextmanager
def serving(args: Sequence[str], db: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """`qbank serve ARGS --db DB` in a child process; yields it and the lines it printed up to
    the first URL. Stopped (terminate, then kill) when the block ends."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), "QBANK_LANG": "zh"}
    child = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", *args, "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=db.parent,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    printed: list[str] = []
    try:
        while not any("://" in line for line in printed):
            line = lines.get(timeout=60)
            if line is None:
                pytest.fail("qbank serve ended early:\n" + "\n".join(printed))
            printed.append(line)
        yield child, printed
    finally:
        child.terminate()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


def _first_url(lines: Sequence[str]) -> str:
    for line in lines:
        start = line.find("http")
        if start >= 0:
            return line[start:].split()[0]
    raise AssertionError(f"no URL in {lines}")


def _get_when_up(client: httpx.Client, url: str) -> httpx.Response:
    """GET `url`, retrying while the server is still binding its port (at most 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return client.get(url)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_prints_a_one_time_link_that_signs_in(db_path: Path) -> None:
    port = free_port()
    with serving(["serve", "--port", str(port), "--as", "李工"], db_path) as (_child, printed):
        assert "qbank 工作台已启动。请在本机浏览器中打开（链接只能使用一次）：" in printed
        url = _first_url(printed)
        assert url.startswith(f"http://127.0.0.1:{port}/auth?token=")
        with httpx.Client(follow_redirects=False, timeout=30) as browser:
            signed_in = _get_when_up(browser, url)
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
            cookie = signed_in.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie
            home = browser.get(f"http://127.0.0.1:{port}/")
            assert home.status_code == 200 and "李工" in home.text
        with httpx.Client(follow_redirects=False, timeout=30) as other:
            assert other.get(url).status_code == 403  # the link works once
            assert other.get(url, headers={"host": "evil.example"}).status_code == 400


def _own_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one that is
    not loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routing only, nothing is sent
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if ipaddress.ip_address(address).is_loopback else address


def _self_signed(address: str, folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_serve_beyond_loopback_over_tls_with_passwords(db_path: Path, tmp_path: Path) -> None:
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to serve TLS on")
    cert, key = _self_signed(address, tmp_path)
    handle = open_database(f"sqlite:///{db_path}")
    try:
        with handle.transaction() as session:
            person = get_person(session, "李工")
            set_password_hash(session, person, hash_password(PASSWORD), actor="t")
    finally:
        handle.dispose()
    port = free_port()
    args = ["serve", "--host", address, "--port", str(port), "--cert", str(cert), "--key", str(key)]
    with serving(args, db_path) as (_child, printed):
        origin = f"https://{address}:{port}"
        assert _first_url(printed) == origin
        assert not any("token=" in line for line in printed)
        trust = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(verify=trust, follow_redirects=False, timeout=30) as browser:
            form = _get_when_up(browser, f"{origin}/login")
            assert form.status_code == 200
            assert browser.get(f"{origin}/auth?token=x").status_code == 403
            found = CSRF.search(form.text)
            assert found
            data = {"csrf": found.group(1), "name": "李工", "password": PASSWORD, "next": "/"}
            signed_in = browser.post(f"{origin}/login", data=data)
            assert signed_in.status_code == 303
            assert "secure" in signed_in.headers["set-cookie"].lower()
            assert "李工" in browser.get(f"{origin}/").text
        with httpx.Client(timeout=10) as plain, pytest.raises(httpx.HTTPError):
            plain.get(f"http://{address}:{port}/login")  # no plain HTTP beside TLS


# --- qbank person password ----------------------------------------------------------------------


def test_password_from_the_environment_is_stored_as_scrypt(db_path: Path) -> None:
    result = run(["person", "password", "李工"], db_path, QBANK_PASSWORD=PASSWORD)
    assert result.exit_code == 0, result.output
    assert result.output == "已设置 李工 的登录密码\n"
    stored = _password_hash(db_path, "李工")
    assert stored is not None and stored.startswith("scrypt$15$8$1$")
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "!", stored)
    events = _events(db_path, "set_password")
    assert len(events) == 1
    assert events[0].detail == {"replaced": False}
    assert events[0].actor == "tester"
    assert PASSWORD.encode() not in db_path.read_bytes()  # the password itself is nowhere
    again = run(["person", "password", "李工"], db_path, QBANK_PASSWORD=PASSWORD + " 2")
    assert again.exit_code == 0
    assert _events(db_path, "set_password")[-1].detail == {"replaced": True}
    assert _password_hash(db_path, "李工") != stored


def test_password_is_asked_twice_without_the_environment(db_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["person", "password", "王老师", "--db", str(db_path)],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert verify_password(PASSWORD, _password_hash(db_path, "王老师"))


def test_a_short_password_is_refused_and_nothing_changes(db_path: Path) -> None:
    result = run(["person", "password", "李工"], db_path, QBANK_PASSWORD="short")
    assert result.exit_code == 1
    assert "密码长度须在 10 到 1024 个字符之间" in result.output
    assert _password_hash(db_path, "李工") is None
    assert _events(db_path, "set_password") == []


def test_password_for_an_unknown_person_is_refused(db_path: Path) -> None:
    result = run(["person", "password", "没有此人"], db_path, QBANK_PASSWORD=PASSWORD)
    assert result.exit_code == 1
    assert "没有此人" in result.output


# --- qbank person grant / revoke ----------------------------------------------------------------


def _may_see(db: Path, name: str) -> bool:
    handle = open_database(f"sqlite:///{db}")
    try:
        with handle.transaction() as session:
            bank = find_bank(session, OCCUPATION, LEVEL)
            person = session.scalars(select(Person).where(Person.name == name)).one()
            return access.may_see_bank(session, person, bank)
    finally:
        handle.dispose()


def test_grant_and_revoke_a_bank(db_path: Path) -> None:
    bank = ["--occupation", OCCUPATION, "--level", str(LEVEL)]
    assert not _may_see(db_path, "王老师")
    first = run(["person", "grant", "王老师", *bank], db_path)
    assert first.exit_code == 0 and first.output == "王老师 现在可以查看题库 6-31-01-03 4\n"
    assert _may_see(db_path, "王老师") and not _may_see(db_path, "李工")
    second = run(["person", "grant", "王老师", *bank], db_path)
    assert second.output == "王老师 已经可以查看题库 6-31-01-03 4\n"
    revoked = run(["person", "revoke", "王老师", *bank], db_path)
    assert revoked.exit_code == 0
    assert revoked.output == "已收回 王老师 查看题库 6-31-01-03 4 的权限\n"
    assert not _may_see(db_path, "王老师")
    assert run(["person", "revoke", "王老师", *bank], db_path).output == (
        "王老师 本来就没有查看题库 6-31-01-03 4 的权限\n"
    )
    assert [e.action for e in _events(db_path, "grant_bank")] == ["grant_bank"]
    assert [e.action for e in _events(db_path, "revoke_bank")] == ["revoke_bank"]
    regranted = run(["person", "grant", "王老师", *bank], db_path)
    assert regranted.output.startswith("王老师 现在可以查看")
    assert _may_see(db_path, "王老师")


def test_grant_refuses_an_unknown_person_or_bank(db_path: Path) -> None:
    unknown = run(
        ["person", "grant", "没有此人", "--occupation", OCCUPATION, "--level", "4"], db_path
    )
    assert unknown.exit_code == 1 and "没有此人" in unknown.output
    no_bank = run(
        ["person", "grant", "王老师", "--occupation", OCCUPATION, "--level", "3"], db_path
    )
    assert no_bank.exit_code == 1
    assert _events(db_path, "grant_bank") == []
