"""Helpers for the web workspace's tests: a test client on a real database, signing in with
the printed token or a password, and the CSRF token of a page.

Browser tests use `tests/browser_support.py` instead (a real server and Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from starlette.testclient import TestClient

from qbank.db import open_database
from web.app import create_app
from web.config import WebConfig

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@contextmanager
def web_client(db_url: str, **settings: Any) -> Iterator[tuple[TestClient, WebConfig]]:
    """A client of the workspace on `db_url` (migrated), with `settings` for `WebConfig`."""
    config = WebConfig(**settings)
    db = open_database(db_url)
    try:
        app = create_app(config, db)
        with TestClient(app, base_url=config.origin, follow_redirects=False) as client:
            yield client, config
    finally:
        db.dispose()


def sign_in(client: TestClient, config: WebConfig) -> None:
    """Exchange the one-time token for the session cookie (as `config.acting_person`)."""
    response = client.get(f"/auth?token={config.token}")
    assert response.status_code == 303, response.text
    assert "qbank_session" in client.cookies


def log_in(client: TestClient, name: str, password: str) -> Any:
    """Sign in through the login form (beyond loopback, or after a token without --as)."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "name": name, "password": password, "next": "/"},
    )


def config_for(config: WebConfig, **changes: Any) -> WebConfig:
    return replace(config, **changes)
