"""A real server and a real browser for the workspace's end-to-end tests.

`live_workspace` runs the app under uvicorn in a thread on a free loopback port; `chromium`
drives Debian's Chromium through Debian's chromedriver with Selenium (no browser download:
both come from apt, installed by `.ci/run`). Tests skip with the reason when either is
missing. `screenshot` saves a page to docs/images/ only when QBANK_SCREENSHOTS=1 (run
`QBANK_SCREENSHOTS=1 pytest -k browser` to refresh the README's pictures), so an ordinary
test run never rewrites the checkout.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from qbank.db import open_database
from web.app import create_app
from web.config import WebConfig

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_workspace(db_url: str, **settings: Any) -> Iterator[WebConfig]:
    """The workspace on `db_url` served on 127.0.0.1 until the block ends; yields its config
    (`config.token_url()` is the sign-in link)."""
    import uvicorn

    config = WebConfig(port=free_port(), **settings)
    db = open_database(db_url)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, db), host="127.0.0.1", port=config.port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield config
    finally:
        server.should_exit = True
        thread.join(10)
        db.dispose()


def _browser_path() -> str | None:
    return next((p for p in CHROMIUM if Path(p).exists()), None) or shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for this test process (cookies are cleared per test by
    `fresh_browser`). Skips when Chromium, chromedriver or Selenium is not installed."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    binary = _browser_path()
    if binary is None or not Path(CHROMEDRIVER).exists():
        pytest.skip("Chromium and chromedriver are not installed (apt: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--lang=zh-CN",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    from selenium.webdriver.chrome.service import Service

    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    """The shared Chromium with no cookies from an earlier test."""
    chromium.delete_all_cookies()
    yield chromium
    chromium.delete_all_cookies()


def screenshot(driver: Any, name: str) -> None:
    """Save the current page as docs/images/<name>.png when QBANK_SCREENSHOTS=1."""
    if os.environ.get("QBANK_SCREENSHOTS") != "1":
        return
    IMAGES.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(900, min(int(height), 4000)))
    driver.save_screenshot(str(IMAGES / f"{name}.png"))
    driver.set_window_size(1280, 900)


def click_and_wait(browser: Any, element: Any, then: str, timeout: float = 120) -> Any:
    """Click `element` (a link or a form's button) and wait until the page it loads shows
    the element with id `then`; returns that element. Selenium's click can return before the
    new page has replaced the old one, so the old page is first seen gone: asked
    mid-navigation, Chromium may answer "node does not belong to the document" instead of a
    stale reference, gone all the same."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    element.click()

    def left_the_page(_: Any) -> bool:
        try:
            element.is_enabled()
        except WebDriverException:  # StaleElementReferenceException among them
            return True
        return False

    WebDriverWait(browser, timeout).until(left_the_page)
    return WebDriverWait(browser, timeout).until(lambda d: d.find_element(By.ID, then))
