"""`runyard runs …` against a real server with the demo data."""

from __future__ import annotations

import yaml

from tests.cli.conftest import WS, Cli

ETL = f"{WS}/automations/nightly-etl"


def _a_run(cli: Cli, state: str) -> str:
    page = cli("runs", "list", f"{WS}/automations/-", "--filter", f"state = {state}", "-o", "json")
    assert page.code == 0, page.err
    return str(page.json()["runs"][0]["name"])


def test_list_as_a_table(cli: Cli) -> None:
    r = cli("runs", "list", ETL, "--limit", "5")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].split() == [
        "RUN",
        "STATE",
        "TRIGGER",
        "CREATED",
        "(UTC)",
        "DURATION",
        "ATTEMPT",
    ]
    rows = [line for line in lines if line.startswith(ETL + "/runs/")]
    assert len(rows) == 5
    assert "5 runs; more with --all or --page-token" in r.out


def test_list_json_is_the_rest_apis_json(cli: Cli) -> None:
    query = {"filter": "state = FAILED", "order_by": "start_time desc", "page_size": "7"}
    r = cli(
        "runs",
        "list",
        ETL,
        "--filter",
        query["filter"],
        "--order-by",
        query["order_by"],
        "--page-size",
        "7",
        "-o",
        "json",
    )
    assert r.code == 0, r.err
    assert r.json() == cli.rest(f"{ETL}/runs", **query)
    assert len(r.json()["runs"]) == 7


def test_yaml_is_the_same_document(cli: Cli) -> None:
    as_json = cli("runs", "list", ETL, "--limit", "3", "-o", "json").json()
    as_yaml = yaml.safe_load(cli("runs", "list", ETL, "--limit", "3", "-o", "yaml").out)
    assert as_yaml == as_json


def test_all_reads_every_page(cli: Cli) -> None:
    total = cli.rest(f"{ETL}/runs", page_size="1", show_total_size="true")["totalSize"]
    assert total > 100
    r = cli("runs", "list", ETL, "--all", "--page-size", "50", "-o", "json")
    assert r.code == 0, r.err
    names = [run["name"] for run in r.json()["runs"]]
    assert len(names) == len(set(names)) == total
    pages = -(-total // 50)
    assert f"{total:,} runs in {pages} pages" in r.err
    assert "nextPageToken" not in r.json()


def test_limit_across_pages_cuts_exactly(cli: Cli) -> None:
    r = cli("runs", "list", ETL, "--limit", "12", "--page-size", "5", "-o", "json")
    assert r.code == 0, r.err
    assert len(r.json()["runs"]) == 12


def test_invalid_filter_names_the_position_and_exits_4(cli: Cli) -> None:
    # In a child process: the installed entry point's exit status itself.
    r = cli.process("runs", "list", ETL, "--filter", "state = ")
    assert r.code == 4
    assert r.out == ""
    line = r.err.strip()
    assert "\n" not in line
    assert line.startswith("runyard: INVALID_ARGUMENT: filter:")
    assert "(at position 8)" in line
    assert "[reason INVALID_FILTER]" in line


def test_unknown_field_violation_and_not_found(cli: Cli) -> None:
    missing = cli("runs", "get", f"{ETL}/runs/nope")
    assert missing.code == 3
    assert missing.err.startswith("runyard: NOT_FOUND:")
    bad = cli("runs", "get", "not-a-run-name")
    assert bad.code == 4
    assert "[name:" in bad.err or "name" in bad.err


def test_get_table_and_json(cli: Cli) -> None:
    name = _a_run(cli, "SUCCEEDED")
    table = cli("runs", "get", name)
    assert table.code == 0, table.err
    assert "SUCCEEDED" in table.out
    assert name in table.out
    as_json = cli("runs", "get", name, "-o", "json")
    assert as_json.json() == cli.rest(name)


def test_every_lifecycle_command(cli: Cli) -> None:
    name = _a_run(cli, "RUNNING")

    paused = cli("runs", "pause", name, "--reason", "upstream data is late")
    assert paused.code == 0, paused.err
    assert "PAUSED" in paused.out
    assert "upstream data is late" in paused.out

    again = cli("runs", "pause", name, "--reason", "twice")
    assert again.code == 6
    assert "FAILED_PRECONDITION" in again.err
    assert "[reason ILLEGAL_STATE_TRANSITION]" in again.err

    resumed = cli("runs", "continue", name, "-o", "json")
    assert resumed.code == 0, resumed.err
    assert resumed.json()["state"] == "RUNNING"

    cancelled = cli("runs", "cancel", name, "--reason", "not needed", "-o", "json")
    assert cancelled.code == 0, cancelled.err
    assert cancelled.json()["state"] == "CANCELLED"
    assert cancelled.json()["endReason"] == "STOPPED"

    retried = cli("runs", "retry", name, "-o", "json")
    assert retried.code == 0, retried.err
    assert retried.json()["retriedRun"] == name
    assert retried.json()["attempt"] == cancelled.json()["attempt"] + 1

    events = cli("runs", "events", name, "--filter", "type = STATE_CHANGE")
    assert events.code == 0, events.err
    assert "upstream data is late" in events.out
    assert "PAUSED → RUNNING" in events.out
    as_json = cli("runs", "events", name, "--all", "-o", "json").json()
    states = [e["stateChange"]["toState"] for e in as_json["runEvents"] if "stateChange" in e]
    assert states[-3:] == ["PAUSED", "RUNNING", "CANCELLED"]


def test_stale_etag_is_a_conflict(cli: Cli) -> None:
    name = _a_run(cli, "RUNNING")
    r = cli("runs", "pause", name, "--reason", "x", "--etag", 'W/"999"')
    assert r.code == 6
    assert "ABORTED" in r.err


def test_pause_needs_a_reason(cli: Cli) -> None:
    r = cli("runs", "pause", f"{ETL}/runs/x")
    assert r.code == 2
    assert "--reason" in r.err


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("runs", "list", ETL, "--limit", "0").code == 2
    assert cli("runs", "list", ETL, "--limit", "3", "--all").code == 2
    unknown = cli("runs", "list", ETL, "--server", "staging")
    assert unknown.code == 2
    assert "unknown server 'staging'" in unknown.err


def test_no_token_or_too_small_a_role_exits_5(cli: Cli) -> None:
    anonymous = cli("runs", "list", ETL, env={"RUNYARD_TOKEN": ""})
    assert anonymous.code == 5
    assert anonymous.err.startswith("runyard: UNAUTHENTICATED:")
    name = _a_run(cli, "RUNNING")
    viewer = cli.server.token("demo", "viewer")
    denied = cli("runs", "pause", name, "--reason", "x", "--token", viewer)
    assert denied.code == 5
    assert denied.err.startswith("runyard: PERMISSION_DENIED:")
    assert cli("runs", "get", name, "--token", viewer).code == 0
