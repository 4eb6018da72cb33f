"""The table forms of long-running operations: a list of operations, one
operation with its progress, the runs an operation could not change, and the
one-line answer of a validate_only request."""

from __future__ import annotations

from google.rpc import code_pb2
from rich.console import Console
from rich.table import Table
from rich.text import Text

from runyard.v1 import operation_pb2

from .render import footer, short, when

__all__ = ["failures", "operation", "operations", "progress_line", "state_text", "verb"]

Meta = operation_pb2.OperationMetadata

STATE_STYLES = {
    "PENDING": "grey62",
    "RUNNING": "blue",
    "SUCCEEDED": "green",
    "FAILED": "red",
    "CANCELLED": "magenta",
}
# The action's past participle, for "12 runs cancelled".
VERBS = {
    "CANCEL": "cancelled",
    "PAUSE": "paused",
    "CONTINUE": "continued",
    "RETRY": "retried",
    "ARCHIVE": "archived",
    "PURGE": "purged",
}


def state_text(state: int) -> Text:
    name = Meta.State.Name(state) if state in Meta.State.values() else str(state)
    return Text(name, style=STATE_STYLES.get(name, ""))


def action_name(action: int) -> str:
    return Meta.Action.Name(action) if action in Meta.Action.values() else str(action)


def verb(action: int) -> str:
    return VERBS.get(action_name(action), "changed")


def code_name(code: int) -> str:
    return code_pb2.Code.Name(code) if code in code_pb2.Code.values() else str(code)


def progress_line(op: operation_pb2.Operation) -> str:
    m = op.metadata
    return (
        f"{m.matched_count:,} matched, {m.done_count:,} {verb(m.action)}, "
        f"{m.failed_count:,} failed, {m.skipped_count:,} skipped"
    )


def _target(m: operation_pb2.OperationMetadata) -> str:
    parent = short(m.parent, "automations").removeprefix("automations/")
    if m.name_count:
        return f"{parent}: {m.name_count:,} named runs"
    return f"{parent}: {m.filter}" if m.filter else parent


def operations(console: Console, page: operation_pb2.ListOperationsResponse) -> None:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("OPERATION", "ACTION", "STATE"):
        table.add_column(col)
    for col in ("MATCHED", "DONE", "FAILED", "SKIPPED"):
        table.add_column(col, justify="right")
    table.add_column("CREATED (UTC)")
    table.add_column("RUNS", overflow="fold")
    for op in page.operations:
        m = op.metadata
        table.add_row(
            short(op.name, "operations").removeprefix("operations/"),
            action_name(m.action),
            state_text(m.state),
            f"{m.matched_count:,}",
            f"{m.done_count:,}",
            f"{m.failed_count:,}",
            f"{m.skipped_count:,}",
            when(m.create_time),
            _target(m),
        )
    console.print(table)
    if page.operations:
        name = page.operations[0].name
        console.print(Text(f"names under {name[: name.find('/operations/') + 12]}", style="dim"))
    footer(console, len(page.operations), 0, page.next_page_token, "operations")


def operation(console: Console, op: operation_pb2.Operation) -> None:
    """One operation; a validate_only answer (no name) as the count it found."""
    m = op.metadata
    if m.validate_only and not op.name:
        console.print(f"{m.matched_count:,} runs would be {verb(m.action)} (nothing changed)")
        return
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    error = f"{code_name(op.error.code)}: {op.error.message}" if op.HasField("error") else ""
    rows: list[tuple[str, str | Text]] = [
        ("name", op.name),
        ("action", action_name(m.action)),
        ("state", state_text(m.state)),
        ("done", "yes" if op.done else "no"),
        ("runs of", m.parent),
        ("filter", m.filter),
        ("ended before", when(m.cutoff_time)),
        ("named runs", f"{m.name_count:,}" if m.name_count else ""),
        ("reason", m.reason),
        ("requester", m.requester),
        ("progress", progress_line(op)),
        ("rate cap", f"{m.max_runs_per_second:g} runs/s" if m.max_runs_per_second else ""),
        ("cancel asked", "yes" if m.cancel_requested else ""),
        ("error", error),
        ("created", when(m.create_time)),
        ("started", when(m.start_time)),
        ("updated", when(m.update_time)),
        ("ended", when(m.end_time)),
    ]
    for key, value in rows:
        if value:
            table.add_row(key, value)
    console.print(table)


def failures(console: Console, page: operation_pb2.ListOperationFailuresResponse) -> None:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("RUN", "OUTCOME", "CODE", "WHY", "TIME (UTC)"):
        table.add_column(col, overflow="fold")
    for f in page.failures:
        table.add_row(
            short(f.run, "automations").removeprefix("automations/"),
            Text("skipped", style="yellow") if f.skipped else Text("failed", style="red"),
            code_name(f.status.code),
            f.status.message,
            when(f.create_time),
        )
    console.print(table)
    footer(console, len(page.failures), 0, page.next_page_token, "failures")
