"""`runyard automations list` and `runyard aggregates …` against the demo data."""

from __future__ import annotations

from datetime import date, timedelta

from tests.cli.conftest import WS, Cli


def test_automations_list(cli: Cli) -> None:
    r = cli("automations", "list", WS)
    assert r.code == 0, r.err
    assert "automations/nightly-etl" in r.out
    assert "6 automations" in r.out
    assert cli("automations", "list", WS, "-o", "json").json() == cli.rest(f"{WS}/automations")


def test_daily_table_and_bar_chart(cli: Cli) -> None:
    end = date.today()
    start = end - timedelta(days=6)
    args = [
        "aggregates",
        "daily",
        WS,
        "--time-zone",
        "Asia/Tokyo",
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
    ]
    r = cli(*args)
    assert r.code == 0, r.err
    assert "SUCCEEDED" in r.out
    assert start.isoformat() in r.out
    assert "█" in r.out
    assert "succeeded" in r.out  # the legend
    days = cli(*args, "-o", "json").json()["days"]
    assert len(days) == 7
    assert sum(int(d.get("totalRuns", 0)) for d in days) > 0


def test_daily_bad_time_zone(cli: Cli) -> None:
    r = cli("aggregates", "daily", WS, "--time-zone", "Mars/Olympus")
    assert r.code == 4
    assert "time_zone" in r.err


def test_automation_aggregates(cli: Cli) -> None:
    r = cli("aggregates", "automations", WS)
    assert r.code == 0, r.err
    assert "nightly-etl" in r.out
    assert "%" in r.out
    as_json = cli("aggregates", "automations", WS, "-o", "json").json()
    assert len(as_json["automationRunAggregates"]) == 6


def test_unreachable_server_exits_7(cli: Cli) -> None:
    r = cli("automations", "list", WS, "--server", "127.0.0.1:1", "--timeout", "2")
    assert r.code == 7
    assert r.err.startswith("runyard: UNAVAILABLE") or r.err.startswith("runyard: DEADLINE")
