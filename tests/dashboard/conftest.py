"""Headless Chromium (Debian's chromium and chromium-driver, installed by
scripts/chromium.sh when missing) driven by Selenium, one session per module,
against the session's demo server. Screenshots go to test-artifacts/dashboard/."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.plugins.databases import in_ci
from tests.plugins.demo import mint_token
from tests.plugins.servers import RunyardProcess

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
WAIT_SECONDS = 20  # a bound on each wait for the page, not a timing assertion

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--window-size=1360,1000",
)


def _binaries() -> tuple[str, str]:
    script = ROOT / "scripts" / "chromium.sh"
    proc = subprocess.run([str(script)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        reason = f"no Chromium for the browser tests: {proc.stderr.strip()}"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    chromium, driver = proc.stdout.split()[-2:]
    return chromium, driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    chromium, driver = _binaries()
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    # The browser's own zone, so "the browser's zone by default" is a known one.
    service = Service(executable_path=driver, env={"TZ": "Europe/Berlin"})
    session = webdriver.Chrome(options=options, service=service)
    try:
        yield session
    finally:
        session.quit()  # stops the chromedriver and chromium it started
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def dashboard_token(demo_server: RunyardProcess) -> str:
    return mint_token(demo_server, "demo", "operator")


class Page:
    """The browser on the dashboard, with bounded waits and screenshots."""

    def __init__(self, browser: WebDriver, base: str) -> None:
        self.browser = browser
        self.base = base

    def open(self, fragment: str) -> None:
        self.browser.get(f"{self.base}/#{fragment}")

    def wait(self, condition: Callable[[WebDriver], Any], what: str) -> Any:
        return WebDriverWait(self.browser, WAIT_SECONDS, poll_frequency=0.1).until(
            condition, message=f"waiting for {what}"
        )

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.browser.save_screenshot(str(path))
        return path


@pytest.fixture(scope="module")
def page(browser: WebDriver, demo_server: RunyardProcess) -> Page:
    return Page(browser, demo_server.http_base)
