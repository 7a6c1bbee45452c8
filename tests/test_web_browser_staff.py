"""The staff pages in a real browser: a staff member signs in with the printed link, sees the
batches that name them, and opens one to read its custody chain."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from browser_support import click_and_wait, live_workspace, screenshot

from qbank import access
from qbank.bank import find_bank
from qbank.db import open_database
from qbank.people import get_person
from workflows.demo import DEMO_STAFF

PRINTER = DEMO_STAFF["print"][0]


@pytest.fixture(scope="module")
def staff_db(demo_chain: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the demo's database; the printer may see the bank."""
    folder = tmp_path_factory.mktemp("web-browser-staff")
    shutil.copy(demo_chain / "qbank.db", folder / "qbank.db")
    url = f"sqlite:///{folder / 'qbank.db'}"
    db = open_database(url)
    try:
        with db.transaction() as session:
            bank = find_bank(session, "6-31-01-03", 4)
            access.grant(session, get_person(session, PRINTER), bank, actor="t")
    finally:
        db.dispose()
    return url


def test_staff_member_follows_a_batch(staff_db: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    with live_workspace(staff_db, acting_person=PRINTER) as config:
        browser.get(config.token_url())
        assert PRINTER in browser.find_element(By.ID, "viewer").text
        click_and_wait(browser, browser.find_element(By.LINK_TEXT, "考务批次"), "batches")
        rows = browser.find_elements(By.CSS_SELECTOR, "#batches tbody tr")
        assert len(rows) == 1
        assert "全部环节已签署" in rows[0].text and PRINTER in rows[0].text
        screenshot(browser, "batches")
        click_and_wait(browser, rows[0].find_element(By.TAG_NAME, "a"), "verdict")
        assert "/batches/" in browser.current_url
        assert "有效（VALID）" in browser.find_element(By.ID, "verdict").text
        entries = browser.find_elements(By.CSS_SELECTOR, "#timeline > li")
        assert len(entries) == 7
        assert "印制" in entries[2].text and PRINTER in entries[2].text
        assert "copies=3" in entries[2].text
        assert "没有待签的环节" in browser.find_element(By.ID, "pending").text
        screenshot(browser, "batch")
