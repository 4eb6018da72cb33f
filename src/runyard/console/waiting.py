"""Waiting for a long-running operation: GetOperation polled until it is done,
with its progress (the runs visited so far and what became of them) on stderr."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.progress import BarColumn, Progress, TextColumn

from runyard.v1 import operation_pb2

from .connection import Client
from .output import stderr_console
from .render_ops import progress_line

__all__ = ["POLL_SECONDS", "wait"]

POLL_SECONDS = 0.5
LINE_SECONDS = 2.0

Operation = operation_pb2.Operation


def _visited(op: Operation) -> int:
    m = op.metadata
    return m.done_count + m.failed_count + m.skipped_count


def wait(
    client: Client,
    name: str,
    *,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Operation:
    """Polls ``name`` until it is done; the finished operation."""
    request = operation_pb2.GetOperationRequest(name=name)
    op = client.call(client.operations.GetOperation, request)
    console = stderr_console()
    # Off a terminal (a log, a pipe): a line when the counts change, at most every few seconds.
    said, said_at = "", -LINE_SECONDS
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[line]}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("waiting", total=None, line="")
        while not op.done:
            progress.update(
                task,
                description=operation_pb2.OperationMetadata.State.Name(op.metadata.state).lower(),
                completed=_visited(op),
                line=progress_line(op),
            )
            line = f"{name}: {progress_line(op)}"
            if not console.is_terminal and line != said and clock() - said_at >= LINE_SECONDS:
                console.print(line, markup=False, soft_wrap=True)
                said, said_at = line, clock()
            sleep(poll)
            op = client.call(client.operations.GetOperation, request)
    return op
