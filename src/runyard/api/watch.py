"""WatchRunEvents and WatchRuns: backlog then live, resumable, heartbeating.

Each stream subscribes to its topic on the process's hub (runyard.store.notify)
before it reads anything, then loops: clear the wake-up flag, read everything
after its resume point (runyard.store.streams), send it, advance the resume
point, sleep until woken or until the heartbeat interval passes. Reading
always starts from the resume point, so a wake-up that races a read causes one
more read, never a gap or a duplicate. docs/streams.md describes the contract.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from google.protobuf import timestamp_pb2

from runyard.aip.errors import invalid_argument
from runyard.aip.filtering import check_filter
from runyard.aip.filtering.evaluator import evaluate_checked
from runyard.api import names
from runyard.api.context import now_us, reading
from runyard.api.shared_reads import SharedReads
from runyard.store import changefeed, listing
from runyard.store.notify import Hub
from runyard.store.run_rows import run_columns
from runyard.store.streams import BATCH, ChangeBatch, EventBatch, StreamReads, run_event_filter
from runyard.v1 import run_pb2, run_service_pb2

Ctx = grpc.aio.ServicerContext[Any, Any]
Run = run_pb2.Run
HEARTBEAT_SECONDS = 15.0


def _heartbeat(token: str = "") -> run_service_pb2.StreamHeartbeat:
    beat = run_service_pb2.StreamHeartbeat(resume_token=token)
    beat.time.FromMicroseconds(now_us())
    return beat


def encode_token(workspace_id: int, seq: int) -> str:
    raw = f"c1.{workspace_id}.{seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, workspace_id: int) -> int:
    """The change number in a resume token of this workspace, or INVALID_ARGUMENT."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        version, ws, seq = raw.split(".")
        if version != "c1" or int(ws) != workspace_id or int(seq) < 0:
            raise ValueError(raw)
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid_argument(
            "resume_token",
            "is not a resume token of this workspace's change feed",
            "INVALID_RESUME_TOKEN",
        ) from None


def run_matcher(text: str) -> Callable[[Run], bool]:
    """The ListRuns filter `text` as a test of one run (the evaluator's meaning of it)."""
    schema = listing.RUNS.schema
    checked = check_filter(text, schema)  # the same INVALID_ARGUMENT as ListRuns
    if checked is None:
        return lambda run: True

    def matches(run: Run) -> bool:
        parts = run.name.split("/")
        row = {
            **run_columns(run),
            "automation": parts[5],
            "run": parts[7],
            "failure.message": run.failure.message,
        }
        return evaluate_checked(checked, schema, row) is True

    return matches


class Watcher:
    """The two watch streams of RunService, on one hub and one store."""

    def __init__(self, reads: StreamReads, hub: Hub, heartbeat: float = HEARTBEAT_SECONDS) -> None:
        self.reads = reads
        self.hub = hub
        self.heartbeat = heartbeat
        self.event_reads: SharedReads[EventBatch] = SharedReads()
        self.change_reads: SharedReads[ChangeBatch] = SharedReads()

    async def run_events(
        self, request: run_service_pb2.WatchRunEventsRequest, context: Ctx
    ) -> AsyncIterator[run_service_pb2.WatchRunEventsResponse]:
        Response = run_service_pb2.WatchRunEventsResponse
        ref = names.run(request.parent, "parent")
        if request.after_sequence < 0:
            raise invalid_argument(
                "after_sequence", "must be 0 (from the start) or more", "NEGATIVE_SEQUENCE"
            )
        where = run_event_filter(request.filter)
        run_id, _ = await reading(self.reads.run_ids, ref)
        after = request.after_sequence
        first = True
        with self.hub.subscribe(changefeed.run_topic(run_id)) as sub:
            while True:
                sub.clear()
                batch = await self.event_reads.read(
                    (ref, after, request.filter),
                    self.event_reads.mark(),
                    functools.partial(self.reads.events_after, ref, after, where),
                )
                for response in _event_responses(batch):
                    yield response
                after = batch.last
                if batch.ended and not request.follow:
                    return
                if first and not batch.events:
                    # Nothing stored to send: tell the caller at once that it is live.
                    yield Response(heartbeat=_heartbeat())
                first = False
                if len(batch.events) == BATCH:
                    continue
                if not await sub.wait(self.heartbeat):
                    yield Response(heartbeat=_heartbeat())

    async def runs(
        self, request: run_service_pb2.WatchRunsRequest, context: Ctx
    ) -> AsyncIterator[run_service_pb2.WatchRunsResponse]:
        Response = run_service_pb2.WatchRunsResponse
        parent = names.automation(request.parent, "parent", wildcard=True)
        matches = run_matcher(request.filter)
        ws_id = await reading(self.reads.parent_workspace_id, parent)
        with self.hub.subscribe(changefeed.workspace_topic(ws_id)) as sub:
            if request.resume_token:
                after = decode_token(request.resume_token, ws_id)
            else:
                # Read after subscribing: a change committed meanwhile still wakes us.
                after = await reading(self.reads.head, parent.workspace)
            first = True
            while True:
                sub.clear()
                batch = await self.change_reads.read(
                    (parent, after),
                    self.change_reads.mark(),
                    functools.partial(self.reads.changes_after, parent, after),
                )
                sent = False
                for seq, create_time, body in batch.changes:
                    run = Run.FromString(body)
                    if matches(run):
                        change = run_pb2_change(run, encode_token(ws_id, seq), create_time)
                        yield Response(change=change)
                        sent = True
                after = batch.last
                if first and not sent:
                    yield Response(heartbeat=_heartbeat(encode_token(ws_id, after)))
                first = False
                if len(batch.changes) == BATCH:
                    continue
                if not await sub.wait(self.heartbeat):
                    yield Response(heartbeat=_heartbeat(encode_token(ws_id, after)))


def _event_responses(batch: EventBatch) -> list[run_service_pb2.WatchRunEventsResponse]:
    # Parsed once per shared read, not once per watcher.
    cached: list[run_service_pb2.WatchRunEventsResponse] | None = getattr(batch, "parsed", None)
    if cached is None:
        cached = [
            run_service_pb2.WatchRunEventsResponse(event=run_pb2.RunEvent.FromString(body))
            for body in batch.events
        ]
        batch.parsed = cached  # type: ignore[attr-defined]
    return cached


def run_pb2_change(run: Run, token: str, create_time_us: int) -> run_service_pb2.RunChange:
    change = run_service_pb2.RunChange(run=run, resume_token=token)
    ts = timestamp_pb2.Timestamp()
    ts.FromMicroseconds(create_time_us)
    change.change_time.CopyFrom(ts)
    return change
