"""A regulator in a real browser: signs in with the printed link, uploads the demo's filing
package with the pinned keys (VALID), a tampered copy (INVALID at `files`), and the demo's
custody export with the institution's key (VALID, with its timeline)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from browser_support import click_and_wait, live_workspace, screenshot

from qbank import keys
from qbank.db import open_database
from qbank.people import add_person
from workflows.demo import DEMO_INSTITUTION, DEMO_REVIEWER

REGULATOR = "赵督导"


def _zip_folder(folder: Path, out: Path, change: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                archive.writestr(name, (change or {}).get(name, path.read_bytes()))
    return out


@pytest.fixture(scope="module")
def uploads(demo_chain: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The files the regulator picks in the browser: the package zipped, a tampered copy,
    the custody export zipped, and the two public keys as `qbank key export` writes them."""
    folder = tmp_path_factory.mktemp("browser-verify")
    package = demo_chain / "filings" / "6-31-01-03-4"
    tree = bytearray((package / "tree.json").read_bytes())
    tree[10] ^= 0x01
    out = {
        "good": _zip_folder(package, folder / "备案包.zip"),
        "tampered": _zip_folder(package, folder / "备案包-改.zip", {"tree.json": bytes(tree)}),
        "custody": _zip_folder(demo_chain / "custody", folder / "保管链.zip"),
    }
    for label, name in (("institution", DEMO_INSTITUTION), ("reviewer", DEMO_REVIEWER)):
        out[label] = folder / f"{label}.pub"
        out[label].write_text(keys.export_public(name, keystore=demo_chain / "keys") + "\n")
    return out


@pytest.fixture(scope="module")
def regulator_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('web-browser-verify') / 'qbank.db'}"
    db = open_database(url)
    try:
        with db.transaction() as session:
            add_person(session, REGULATOR, ["regulator"], actor="t")
    finally:
        db.dispose()
    return url


def _submit(browser: Any, fields: dict[str, Path]) -> str:
    """Pick the files, press 核验, wait for the verdict; returns it."""
    from selenium.webdriver.common.by import By

    for field, path in fields.items():
        browser.find_element(By.ID, field).send_keys(str(path))
    verdict: str = click_and_wait(browser, browser.find_element(By.ID, "verify"), "verdict").text
    return verdict


def _failed_steps(browser: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-status='failed']")
    return [r.get_attribute("data-step") for r in rows]


def test_regulator_verifies_a_package_and_a_custody_export(
    regulator_db: str, uploads: dict[str, Path], browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    with live_workspace(regulator_db, acting_person=REGULATOR) as config:
        browser.get(config.token_url())
        assert REGULATOR in browser.find_element(By.ID, "viewer").text
        click_and_wait(browser, browser.find_element(By.LINK_TEXT, "核验"), "to-filing")
        click_and_wait(browser, browser.find_element(By.ID, "to-filing"), "verify")

        keys_given = {"key_file_1": uploads["institution"], "key_file_2": uploads["reviewer"]}
        assert _submit(browser, {"package": uploads["good"], **keys_given}) == "VALID"
        assert _failed_steps(browser) == []
        assert len(browser.find_elements(By.CSS_SELECTOR, "tr[data-status='ok']")) == 12
        assert "核验通过（VALID）" in browser.find_element(By.ID, "conclusion").text
        screenshot(browser, "verify_filing")

        assert _submit(browser, {"package": uploads["tampered"], **keys_given}) == "INVALID"
        assert _failed_steps(browser) == ["files"]
        failed = browser.find_element(By.CSS_SELECTOR, "tr[data-step='files'] td.detail")
        assert failed.text == "tree.json changed"

        browser.get(config.origin + "/verify")
        click_and_wait(browser, browser.find_element(By.ID, "to-custody"), "verify")
        verdict = _submit(
            browser, {"export": uploads["custody"], "key_file_1": uploads["institution"]}
        )
        assert verdict == "VALID"
        entries = browser.find_elements(By.CSS_SELECTOR, "#timeline > li")
        assert len(entries) == 7
        assert {e.get_attribute("data-state") for e in entries} == {"ok"}
        assert "示例封存员甲" in browser.find_element(By.ID, "timeline").text
        screenshot(browser, "verify_custody")
