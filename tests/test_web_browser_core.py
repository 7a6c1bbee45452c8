"""The sign-in path in a real browser: the printed link opens the workspace once; a second
browser with the same link gets nothing."""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import live_workspace, screenshot

from qbank.db import open_database
from qbank.people import add_person


@pytest.fixture(scope="module")
def reviewer_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('web-browser') / 'qbank.db'}"
    db = open_database(url)
    try:
        with db.transaction() as session:
            add_person(session, "李工", ["reviewer", "regulator", "staff"], actor="t")
    finally:
        db.dispose()
    return url


def test_token_link_signs_in_once(reviewer_db: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    with live_workspace(reviewer_db, acting_person="李工") as config:
        browser.get(config.token_url())
        assert "李工" in browser.find_element(By.ID, "viewer").text
        screenshot(browser, "home")
        browser.delete_all_cookies()
        browser.get(config.token_url())
        assert "链接无效或已使用过" in browser.find_element(By.ID, "error-message").text
        browser.get(config.origin + "/")
        assert "/login" in browser.current_url
