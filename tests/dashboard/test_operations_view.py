"""The dashboard's operations views in headless Chromium: a workspace's
operations with progress counts and state, one finished operation with the
runs it did not change, a running one cancelled with its button, and a run's
creation in the timeline. The runs are a workspace's of their own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By

from tests.dashboard.conftest import WAIT_SECONDS, Page
from tests.dashboard.test_dashboard import _sign_in, click, text
from tests.plugins.servers import RunyardProcess

WS = "organizations/demo/workspaces/board"


def _make_runs(http: httpx.Client, automation: str, count: int) -> list[str]:
    r = http.post(
        f"/v1/{WS}/automations",
        params={"automationId": automation},
        json={"displayName": automation, "kind": "SCHEDULED_TASK"},
    )
    assert r.status_code == 200, r.text
    parent = f"/v1/{WS}/automations/{automation}/runs"
    return [http.post(parent, json={"trigger": "MANUAL"}).json()["name"] for _ in range(count)]


def _until_done(http: httpx.Client, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        op = http.get(f"/v1/{name}").json()
        if op.get("done"):
            return dict(op)
        time.sleep(0.1)
    raise AssertionError(f"{name} did not finish")


@pytest.fixture(scope="module")
def operations(demo_server: RunyardProcess) -> Iterator[dict[str, str]]:
    """A finished batch (with a failed and a skipped run) and a running one."""
    headers = demo_server.auth_headers("demo")
    with httpx.Client(base_url=demo_server.http_base, headers=headers, timeout=30) as http:
        r = http.post(
            "/v1/organizations/demo/workspaces",
            params={"workspaceId": "board"},
            json={"displayName": "Board"},
        )
        assert r.status_code == 200, r.text
        names = _make_runs(http, "named", 3)
        http.post(f"/v1/{names[0]}:pause", json={"reason": "hold"}).raise_for_status()
        missing = f"{WS}/automations/named/runs/nosuch"
        body = {"names": [*names, missing], "reason": "resume"}
        finished = http.post(f"/v1/{WS}/automations/named/runs:batchContinue", json=body)
        assert finished.status_code == 200, finished.text
        _until_done(http, finished.json()["name"])
        # More runs than the worker's first batch, at 2 a second: it is still
        # going when the page looks (one operation at a time per server: last).
        _make_runs(http, "slow", 110)
        slow = http.post(
            f"/v1/{WS}/automations/slow/runs:batchCancel", json={"maxRunsPerSecond": 2}
        )
        assert slow.status_code == 200, slow.text
        try:
            yield {"finished": finished.json()["name"], "running": slow.json()["name"],
                   "run": names[1], "missing": missing}  # fmt: skip
        finally:
            http.post(f"/v1/{slow.json()['name']}:cancel", json={})


def _rows(page: Page) -> dict[str, dict[str, Any]]:
    rows = page.browser.execute_script(
        "return [...document.querySelectorAll('#operations tbody tr')].map((r) => [r.dataset.name,"
        " r.dataset.state, Object.fromEntries([...r.querySelectorAll('[data-count]')]"
        ".map((c) => [c.dataset.count, Number(c.textContent)]))]);"
    )
    return {name: {"state": state, **counts} for name, state, counts in rows}


def _op_state(page: Page) -> str:
    return text(page.browser, "#op-state .state")


def test_operations_list_detail_and_cancel(
    page: Page, dashboard_token: str, operations: dict[str, str]
) -> None:
    page.open(f"/workspace/{WS}")
    _sign_in(page, dashboard_token)
    link = page.wait(lambda b: b.find_elements(By.ID, "operations-link"), "the link")[0]
    link.click()
    page.wait(lambda b: len(_rows(page)) == 2, "the two operations")
    rows = _rows(page)
    assert rows[operations["finished"]] == {
        "state": "SUCCEEDED",
        "matchedCount": 4,
        "doneCount": 1,
        "failedCount": 1,
        "skippedCount": 2,
    }
    assert rows[operations["running"]]["state"] in ("PENDING", "RUNNING")
    assert "operations" in text(page.browser, "#crumbs")
    page.screenshot("operations")

    # The finished one: its failures, and nothing to cancel.
    page.browser.find_element(
        By.CSS_SELECTOR, f"tr[data-name='{operations['finished']}'] a.op-link"
    ).click()
    page.wait(lambda b: _op_state(page) == "SUCCEEDED", "the finished operation")
    failures = page.wait(
        lambda b: b.execute_script(
            "return [...document.querySelectorAll('#failures tbody tr')]"
            ".map((r) => [r.dataset.run, r.dataset.skipped]);"
        ),
        "its failures",
    )
    assert failures[-1] == [operations["missing"], "false"]
    assert [skipped for _, skipped in failures] == ["true", "true", "false"]
    assert "resume" in text(page.browser, "#op-fields")
    is_disabled = "return document.getElementById('cancel-operation').disabled;"
    assert page.browser.execute_script(is_disabled) is True
    page.screenshot("operation-finished")

    # The running one: progress, then cancelled from its page.
    page.open(f"/operation/{operations['running']}")
    page.wait(lambda b: _op_state(page) in ("PENDING", "RUNNING"), "the running operation")
    assert page.browser.execute_script(is_disabled) is False
    click(page.browser, "cancel-operation")
    page.wait(lambda b: _op_state(page) == "CANCELLED", "the operation CANCELLED")
    assert page.browser.execute_script(is_disabled) is True
    assert "yes" in text(page.browser, "#op-fields [data-field='Cancel asked']")
    page.screenshot("operation-cancelled")


def test_timeline_shows_a_runs_creation(
    page: Page, dashboard_token: str, operations: dict[str, str]
) -> None:
    page.open(f"/run/{operations['run']}")
    _sign_in(page, dashboard_token)
    first = "#events li[data-sequence='1']"
    page.wait(lambda b: text(b, first), "the first event")
    assert "created → QUEUED" in text(page.browser, first)
    assert "—" not in text(page.browser, first)
