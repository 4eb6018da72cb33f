"""The dashboard in headless Chromium against a real server with the demo data:
token entry, the runs table with a filter, sorting and pages, a run paused with
a reason and continued, and the daily chart in two time zones."""

from __future__ import annotations

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.dashboard.conftest import Page
from tests.plugins.demo import DEMO_WORKSPACE
from tests.plugins.servers import RunyardProcess

ALL_RUNS = f"/runs/{DEMO_WORKSPACE}/automations/-"


def _rows(browser: WebDriver) -> list[tuple[str, str]]:
    # Read in one script: the table is replaced as a whole while pages load.
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#runs tbody tr')]"
        ".map((r) => [r.dataset.name, r.dataset.state]);"
    )
    return [(name, state) for name, state in rows]


def state(browser: WebDriver) -> str:
    """The run page's state badge (read in one script: the badge is redrawn on changes)."""
    return str(
        browser.execute_script(
            "return document.querySelector('#run-state .state')?.textContent || '';"
        )
    )


def text(browser: WebDriver, css: str) -> str:
    """The text of the element at ``css``, or "" (one script: parts are redrawn live)."""
    script = "return document.querySelector(arguments[0])?.innerText || '';"
    return str(browser.execute_script(script, css))


def click(browser: WebDriver, element_id: str) -> None:
    """Click by id in one script (the run page redraws its buttons on live changes)."""
    browser.execute_script("document.getElementById(arguments[0]).click();", element_id)


def _sign_in(page: Page, token: str) -> None:
    if page.browser.execute_script("return sessionStorage.getItem('runyard.token')") != token:
        if not page.browser.find_element(By.ID, "token-panel").is_displayed():
            page.browser.find_element(By.ID, "token-button").click()
        page.browser.find_element(By.ID, "token-input").send_keys(token, Keys.ENTER)


def _filter(page: Page, text: str) -> None:
    box = page.browser.find_element(By.ID, "filter")
    box.clear()
    box.send_keys(text, Keys.ENTER)


def test_token_entered_once_and_the_runs_table(page: Page, dashboard_token: str) -> None:
    page.open(ALL_RUNS)
    panel = page.browser.find_element(By.ID, "token-panel")
    page.wait(lambda b: panel.is_displayed(), "the token form of a new session")
    # Without a token the API says so, and the page shows it.
    page.wait(lambda b: "UNAUTHENTICATED" in text(b, ".error"), "the API's refusal")
    page.browser.find_element(By.ID, "token-input").send_keys(dashboard_token, Keys.ENTER)
    page.wait(lambda b: len(_rows(b)) == 25, "a page of 25 runs")
    stored = page.browser.execute_script("return sessionStorage.getItem('runyard.token')")
    assert stored == dashboard_token
    assert not panel.is_displayed()
    assert "of " in page.browser.find_element(By.ID, "page-summary").text
    # Every state has its colour class.
    badge = page.browser.find_element(By.CSS_SELECTOR, "#runs tbody tr .state")
    assert f"state-{badge.text}" in (badge.get_attribute("class") or "")
    page.screenshot("runs")


def test_filter_sort_and_pages(page: Page, dashboard_token: str) -> None:
    page.open(ALL_RUNS)
    _sign_in(page, dashboard_token)
    page.wait(lambda b: len(_rows(b)) > 0, "runs")
    _filter(page, "state = FAILED")
    page.wait(lambda b: _rows(b) and {s for _, s in _rows(b)} == {"FAILED"}, "only FAILED runs")
    first_page = _rows(page.browser)
    page.browser.find_element(By.ID, "next").click()
    page.wait(lambda b: _rows(b) and _rows(b)[0] not in first_page, "the second page")
    assert {s for _, s in _rows(page.browser)} == {"FAILED"}
    page.browser.find_element(By.ID, "prev").click()
    page.wait(lambda b: _rows(b) == first_page, "the first page again")

    etl = f"{DEMO_WORKSPACE}/automations/nightly-etl"
    Select(page.browser.find_element(By.ID, "automation")).select_by_value(etl)
    page.wait(
        lambda b: _rows(b) and all(n.startswith(etl + "/runs/") for n, _ in _rows(b)),
        "the runs of nightly-etl",
    )
    page.browser.find_element(By.CSS_SELECTOR, "th a[data-field=duration]").click()
    page.wait(lambda b: "order_by=duration+desc" in b.current_url, "order_by in the address")
    page.wait(lambda b: "▼" in text(b, "th.sorted"), "the arrow")
    page.screenshot("runs-filtered")


def test_invalid_filter_shows_the_servers_message(page: Page, dashboard_token: str) -> None:
    page.open(ALL_RUNS)
    _sign_in(page, dashboard_token)
    page.wait(lambda b: len(_rows(b)) > 0, "runs")
    _filter(page, "state = ")
    alert = page.wait(lambda b: b.find_elements(By.CSS_SELECTOR, ".error"), "the error")[0]
    assert "INVALID_ARGUMENT" in alert.text
    assert "(at position 7)" in alert.text  # of "state =", the box trimmed
    assert "INVALID_FILTER" in alert.text
    page.screenshot("runs-invalid-filter")


