"""`runyard aggregates daily|automations`: runs per day by state (a table and a
bar chart) and per-automation totals of a workspace."""

from __future__ import annotations

import argparse
import contextlib
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf import timestamp_pb2
from google.type import date_pb2

from runyard.console import render
from runyard.console.command import api_parser, fail, invoke
from runyard.console.connection import Client
from runyard.console.errors import ExitCode
from runyard.console.output import emit
from runyard.v1 import run_service_pb2 as rs

DEFAULT_DAYS = 14


def local_zone() -> str:
    """The machine's IANA zone name (``$TZ``, else /etc/localtime's link), else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError, IndexError):
        candidates.append(str(Path("/etc/localtime").resolve()).split("zoneinfo/", 1)[1])
    for name in candidates:
        try:
            if name:
                ZoneInfo(name)
                return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


def register(sub: Any) -> None:
    agg = sub.add_parser("aggregates", help="runs per day by state, totals per automation")
    asub = agg.add_subparsers(dest="aggregates_command", required=True, metavar="COMMAND")
    api = api_parser()

    daily = asub.add_parser(
        "daily", parents=[api], help="runs per calendar day by state: a table and a bar chart"
    )
    daily.add_argument("parent", metavar="PARENT", help="organizations/O/workspaces/W")
    daily.add_argument(
        "--time-zone", default=None, metavar="TZ", help="IANA zone (default: this machine's)"
    )
    daily.add_argument(
        "--from",
        dest="start",
        type=date.fromisoformat,
        metavar="DATE",
        help=f"first day, YYYY-MM-DD (default: {DEFAULT_DAYS - 1} days before --to)",
    )
    daily.add_argument(
        "--to",
        dest="end",
        type=date.fromisoformat,
        metavar="DATE",
        help="last day, inclusive (default: today in the time zone)",
    )
    daily.add_argument("--filter", default="", help="AIP-160 filter on automation, state, trigger")
    daily.set_defaults(func=_daily)

    autos = asub.add_parser("automations", parents=[api], help="per-automation totals")
    autos.add_argument("parent", metavar="PARENT", help="organizations/O/workspaces/W")
    autos.add_argument("--start-time", help="runs created at or after, RFC 3339")
    autos.add_argument("--end-time", help="runs created before, RFC 3339")
    autos.add_argument("--filter", default="", help="AIP-160 filter on automation, state, trigger")
    autos.set_defaults(func=_automations)


def _pb_date(d: date) -> date_pb2.Date:
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def _daily(args: argparse.Namespace) -> int:
    zone = args.time_zone or local_zone()
    end = args.end
    if end is None:
        try:
            end = datetime.now(ZoneInfo(zone)).date()
        except (ZoneInfoNotFoundError, ValueError):
            end = datetime.now().date()  # the server names the bad zone
    start = args.start or end - timedelta(days=DEFAULT_DAYS - 1)

    def body(client: Client) -> None:
        request = rs.QueryDailyRunAggregatesRequest(
            parent=args.parent,
            time_zone=zone,
            start_date=_pb_date(start),
            end_date=_pb_date(end),
            filter=args.filter,
        )
        response = client.call(client.runs.QueryDailyRunAggregates, request)
        emit(response, args.output, render.daily_aggregates)

    return invoke(args, body)


def _timestamp(text: str | None) -> timestamp_pb2.Timestamp | None:
    if not text:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromJsonString(text)
    return ts


def _automations(args: argparse.Namespace) -> int:
    try:
        start, end = _timestamp(args.start_time), _timestamp(args.end_time)
    except ValueError as e:
        return fail(f"not an RFC 3339 time: {e}", ExitCode.USAGE)

    def body(client: Client) -> None:
        request = rs.QueryAutomationRunAggregatesRequest(
            parent=args.parent, filter=args.filter, page_size=1000, start_time=start, end_time=end
        )
        response = client.call(client.runs.QueryAutomationRunAggregates, request)
        # Every page: a workspace has at most a few thousand automations.
        for _ in range(1000):
            if not response.next_page_token:
                break
            request.page_token = response.next_page_token
            more = client.call(client.runs.QueryAutomationRunAggregates, request)
            response.automation_run_aggregates.extend(more.automation_run_aggregates)
            response.next_page_token = more.next_page_token
        emit(response, args.output, render.automation_aggregates)

    return invoke(args, body)
