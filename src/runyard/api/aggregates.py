"""QueryDailyRunAggregates and QueryAutomationRunAggregates: validation, and
totals turned into responses. The RPCs run these on a worker thread; tests
call them with a store directly (the same code path).

Rules:
- A run counts on the local calendar day (in `time_zone`) of its create_time,
  and in the automation window by its create_time: [start_time, end_time).
- Counts are by the run's current state. success_rate = succeeded /
  (succeeded + failed), 0 when neither. Duration figures are over the runs
  that have a duration (ended after starting); mean and max are exact, p50
  and p95 come from the rollup histogram (precision in
  runyard.domain.aggregates).
- Daily: start_date and end_date are required full dates (google.type.Date,
  no zero year, month or day), end_date not before start_date and at most
  MAX_SPAN_DAYS after it; time_zone is a required IANA name; one row per day,
  days without runs included.
- Per automation: ordered by automation id; page_size defaults to 50 and is
  coerced to 1000 at most; the page token is bound to the request's parent,
  filter and window.
- `filter` (both): AIP-160 on `automation` (an id or a full automation name),
  `state` and `trigger` (enum names).
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf import duration_pb2
from google.type import date_pb2

from runyard.aip.errors import invalid_argument, required
from runyard.aip.pagination import fingerprint, page_size
from runyard.api import names
from runyard.domain import aggregates as agg
from runyard.store.interface import AggregateStore
from runyard.store.refs import AutomationRef, RunRef
from runyard.v1 import common_pb2, run_pb2, run_service_pb2

MAX_SPAN_DAYS = 366
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

Run = run_pb2.Run


def _date(value: date_pb2.Date, field: str, present: bool) -> date:
    if not present:
        raise required(field)
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise invalid_argument(
            field,
            f"{value.year:04d}-{value.month:02d}-{value.day:02d} is not a calendar date "
            "(year 1-9999, month 1-12, a day of that month)",
            "INVALID_DATE",
        ) from None


def time_zone(name: str) -> ZoneInfo:
    if not name:
        raise required("time_zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise invalid_argument(
            "time_zone",
            f"{name[:64]!r} is not an IANA time zone name, e.g. 'Europe/London'",
            "UNKNOWN_TIME_ZONE",
        ) from None


def _us(d: duration_pb2.Duration, micros: int) -> duration_pb2.Duration:
    d.FromMicroseconds(micros)
    return d


def _fill(
    totals: agg.Totals,
    counts: common_pb2.RunStateCounts,
    duration: common_pb2.DurationStats,
) -> float:
    s = totals.by_state
    counts.queued = s[Run.QUEUED]
    counts.running = s[Run.RUNNING]
    counts.paused = s[Run.PAUSED]
    counts.succeeded = s[Run.SUCCEEDED]
    counts.failed = s[Run.FAILED]
    counts.cancelled = s[Run.CANCELLED]
    duration.count = totals.duration_count
    if totals.duration_count:
        _us(duration.mean, totals.mean())
        _us(duration.p50, totals.percentile(50))
        _us(duration.p95, totals.percentile(95))
        _us(duration.max, totals.duration_max)
    return totals.success_rate()


def query_daily(
    store: AggregateStore, request: run_service_pb2.QueryDailyRunAggregatesRequest
) -> run_service_pb2.QueryDailyRunAggregatesResponse:
    workspace = names.workspace(request.parent, "parent")
    start = _date(request.start_date, "start_date", request.HasField("start_date"))
    end = _date(request.end_date, "end_date", request.HasField("end_date"))
    if end < start:
        raise invalid_argument("end_date", "must not be before start_date", "INVALID_DATE_RANGE")
    if (end - start).days > MAX_SPAN_DAYS:
        raise invalid_argument(
            "end_date",
            f"must be at most {MAX_SPAN_DAYS} days after start_date",
            "DATE_RANGE_TOO_LONG",
            max_days=str(MAX_SPAN_DAYS),
        )
    zone = time_zone(request.time_zone)
    try:
        bounds = agg.day_bounds(start, end, zone)
    except OverflowError:
        raise invalid_argument(
            "end_date", "is out of the supported range in that time zone", "INVALID_DATE"
        ) from None
    days = store.daily_run_aggregates(workspace, bounds, request.filter)
    response = run_service_pb2.QueryDailyRunAggregatesResponse()
    for i, totals in enumerate(days):
        day = start + timedelta(days=i)
        row = response.days.add(total_runs=totals.total)
        row.date.year, row.date.month, row.date.day = day.year, day.month, day.day
        row.success_rate = _fill(totals, row.state_counts, row.duration)
    return response


def _fingerprint(request: run_service_pb2.QueryAutomationRunAggregatesRequest) -> str:
    window = [
        str(request.start_time.ToMicroseconds()) if request.HasField("start_time") else "",
        str(request.end_time.ToMicroseconds()) if request.HasField("end_time") else "",
    ]
    return fingerprint("automationRunAggregates", request.parent, request.filter.strip(), *window)


def query_automations(
    store: AggregateStore, request: run_service_pb2.QueryAutomationRunAggregatesRequest
) -> run_service_pb2.QueryAutomationRunAggregatesResponse:
    workspace = names.workspace(request.parent, "parent")
    lo = request.start_time.ToMicroseconds() if request.HasField("start_time") else None
    hi = request.end_time.ToMicroseconds() if request.HasField("end_time") else None
    if lo is not None and hi is not None and hi <= lo:
        raise invalid_argument("end_time", "must be after start_time", "INVALID_TIME_RANGE")
    size = page_size(request.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    bound_to = _fingerprint(request)
    after = (
        str(store.page_tokens.decode(request.page_token, bound_to, 1)[0])
        if request.page_token
        else ""
    )
    items, more = store.automation_run_aggregates(workspace, lo, hi, request.filter, after, size)
    response = run_service_pb2.QueryAutomationRunAggregatesResponse()
    for item in items:
        auto = AutomationRef(workspace, item.automation)
        row = response.automation_run_aggregates.add(
            automation=auto.name, total_runs=item.totals.total
        )
        row.success_rate = _fill(item.totals, row.state_counts, row.duration)
        if item.last_run:
            row.last_run = RunRef(auto, item.last_run).name
            row.last_run_state = item.last_run_state  # type: ignore[assignment]
            if item.last_run_time is not None:
                row.last_run_time.FromMicroseconds(item.last_run_time)
    if more and items:
        response.next_page_token = store.page_tokens.encode(bound_to, [items[-1].automation])
    return response