def test_pause_with_a_reason_then_continue(page: Page, dashboard_token: str) -> None:
    page.open(ALL_RUNS + "?filter=state%20%3D%20RUNNING")
    _sign_in(page, dashboard_token)
    page.wait(lambda b: len(_rows(b)) > 0, "running runs")
    name = _rows(page.browser)[0][0]
    page.browser.find_element(By.CSS_SELECTOR, "#runs tbody tr a.run-link").click()
    page.wait(lambda b: name in b.current_url and state(b) == "RUNNING", "the run page")
    disabled = "return document.getElementById('continue').disabled;"
    assert page.browser.execute_script(disabled) is True

    click(page.browser, "pause")
    reason = page.browser.find_element(By.ID, "reason")
    page.wait(lambda b: reason.is_displayed(), "the reason box")
    reason.send_keys("waiting for the vendor's fix")
    click(page.browser, "confirm")
    page.wait(lambda b: state(b) == "PAUSED", "the run PAUSED")
    assert "waiting for the vendor's fix" in text(page.browser, "#run-fields")
    page.wait(
        lambda b: "waiting for the vendor's fix" in text(b, "#events"),
        "the pause in the timeline",
    )
    page.screenshot("run-paused")

    click(page.browser, "continue")
    page.wait(lambda b: state(b) == "RUNNING", "the run RUNNING again")
    page.wait(
        lambda b: "PAUSED → RUNNING" in text(b, "#events li.event-STATE_CHANGE:last-child"),
        "the continue in the timeline",
    )
    page.screenshot("run-continued")


def _chart_days(browser: WebDriver) -> dict[str, int]:
    days = browser.execute_script(
        "return [...document.querySelectorAll('#daily-chart g.day')]"
        ".map((g) => [g.dataset.date, Number(g.dataset.total)]);"
    )
    return {day: total for day, total in days}


def test_daily_chart_in_two_time_zones(page: Page, dashboard_token: str) -> None:
    page.open("/")
    _sign_in(page, dashboard_token)
    link = f"a[href='#/workspace/{DEMO_WORKSPACE}']"
    page.wait(lambda b: b.find_elements(By.CSS_SELECTOR, link), "the workspaces of demo")
    page.screenshot("home")
    page.browser.find_element(By.CSS_SELECTOR, link).click()
    chart = lambda b: b.find_elements(By.ID, "daily-chart")  # noqa: E731
    page.wait(lambda b: chart(b), "the chart")
    # The browser's zone by default.
    assert chart(page.browser)[0].get_attribute("data-time-zone") == "Europe/Berlin"
    berlin = _chart_days(page.browser)
    assert len(berlin) == 30
    assert sum(berlin.values()) > 0
    assert page.browser.find_elements(By.CSS_SELECTOR, "#daily-chart rect.fill-SUCCEEDED")
    rows = page.browser.find_elements(By.CSS_SELECTOR, "#automations tbody tr")
    assert len(rows) == 6
    assert "%" in rows[0].text
    page.screenshot("workspace-europe-berlin")

    Select(page.browser.find_element(By.ID, "time-zone")).select_by_value("Pacific/Auckland")
    page.wait(
        lambda b: chart(b) and chart(b)[0].get_attribute("data-time-zone") == "Pacific/Auckland",
        "the chart in Pacific/Auckland",
    )
    auckland = _chart_days(page.browser)
    assert len(auckland) == 30
    # Twelve hours apart, the same runs fall on other days.
    assert auckland != berlin
    assert page.browser.find_elements(By.CSS_SELECTOR, "#daily-chart rect.bar")
    page.screenshot("workspace-pacific-auckland")


def test_run_page_follows_changes_made_elsewhere(
    page: Page, dashboard_token: str, demo_server: RunyardProcess
) -> None:
    page.open(ALL_RUNS + "?filter=state%20%3D%20RUNNING")
    _sign_in(page, dashboard_token)
    page.wait(lambda b: len(_rows(b)) > 0, "running runs")
    name = _rows(page.browser)[0][0]
    page.open(f"/run/{name}")
    page.wait(lambda b: state(b) == "RUNNING", "the run page")
    page.wait(lambda b: b.find_element(By.ID, "live").is_displayed(), "the live timeline")
    headers = {"Authorization": f"Bearer {dashboard_token}"}
    with httpx.Client(base_url=demo_server.http_base, headers=headers) as http:
        r = http.post(f"/v1/{name}:cancel", json={"reason": "stopped from another tab"})
        assert r.status_code == 200, r.text
    page.wait(lambda b: state(b) == "CANCELLED", "the change, without reloading")
    assert "stopped from another tab" in text(page.browser, "#events")
    page.wait(lambda b: not b.find_element(By.ID, "live").is_displayed(), "the stream's end")
    page.screenshot("run-live-cancelled")
