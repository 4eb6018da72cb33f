"""Retention: which runs an ARCHIVE or PURGE operation acts on (those that
ended before a cutoff taken from the workspace's run_retention or
archive_retention, or from the caller's older_than), starting those
operations, and the schedule that starts them on every server.

The operations themselves are done by the operation worker
(runyard.jobs.worker) like any bulk action: durable, leased to one server at
a time, resumed after a crash."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf import duration_pb2

from runyard.aip.errors import ApiError, failed_precondition, invalid_argument
from runyard.aip.names import generated_id
from runyard.store.interface import RetentionStore, RunSelection
from runyard.store.refs import AutomationRef, OperationRef, WorkspaceRef
from runyard.v1 import operation_pb2, workspace_pb2

log = logging.getLogger(__name__)

Meta = operation_pb2.OperationMetadata
Operation = operation_pb2.Operation
# Who asks for the operations the schedule starts.
SCHEDULE_REQUESTER = "runyard.dev/retention-schedule"
DEFAULT_INTERVAL_SECONDS = 3600.0
# Archiving and purging move rows without the state machine: cheap per run,
# still capped so a large backlog leaves room for other writers.
RUNS_PER_SECOND = 2000.0
_WINDOW_FIELD: dict[int, str] = {Meta.ARCHIVE: "run_retention", Meta.PURGE: "archive_retention"}


def _now_us() -> int:
    return time.time_ns() // 1000


def cutoff_us(
    action: int,
    workspace: workspace_pb2.Workspace,
    older_than: duration_pb2.Duration | None,
    now_us: int,
) -> int:
    """Runs that ended before the returned time are acted on: now minus
    `older_than`, or minus the workspace's window for `action`."""
    field = _WINDOW_FIELD[action]
    if older_than is not None:
        window = older_than.ToMicroseconds()
        if window < 0:
            raise invalid_argument("older_than", "must not be negative", "OUT_OF_RANGE")
    elif workspace.HasField(field):
        window = getattr(workspace, field).ToMicroseconds()
    else:
        raise failed_precondition(
            "NO_RETENTION",
            f"{workspace.name} has no {field}; give older_than or set the workspace's {field}",
            field=field,
        )
    return now_us - window


@dataclass(frozen=True)
class Start:
    """An ARCHIVE or PURGE operation to start (or only count, validate_only)."""

    action: int
    workspace: WorkspaceRef
    cutoff_us: int
    requester: str
    now_us: int

    def metadata(self) -> operation_pb2.OperationMetadata:
        meta = Meta(
            action=self.action,  # type: ignore[arg-type]
            state=Meta.PENDING,
            parent=AutomationRef(self.workspace, "-").name,
            requester=self.requester,
            max_runs_per_second=RUNS_PER_SECOND,
        )
        meta.cutoff_time.FromMicroseconds(self.cutoff_us)
        meta.create_time.FromMicroseconds(self.now_us)
        meta.update_time.FromMicroseconds(self.now_us)
        return meta

    def count(self, store: RetentionStore) -> Operation:
        """The validate_only answer: how many runs would be acted on now."""
        meta = self.metadata()
        if self.action == Meta.ARCHIVE:
            meta.matched_count = store.count_runs_to_archive(self.workspace, self.cutoff_us)
        else:
            meta.matched_count = store.count_runs_to_purge(self.workspace, self.cutoff_us)
        meta.validate_only = True
        meta.state = Meta.SUCCEEDED
        return Operation(metadata=meta, done=True)

    def create(self, store: RetentionStore, request_key: str) -> Operation:
        ref = OperationRef(self.workspace, generated_id("op"))
        selection = RunSelection(AutomationRef(self.workspace, "-"), "")
        return store.create_operation(
            ref, Operation(metadata=self.metadata()), selection, request_key
        )


def scheduled(store: RetentionStore, now_us: int, interval_us: int) -> list[Operation]:
    """Starts the ARCHIVE and PURGE operations the workspaces' windows call for,
    unless one of the same kind is still unfinished there. The request key is
    the same on every server within one interval, so replicas start one each."""
    started = []
    slot = now_us // max(interval_us, 1)
    for ws in store.retention_workspaces():
        ref = WorkspaceRef.parse(ws.name)
        for action, field in _WINDOW_FIELD.items():
            if not ws.HasField(field) or store.unfinished_operation(ref, action):
                continue
            start = Start(
                action, ref, cutoff_us(action, ws, None, now_us), SCHEDULE_REQUESTER, now_us
            )
            key = f"retention:{ref.name}:{Meta.Action.Name(action)}:{slot}"
            started.append(start.create(store, key))
    return started


async def schedule_forever(
    store: RetentionStore, interval_seconds: float, wake: Callable[[], None]
) -> None:
    """Every `interval_seconds` (the first time right away), starts what
    `scheduled` finds and wakes the operation worker."""
    interval_us = int(interval_seconds * 1_000_000)
    while True:
        try:
            started = await asyncio.to_thread(scheduled, store, _now_us(), interval_us)
            if started:
                log.info("retention: started %s", ", ".join(op.name for op in started))
                wake()
        except ApiError as err:
            log.warning("retention schedule: %s", err)
        except Exception:
            # The schedule outlives one round's trouble; it tries again next time.
            log.exception("retention schedule: unexpected error")
        await asyncio.sleep(interval_seconds)
