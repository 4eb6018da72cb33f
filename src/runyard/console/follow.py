"""Following a run live: its events from WatchRunEvents as they are committed,
one line each (or one JSON document per line with ``-o json``), resuming after
the last event seen when the connection drops."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import grpc
import orjson
from rich.console import Console
from rich.text import Text

from runyard.v1 import run_service_pb2 as rs

from . import render
from .connection import Client
from .output import json_value, stdout_console

__all__ = ["RECONNECTS", "follow"]

# Reconnections in a row after a dropped stream before giving up (bounded).
RECONNECTS = 5
_RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL)


def _print_event(console: Console, event: Any) -> None:
    kind, detail = render.event_detail(event)
    line = Text(f"#{event.sequence:<4} {render.when(event.create_time)}  {kind:<12} ")
    line.append_text(detail)
    console.print(line)


def _print_json(message: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(json_value(message)) + b"\n")
    sys.stdout.flush()


def follow(client: Client, args: argparse.Namespace) -> None:
    """Print the run's events until its stream ends (the run ended, unless
    ``--follow``) or the user interrupts; raises grpc.RpcError on failure."""
    console = stdout_console()
    table = args.output == "table"
    if table:
        run = client.call(client.runs.GetRun, rs.GetRunRequest(name=args.name))
        console.print(Text.assemble(f"{run.name} ", render.state_text(run.state)))
    after = args.after_sequence
    failures = 0
    while True:
        request = rs.WatchRunEventsRequest(
            parent=args.name, after_sequence=after, filter=args.filter, follow=args.follow
        )
        stream = client.runs.WatchRunEvents(request, metadata=client.metadata)
        try:
            for response in stream:
                failures = 0
                if response.HasField("event"):
                    after = response.event.sequence
                    if table:
                        _print_event(console, response.event)
                if not table:
                    _print_json(response)
            break
        except grpc.RpcError as e:
            code = e.code() if hasattr(e, "code") else None
            failures += 1
            if code not in _RETRYABLE or failures > RECONNECTS:
                raise
            stream.cancel()
    if table:
        run = client.call(client.runs.GetRun, rs.GetRunRequest(name=args.name))
        console.print(Text.assemble("run ended: ", render.state_text(run.state)))
