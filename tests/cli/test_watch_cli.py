"""`runyard runs watch`: a run's events live, until it ends."""

from __future__ import annotations

import json
import subprocess

from tests.cli.conftest import CLI_TIMEOUT, WS, Cli


def _running_run(cli: Cli) -> str:
    page = cli("runs", "list", f"{WS}/automations/-", "--filter", "state = RUNNING", "-o", "json")
    return str(page.json()["runs"][0]["name"])


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=CLI_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()  # by its handle: the process this test started
        out, err = proc.communicate()
    return proc.returncode, out, err


def test_watch_prints_changes_until_the_run_ends(cli: Cli) -> None:
    name = _running_run(cli)
    watcher = cli.spawn("runs", "watch", name, "--filter", "type = STATE_CHANGE")
    try:
        assert cli("runs", "pause", name, "--reason", "watch me").code == 0
        assert cli("runs", "continue", name).code == 0
        assert cli("runs", "cancel", name).code == 0
    finally:
        code, out, err = _finish(watcher)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{name} RUNNING" or lines[0].startswith(name)
    assert any("RUNNING → PAUSED" in line and "watch me" in line for line in lines)
    assert any("PAUSED → RUNNING" in line for line in lines)
    assert any("→ CANCELLED" in line for line in lines)
    assert lines[-1] == "run ended: CANCELLED"


def test_watch_json_lines_are_the_apis_messages(cli: Cli) -> None:
    ended = cli(
        "runs",
        "list",
        f"{WS}/automations/nightly-etl",
        "--filter",
        "state = SUCCEEDED",
        "--limit",
        "1",
        "-o",
        "json",
    ).json()["runs"][0]["name"]
    r = cli("runs", "watch", ended, "-o", "json")
    assert r.code == 0, r.err
    messages = [json.loads(line) for line in r.out.splitlines()]
    events = [m["event"] for m in messages if "event" in m]
    stored = cli("runs", "events", ended, "--all", "-o", "json").json()["runEvents"]
    assert events == stored


def test_watch_a_missing_run(cli: Cli) -> None:
    r = cli("runs", "watch", f"{WS}/automations/nightly-etl/runs/nope")
    assert r.code == 3
