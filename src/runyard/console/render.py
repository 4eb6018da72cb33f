"""The table forms: runs, one run, events, automations, aggregates, and the
terminal bar chart of daily runs by state."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from google.protobuf import duration_pb2, timestamp_pb2
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runyard.v1 import automation_pb2, common_pb2, run_pb2, run_service_pb2

__all__ = [
    "STATE_STYLES",
    "automation_aggregates",
    "automations",
    "daily_aggregates",
    "events",
    "run",
    "runs",
]

Run = run_pb2.Run

# One colour per state, shared with the dashboard's palette in spirit.
STATE_STYLES = {
    "QUEUED": "grey62",
    "RUNNING": "blue",
    "PAUSED": "yellow",
    "SUCCEEDED": "green",
    "FAILED": "red",
    "CANCELLED": "magenta",
}
STATES = tuple(STATE_STYLES)


def state_text(state: int) -> Text:
    name = Run.State.Name(state) if state in Run.State.values() else str(state)
    return Text(name, style=STATE_STYLES.get(name, ""))


def when(ts: timestamp_pb2.Timestamp) -> str:
    if not ts.seconds and not ts.nanos:
        return ""
    return ts.ToDatetime(UTC).strftime("%Y-%m-%d %H:%M:%S")


def span(d: duration_pb2.Duration) -> str:
    if not d.seconds and not d.nanos:
        return ""
    total = d.seconds + d.nanos / 1e9
    if total < 60:
        return f"{total:.1f}s"
    minutes, seconds = divmod(int(total), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def short(name: str, marker: str) -> str:
    """The tail of a resource name from its ``marker`` collection on."""
    i = name.find(f"/{marker}/")
    return name[i + 1 :] if i >= 0 else name


# What the other columns of the runs table take, about.
_RUNS_OTHER_COLUMNS = 62


def runs(console: Console, page: run_service_pb2.ListRunsResponse) -> None:
    longest = max((len(r.name) for r in page.runs), default=0)
    # Full names (to paste into `runs get`) when they fit, else from the automation on.
    full = console.width >= longest + _RUNS_OTHER_COLUMNS
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("RUN", "STATE", "TRIGGER", "CREATED (UTC)", "DURATION", "ATTEMPT"):
        table.add_column(col, overflow="fold")
    for r in page.runs:
        table.add_row(
            r.name if full else short(r.name, "automations").removeprefix("automations/"),
            state_text(r.state) + (" (archived)" if r.archived else ""),
            Run.Trigger.Name(r.trigger).replace("TRIGGER_UNSPECIFIED", ""),
            when(r.create_time),
            span(r.duration),
            str(r.attempt),
        )
    console.print(table)
    if page.runs and not full:
        prefix = page.runs[0].name[: page.runs[0].name.find("/automations/") + 13]
        console.print(Text(f"names under {prefix}", style="dim"))
    footer(console, len(page.runs), page.total_size, page.next_page_token, "runs")


def footer(console: Console, shown: int, total: int, token: str, noun: str) -> None:
    line = f"{shown:,} {noun}" + (f" of {total:,}" if total else "")
    if token:
        line += f"; more with --all or --page-token {token}"
    console.print(Text(line, style="dim"))


def run(console: Console, r: run_pb2.Run) -> None:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    rows: list[tuple[str, str | Text]] = [
        ("name", r.name),
        ("state", state_text(r.state)),
        ("trigger", Run.Trigger.Name(r.trigger)),
        ("attempt", str(r.attempt)),
        ("started by", r.started_by),
        ("created", when(r.create_time)),
        ("started", when(r.start_time)),
        ("ended", when(r.end_time)),
        ("duration", span(r.duration)),
        ("end reason", Run.EndReason.Name(r.end_reason) if r.end_reason else ""),
        ("exit code", str(r.exit_code) if r.HasField("exit_code") else ""),
        ("failure", r.failure.message),
        ("paused by", r.paused_by),
        ("pause reason", r.pause_reason),
        ("retried run", r.retried_run),
        ("labels", ", ".join(f"{k}={v}" for k, v in sorted(r.labels.items()))),
        ("archived", when(r.archive_time) if r.archived else ""),
        ("etag", r.etag),
    ]
    for key, value in rows:
        if value:
            table.add_row(key, value)
    console.print(table)


def events(console: Console, page: run_service_pb2.ListRunEventsResponse) -> None:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("SEQ", "TIME (UTC)", "TYPE", "DETAIL"):
        table.add_column(col, overflow="fold")
    for e in page.run_events:
        table.add_row(str(e.sequence), when(e.create_time), *event_detail(e))
    console.print(table)
    footer(console, len(page.run_events), page.total_size, page.next_page_token, "events")


def event_detail(e: run_pb2.RunEvent) -> tuple[str, Text]:
    if e.HasField("state_change"):
        sc = e.state_change
        text = Text()
        # A run's first event has no state to leave: it is the run's creation.
        if sc.from_state == Run.STATE_UNSPECIFIED:
            text.append("created")
        else:
            text.append_text(state_text(sc.from_state))
        text.append(" → ")
        text.append_text(state_text(sc.to_state))
        if sc.actor:
            text.append(f" by {sc.actor}")
        if sc.reason:
            text.append(f": {sc.reason}")
        return "state change", text
    if e.HasField("journal"):
        j = e.journal
        return "journal", Text(f"{j.node_kind} {j.node_id}".strip())
    return run_pb2.RunEvent.Type.Name(e.type), Text("")


def automations(console: Console, page: automation_pb2.ListAutomationsResponse) -> None:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("AUTOMATION", "DISPLAY NAME", "KIND", "SCHEDULE", "UPDATED (UTC)"):
        table.add_column(col, overflow="fold")
    for a in page.automations:
        table.add_row(
            short(a.name, "automations"),
            a.display_name,
            automation_pb2.Automation.Kind.Name(a.kind),
            a.schedule,
            when(a.update_time),
        )
    console.print(table)
    footer(console, len(page.automations), page.total_size, page.next_page_token, "automations")


def _counts(c: common_pb2.RunStateCounts) -> list[int]:
    return [c.queued, c.running, c.paused, c.succeeded, c.failed, c.cancelled]


def _rate(rate: float, counts: common_pb2.RunStateCounts) -> str:
    return f"{rate * 100:.1f}%" if counts.succeeded + counts.failed else ""


def daily_aggregates(
    console: Console, response: run_service_pb2.QueryDailyRunAggregatesResponse
) -> None:
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("DATE")
    table.add_column("TOTAL", justify="right")
    for state in STATES:
        table.add_column(state, justify="right", header_style=f"bold {STATE_STYLES[state]}")
    for col in ("SUCCESS", "P50", "P95"):
        table.add_column(col, justify="right")
    for day in response.days:
        table.add_row(
            f"{day.date.year:04d}-{day.date.month:02d}-{day.date.day:02d}",
            str(day.total_runs),
            *(str(n) for n in _counts(day.state_counts)),
            _rate(day.success_rate, day.state_counts),
            span(day.duration.p50),
            span(day.duration.p95),
        )
    console.print(table)
    console.print()
    console.print(bar_chart(response.days, width=max(10, min(60, console.width - 20))))


def bar_chart(days: Iterable[run_service_pb2.DailyRunAggregate], width: int) -> Text:
    """One line a day: a bar of the day's runs, stacked by state, scaled to the busiest day."""
    rows = list(days)
    peak = max((d.total_runs for d in rows), default=0) or 1
    chart = Text()
    for day in rows:
        chart.append(f"{day.date.month:02d}-{day.date.day:02d} ")
        used = 0
        for state, n in zip(STATES, _counts(day.state_counts), strict=True):
            cells = round(n * width / peak)
            chart.append("█" * cells, style=STATE_STYLES[state])
            used += cells
        chart.append(f"{'' if used else '·'} {day.total_runs}\n")
    legend = Text()
    for state in STATES:
        legend.append("█ ", style=STATE_STYLES[state])
        legend.append(f"{state.lower()}  ")
    chart.append_text(legend)
    return chart


def automation_aggregates(
    console: Console, response: run_service_pb2.QueryAutomationRunAggregatesResponse
) -> None:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("AUTOMATION", "RUNS", "SUCCEEDED", "FAILED", "SUCCESS", "P50", "P95"):
        table.add_column(col, justify="left" if col == "AUTOMATION" else "right")
    table.add_column("LAST RUN (UTC)")
    table.add_column("LAST STATE")
    for a in response.automation_run_aggregates:
        table.add_row(
            short(a.automation, "automations").removeprefix("automations/"),
            str(a.total_runs),
            str(a.state_counts.succeeded),
            str(a.state_counts.failed),
            _rate(a.success_rate, a.state_counts),
            span(a.duration.p50),
            span(a.duration.p95),
            when(a.last_run_time),
            state_text(a.last_run_state) if a.last_run_state else Text(""),
        )
    console.print(table)
