"""Near-duplicate pairs and the overlap report viewer in a real browser (Chromium): a reviewer
signs in with the printed link, opens the pair list and a pair, and adjudicates it with the
passphrase; a regulator uploads the report with its items file and sees it re-derived."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_support import click_and_wait, live_workspace, screenshot
from sqlalchemy import select
from test_web_pairs import PASSPHRASES, World, build_world

from qbank.db import open_database
from qbank.model import Adjudication


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("web-browser-pairs"))


def test_reviewer_adjudicates_a_pair(world: World, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    url = f"sqlite:///{world.db_path}"
    with live_workspace(url, acting_person="李工", keystore=world.keystore) as config:
        browser.get(config.token_url())
        assert "李工" in browser.find_element(By.ID, "viewer").text
        browser.get(f"{config.origin}/review/bank/{world.bank_id}/pairs")
        rows = browser.find_elements(By.CSS_SELECTOR, "#pairs tbody tr")
        assert len(rows) == 3
        assert "合格" in browser.find_element(By.ID, "report-line").text
        screenshot(browser, "review_pairs")
        a, b = world.pairs[1]  # a rewording: the differences show
        link = browser.find_element(By.CSS_SELECTOR, f'a[href$="/pairs/{a}/{b}"]')
        click_and_wait(browser, link, "adjudicate")
        assert browser.current_url.endswith(f"/pairs/{a}/{b}")
        assert browser.find_elements(By.CSS_SELECTOR, ".pair-text .diff-ins, .pair-text .diff-del")
        screenshot(browser, "review_pair")
        form = browser.find_element(By.ID, "adjudicate")
        reason = form.find_element(By.NAME, "reason")
        assert reason.get_attribute("value") == "考查内容不同"
        form.find_element(By.NAME, "passphrase").send_keys(PASSPHRASES["李工"])
        button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
        assert "已签名裁定" in click_and_wait(browser, button, "notice").text
        assert "有效" in browser.find_element(By.ID, "marks").text
    db = open_database(url)
    try:
        with db.transaction() as session:
            marks = session.scalars(select(Adjudication)).all()
            assert [m.reviewer for m in marks] == ["李工"]
    finally:
        db.dispose()


def test_regulator_uploads_a_report(world: World, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    with live_workspace(f"sqlite:///{world.db_path}", acting_person="赵督导") as config:
        browser.get(config.token_url())
        browser.get(f"{config.origin}/verify/overlap")
        form = browser.find_element(By.ID, "upload")
        form.find_element(By.NAME, "report").send_keys(str(Path(world.report_json).resolve()))
        form.find_element(By.NAME, "items").send_keys(str(Path(world.items_xlsx).resolve()))
        button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
        assert "核验通过" in click_and_wait(browser, button, "verification").text
        assert browser.find_element(By.ID, "rate").text == "25%"
        assert browser.find_elements(By.CSS_SELECTOR, "#histogram rect.bar")
        screenshot(browser, "verify_overlap")
