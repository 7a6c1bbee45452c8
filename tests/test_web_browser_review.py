"""The reviewer's path in a real browser: sign in with the printed link, open the bank, filter
the queue, approve a ticked item with the passphrase, filter by importer and reject an edited
item from its card (its differences shown) with a comment; both decisions end up signed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from browser_support import click_and_wait, live_workspace, screenshot
from sqlalchemy import select
from test_web_review import CHANGED_STEM, EXPERT, PASSPHRASE, REVIEWER, facts, review_world

from qbank.db import open_database
from qbank.model import Review
from qbank.people import get_person
from qbank.review import verify_review


@pytest.fixture(scope="module")
def reviewer_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the unreviewed bank (tests/test_web_review.py) this module may change."""
    world = review_world(tmp_path_factory)
    target = tmp_path_factory.mktemp("web-browser-review") / "w"
    shutil.copytree(world.parent, target)
    return target / world.name


def test_a_reviewer_filters_approves_and_rejects(reviewer_world: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    def go(by: str, target: str, then: str) -> None:
        """Click the element found by (`by`, `target`) and wait until the page it loads
        shows the element with id `then`."""
        click_and_wait(browser, browser.find_element(by, target), then)

    f = facts(reviewer_world)
    approved_id, rejected_id = f["others"][0][0], 1  # item 1 has a second version, by the expert
    url = f"sqlite:///{reviewer_world}"
    keystore = reviewer_world.parent / "keys"
    with live_workspace(url, acting_person=REVIEWER, keystore=keystore) as config:
        browser.get(config.token_url())
        go(By.LINK_TEXT, "审核", "banks")
        go(By.CSS_SELECTOR, "#banks a", "coverage-chart")
        assert browser.find_element(By.ID, "coverage-chart").is_displayed()
        screenshot(browser, "review_overview")

        go(By.LINK_TEXT, "审核队列", "filters")
        Select(browser.find_element(By.NAME, "type")).select_by_visible_text("单选题")
        Select(browser.find_element(By.NAME, "status")).select_by_visible_text("待审核")
        go(By.ID, "apply-filters", "queue")
        assert "type=single" in browser.current_url and "status=draft" in browser.current_url
        types = {td.text for td in browser.find_elements(By.CSS_SELECTOR, "#queue td:nth-child(3)")}
        assert types == {"单选题"}
        screenshot(browser, "review_queue")

        browser.find_element(By.CSS_SELECTOR, f"#item-{approved_id} input[name=item]").click()
        browser.find_element(By.NAME, "passphrase").send_keys(PASSPHRASE)
        go(By.ID, "approve", "done")
        assert "已记录：通过 1 项" in browser.find_element(By.ID, "done").text
        assert not browser.find_elements(By.ID, f"item-{approved_id}")  # no longer pending

        Select(browser.find_element(By.NAME, "type")).select_by_visible_text("全部")
        Select(browser.find_element(By.NAME, "importer")).select_by_visible_text(EXPERT)
        go(By.ID, "apply-filters", f"item-{rejected_id}")
        go(By.CSS_SELECTOR, f"#item-{rejected_id} td.stem a", "card")
        assert browser.find_element(By.ID, "stem").text == CHANGED_STEM
        assert browser.find_elements(By.CSS_SELECTOR, "#version-2 del, #version-2 ins")
        screenshot(browser, "review_item")
        browser.find_element(By.NAME, "passphrase").send_keys(PASSPHRASE)
        go(By.ID, "reject", "error-message")
        assert "不通过时必须填写审核意见" in browser.find_element(By.ID, "error-message").text
        browser.back()
        WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.ID, "card"))
        browser.find_element(By.NAME, "comment").send_keys("题干表述不严谨")
        passphrase = browser.find_element(By.NAME, "passphrase")
        passphrase.clear()
        passphrase.send_keys(PASSPHRASE)
        go(By.ID, "reject", "done")
        assert "不通过 1 项" in browser.find_element(By.ID, "done").text
        assert "题干表述不严谨" in browser.find_element(By.ID, "reviews").text

    db = open_database(url)
    try:
        with db.transaction() as session:
            reviewer = get_person(session, REVIEWER)
            rows = session.scalars(select(Review).order_by(Review.id)).all()
            assert [(r.decision, r.comment) for r in rows] == [
                ("approved", ""),
                ("rejected", "题干表述不严谨"),
            ]
            assert all(verify_review(r, reviewer) for r in rows)
    finally:
        db.dispose()
