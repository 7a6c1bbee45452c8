"""The workspace's own security, on a real SQLite file: the one-time token, the session
cookie's flags, the Host check, CSRF and Origin on every POST, roles, password login with its
rate limit, session expiry, upload size, and the rule that the loopback link is the only way
in without a password. The pages' own refusals (a reviewer's own item, a bank not granted)
are tested with those pages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from web_support import csrf_of, log_in, sign_in, web_client

from qbank import access
from qbank.bank import ensure_bank
from qbank.db import open_database
from qbank.passwords import hash_password, verify_password
from qbank.people import add_person, set_password_hash
from web.auth import LoginLimiter, SessionStore

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def people_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """李工 (reviewer, password set), 赵督导 (regulator), 王老师 (staff); one password hash."""
    path = tmp_path_factory.mktemp("web-security") / "qbank.db"
    url = f"sqlite:///{path}"
    db = open_database(url)
    try:
        with db.transaction() as session:
            reviewer = add_person(session, "李工", ["reviewer"], actor="t")
            add_person(session, "赵督导", ["regulator"], actor="t")
            add_person(session, "王老师", ["staff"], actor="t")
            set_password_hash(session, reviewer, hash_password(PASSWORD), actor="t")
    finally:
        db.dispose()
    return url


def test_no_token_no_way_in(people_db: str) -> None:
    with web_client(people_db, acting_person="李工") as (client, _config):
        home = client.get("/")
        assert home.status_code == 303 and home.headers["location"].startswith("/login")
        login = client.get("/login")
        assert login.status_code == 401
        assert "链接" in login.text
        assert client.post("/logout", data={"csrf": "x"}).status_code == 401


def test_token_works_once_and_sets_a_strict_cookie(people_db: str) -> None:
    with web_client(people_db, acting_person="李工") as (client, config):
        wrong = client.get("/auth?token=" + "A" * len(config.token))
        assert wrong.status_code == 403
        first = client.get(f"/auth?token={config.token}")
        assert first.status_code == 303
        cookie = first.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        home = client.get("/")
        assert home.status_code == 200 and "李工" in home.text
        client.cookies.clear()
        assert client.get(f"/auth?token={config.token}").status_code == 403


def test_security_headers_on_every_response(people_db: str) -> None:
    with web_client(people_db, acting_person="李工") as (client, config):
        sign_in(client, config)
        for response in (client.get("/"), client.get("/no-such-page")):
            headers = response.headers
            assert "script-src" not in headers["content-security-policy"]
            assert "default-src 'none'" in headers["content-security-policy"]
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert headers["referrer-policy"] == "same-origin"
            assert headers["cache-control"] == "no-store"
            assert "access-control-allow-origin" not in headers
        assert client.get("/no-such-page").status_code == 404


def test_host_header_must_name_this_server(people_db: str) -> None:
    with web_client(people_db, acting_person="李工") as (client, config):
        response = client.get(f"/auth?token={config.token}", headers={"host": "evil.example:8765"})
        assert response.status_code == 400
        assert "qbank_session" not in client.cookies
        assert not client.app.state.web.token.used  # the rebinding page learned nothing


def test_post_needs_the_session_csrf_token_and_our_origin(people_db: str) -> None:
    with web_client(people_db, acting_person="李工") as (client, config):
        sign_in(client, config)
        token = csrf_of(client.get("/").text)
        assert client.post("/logout", data={}).status_code == 403
        assert (
            client.post(
                "/logout", data={"csrf": ("y" if token[0] == "x" else "x") + token[1:]}
            ).status_code
            == 403
        )
        evil = client.post(
            "/logout", data={"csrf": token}, headers={"origin": "http://evil.example"}
        )
        assert evil.status_code == 403
        assert client.get("/").status_code == 200  # still signed in
        out = client.post("/logout", data={"csrf": token}, headers={"origin": config.origin})
        assert out.status_code == 303
        assert client.get("/").status_code == 303


def test_roles_decide_what_the_home_page_offers(people_db: str) -> None:
    with web_client(people_db, acting_person="赵督导") as (client, config):
        sign_in(client, config)
        home = client.get("/").text
        assert 'href="/verify"' in home and 'href="/review"' not in home


def test_password_login_beyond_loopback(people_db: str) -> None:
    settings = {"host": "10.0.0.5", "allowed_hosts": ("10.0.0.5",), "tls": True}
    with web_client(people_db, **settings) as (client, config):
        assert client.get(f"/auth?token={config.token}").status_code == 403  # no token here
        wrong = log_in(client, "李工", "not the password")
        assert wrong.status_code == 401 and "不正确" in wrong.text
        unknown = log_in(client, "没有此人", PASSWORD)
        assert unknown.status_code == 401 and "不正确" in unknown.text
        before = client.cookies.get("qbank_session")
        right = log_in(client, "李工", PASSWORD)
        assert right.status_code == 303 and right.headers["location"] == "/"
        assert "secure" in right.headers["set-cookie"].lower()
        assert client.cookies.get("qbank_session") != before  # a fresh session id
        assert client.get("/").status_code == 200


def test_login_attempts_are_limited(people_db: str) -> None:
    settings = {"host": "10.0.0.5", "allowed_hosts": ("10.0.0.5",), "tls": True}
    with web_client(people_db, login_attempts=3, **settings) as (client, _config):
        for _ in range(3):
            assert log_in(client, "李工", "wrong password!").status_code == 401
        locked = log_in(client, "李工", PASSWORD)
        assert locked.status_code == 429 and "分钟后再试" in locked.text
        assert client.get("/").status_code == 303


def test_login_redirects_only_within_the_site(people_db: str) -> None:
    settings = {"host": "10.0.0.5", "allowed_hosts": ("10.0.0.5",), "tls": True}
    with web_client(people_db, **settings) as (client, _config):
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "csrf": csrf_of(page.text),
                "name": "李工",
                "password": PASSWORD,
                "next": "//evil.example/x",
            },
        )
        assert response.headers["location"] == "/"


def test_upload_over_the_limit_is_refused_before_reading(people_db: str) -> None:
    with web_client(people_db, acting_person="李工", max_upload_bytes=1000) as (client, config):
        sign_in(client, config)
        token = csrf_of(client.get("/").text)
        response = client.post("/logout", data={"csrf": token}, files={"f": ("a.zip", b"x" * 5000)})
        assert response.status_code == 413
        assert client.get("/").status_code == 200  # the oversized request changed nothing


def test_sessions_expire() -> None:
    store = SessionStore(idle_seconds=0, max_seconds=60)
    session = store.create(1)
    time.sleep(0.01)
    assert store.get(session.id) is None
    store = SessionStore(idle_seconds=60, max_seconds=0)
    session = store.create(1)
    time.sleep(0.01)
    assert store.get(session.id) is None


def test_limiter_counts_per_key_and_forgets_after_success() -> None:
    limiter = LoginLimiter(attempts=2, window=600)
    limiter.failed("name:a", "addr:x")
    assert limiter.wait_seconds("name:a") == 0
    limiter.failed("name:a", "addr:x")
    assert limiter.wait_seconds("name:a") > 0 and limiter.wait_seconds("addr:x") > 0
    assert limiter.wait_seconds("name:b") == 0
    limiter.succeeded("name:a")
    assert limiter.wait_seconds("name:a") == 0


def test_password_hashes() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("scrypt$15$8$1$") and PASSWORD not in stored
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "x", stored)
    assert not verify_password(PASSWORD, None)
    assert not verify_password(PASSWORD, "scrypt$40$8$1$AAAA$AAAA")  # absurd cost refused
    assert not verify_password(PASSWORD, "md5$abc")
    assert hash_password(PASSWORD) != stored  # salted


def test_bank_access_grants(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        with db.transaction() as session:
            bank = ensure_bank(session, "6-31-01-03", 4, actor="t", occupation_name="电工")
            reviewer = add_person(session, "李工", ["reviewer"], actor="t")
            admin = add_person(session, "某机构", ["institution"], actor="t")
            assert access.may_see_bank(session, admin, bank)
            assert not access.may_see_bank(session, reviewer, bank)
            assert access.grant(session, reviewer, bank, actor="t")
            assert not access.grant(session, reviewer, bank, actor="t")
            assert access.visible_bank_ids(session, reviewer) == {bank.id}
            assert access.revoke(session, reviewer, bank, actor="t")
            assert not access.may_see_bank(session, reviewer, bank)
    finally:
        db.dispose()


def test_a_row_id_beyond_64_bits_is_not_found(people_db: str) -> None:
    with web_client(people_db, acting_person="李工") as (client, config):
        sign_in(client, config)
        for path in ("/review/bank/99999999999999999999999", "/batches/9223372036854775808"):
            assert client.get(path).status_code == 404
