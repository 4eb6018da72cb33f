"""Long-running operations (runyard.store.interface.OperationStore): bulk
actions on runs, stored so that any replica can pick them up and resume them.

A worker claims an operation with a lease, then calls `advance_operation` once
per batch. One transaction locks the operation row, changes up to `limit` runs
by keyset (run id > cursor, never above the high-water id taken at creation)
and records the new cursor, counts and per-run failures with them: a crash
loses no acknowledged progress and repeats no change."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from google.rpc import code_pb2, status_pb2
from sqlalchemy import Connection, false, func, insert, or_, select, tuple_, update

from runyard.aip.errors import ApiError, not_found
from runyard.aip.listing import ListPlan
from runyard.aip.names import generated_id
from runyard.aip.sql import compile_filter
from runyard.store import archive, listing
from runyard.store import tables as t
from runyard.store.archived_reads import refuse_archived
from runyard.store.db import Part
from runyard.store.interface import BulkAction, Page, RunSelection
from runyard.store.refs import AutomationRef, OperationRef, RunRef, WorkspaceRef
from runyard.store.runs import (
    Deferred,
    _automation_exists_or_has_runs,
    apply_deferred,
    change_locked,
    retry_locked,
)
from runyard.v1 import operation_pb2

Operation = operation_pb2.Operation
Meta = operation_pb2.OperationMetadata
Failure = operation_pb2.OperationFailure
OPS = t.operations
R = t.runs
# The longest a batch's transaction goes on changing runs.
BATCH_SECONDS = 0.25

# The run columns change_locked and retry_locked need, plus the run's name.
_RUN_COLUMNS = (
    R.c.id,
    R.c.workspace_id,
    R.c.version,
    R.c.paused_from_state,
    R.c.last_event,
    R.c.body,
    R.c.automation,
    R.c.run,
)


def _selected(ws_id: int, selection: RunSelection, states: frozenset[int]) -> Any:
    """The WHERE of the runs a filter selects (INVALID_ARGUMENT for a bad filter)."""
    conditions = [R.c.workspace_id == ws_id, R.c.state.in_(sorted(states))]
    if selection.parent.automation != "-":
        conditions.append(R.c.automation == selection.parent.automation)
    condition = compile_filter(selection.filter, listing.RUNS.schema, R.c)
    if condition is not None:
        conditions.append(condition)
    return conditions


def _op_row(conn: Connection, ws_id: int, ref: OperationRef, *, lock: bool = False) -> Any:
    query = select(OPS.c.id, OPS.c.done, OPS.c.body).where(
        OPS.c.workspace_id == ws_id, OPS.c.operation == ref.operation
    )
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise not_found("runyard.dev/Operation", ref.name)
    return row


def _finish(op: Operation, state: int, now_us: int, error: status_pb2.Status | None) -> None:
    meta = op.metadata
    meta.state = state  # type: ignore[assignment]
    meta.update_time.FromMicroseconds(now_us)
    meta.end_time.FromMicroseconds(now_us)
    op.done = True
    if error is not None:
        op.error.CopyFrom(error)
    else:
        op.response.matched_count = meta.matched_count
        op.response.done_count = meta.done_count
        op.response.failed_count = meta.failed_count
        op.response.skipped_count = meta.skipped_count


class SqlOperations(Part):
    def create_operation(
        self, ref: OperationRef, operation: Operation, selection: RunSelection, request_key: str
    ) -> Operation:
        def work(conn: Connection) -> Operation:
            ws_id = self.db.workspace_id(conn, ref.workspace)
            if selection.parent.automation != "-":
                _automation_exists_or_has_runs(conn, ws_id, selection.parent)
            if not selection.names:
                # Checked now so a bad filter is refused, not failed later.
                _selected(ws_id, selection, frozenset())
            high = conn.execute(select(func.max(R.c.id)).where(R.c.workspace_id == ws_id))
            op = Operation()
            op.CopyFrom(operation)
            op.name = ref.name
            meta = op.metadata
            conn.execute(
                insert(OPS).values(
                    workspace_id=ws_id,
                    operation=ref.operation,
                    action=meta.action,
                    state=meta.state,
                    done=False,
                    names=[n.name for n in selection.names],
                    cursor=0,
                    high_water=high.scalar() or 0,
                    lease_owner="",
                    lease_expire_time=None,
                    create_time=meta.create_time.ToMicroseconds(),
                    update_time=meta.update_time.ToMicroseconds(),
                    body=op.SerializeToString(),
                )
            )
            return op

        return self.db.idempotent(request_key, Operation, work)

    def count_runs(self, selection: RunSelection, states: frozenset[int]) -> int:
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, selection.parent.workspace)
            if selection.parent.automation != "-":
                _automation_exists_or_has_runs(conn, ws_id, selection.parent)
            query = select(func.count()).select_from(R)
            if selection.names:
                keys = [(n.automation.automation, n.run) for n in selection.names]
                query = query.where(
                    R.c.workspace_id == ws_id,
                    R.c.state.in_(sorted(states)),
                    tuple_(R.c.automation, R.c.run).in_(keys),
                )
            else:
                query = query.where(*_selected(ws_id, selection, states))
            return int(conn.execute(query).scalar_one())

    def get_operation(self, ref: OperationRef) -> Operation:
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, ref.workspace)
            return Operation.FromString(_op_row(conn, ws_id, ref).body)

    def list_operations(self, workspace: WorkspaceRef, plan: ListPlan) -> Page[bytes]:
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, workspace)
            base = select(OPS.c.body).where(OPS.c.workspace_id == ws_id)
            return listing.page(conn, plan, listing.OPERATIONS, base, t.operations.c)

    def list_operation_failures(self, ref: OperationRef, plan: ListPlan) -> Page[bytes]:
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, ref.workspace)
            op_id = _op_row(conn, ws_id, ref).id
            f = t.operation_failures
            base = select(f.c.body).where(f.c.operation_id == op_id)
            return listing.page(
                conn, plan, listing.OPERATION_FAILURES, base, t.operation_failures.c
            )

    def cancel_operation(self, ref: OperationRef, now_us: int) -> Operation:
        with self.db.write() as conn:
            ws_id = self.db.workspace_id(conn, ref.workspace)
            # The lock waits for a batch in progress, so the cancel lands between batches.
            row = _op_row(conn, ws_id, ref, lock=True)
            op = Operation.FromString(row.body)
            if row.done:
                return op
            op.metadata.cancel_requested = True
            error = status_pb2.Status(code=code_pb2.CANCELLED, message=f"{ref.name} was cancelled")
            _finish(op, Meta.CANCELLED, now_us, error)
            self._save(conn, row.id, op, now_us, done=True)
            return op

    def claim_operation(self, owner: str, now_us: int, lease_us: int) -> int | None:
        free = or_(
            OPS.c.lease_expire_time.is_(None),
            OPS.c.lease_expire_time < now_us,
            OPS.c.lease_owner == owner,
        )
        with self.db.write() as conn:
            row = conn.execute(
                select(OPS.c.id).where(OPS.c.done == false(), free).order_by(OPS.c.id).limit(1)
            ).first()
            if row is None:
                return None
            # Compare-and-set: of two replicas that saw the same free row, one wins.
            claimed = conn.execute(
                update(OPS)
                .where(OPS.c.id == row.id, OPS.c.done == false(), free)
                .values(lease_owner=owner, lease_expire_time=now_us + lease_us)
            )
            return int(row.id) if claimed.rowcount == 1 else None

    def release_operation(self, op_id: int, owner: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(OPS)
                .where(OPS.c.id == op_id, OPS.c.lease_owner == owner)
                .values(lease_owner="", lease_expire_time=None)
            )

    def advance_operation(
        self,
        op_id: int,
        owner: str,
        now_us: int,
        lease_us: int,
        limit_for: Callable[[Operation], int],
        action_for: Callable[[Operation], BulkAction],
    ) -> Operation | None:
        with self.db.write() as conn:
            row = conn.execute(
                select(OPS.c.id, OPS.c.workspace_id, OPS.c.names, OPS.c.cursor, OPS.c.high_water)
                .add_columns(OPS.c.lease_owner, OPS.c.done, OPS.c.body)
                .where(OPS.c.id == op_id)
                .with_for_update()
            ).first()
            if row is None or row.done or row.lease_owner != owner:
                return None
            op = Operation.FromString(row.body)
            # Sized from the operation's own rate cap, from its first batch on.
            limit = limit_for(op)
            meta = op.metadata
            if meta.state == Meta.PENDING:
                meta.state = Meta.RUNNING
                meta.start_time.FromMicroseconds(now_us)
            workspace = OperationRef.parse(op.name).workspace
            if meta.action in archive.ACTIONS:
                cursor, finished = archive.advance(conn, row, meta, workspace, now_us, limit)
                return self._progress(conn, row.id, op, now_us, lease_us, cursor, finished)
            action = action_for(op)
            if row.names:
                names = list(row.names)[row.cursor : row.cursor + limit]
                batch = _named_rows(conn, row.workspace_id, workspace, names)
                more = row.cursor + len(names) < len(row.names)
            else:
                batch = _matching_rows(conn, row, workspace, meta, action, limit)
                more = len(batch) == limit
            deferred: Deferred = []
            # A batch also ends after BATCH_SECONDS, so a slow or busy database
            # never holds other writers (on SQLite: all of them) for long.
            deadline = time.monotonic() + BATCH_SECONDS
            visited = 0
            for ref, run_row in batch:
                self._change_one(conn, row, op, ref, run_row, action, now_us, deferred)
                visited += 1
                if time.monotonic() > deadline:
                    break
            finished = not more and visited == len(batch)
            if row.names:
                cursor = row.cursor + visited
            else:
                cursor = batch[visited - 1][1].id if visited else row.cursor
            # One rollup upsert per key for the whole batch, not one per run.
            apply_deferred(conn, row.workspace_id, deferred)
            return self._progress(conn, row.id, op, now_us, lease_us, cursor, finished)

    def _progress(
        self,
        conn: Connection,
        op_id: int,
        op: Operation,
        now_us: int,
        lease_us: int,
        cursor: int,
        finished: bool,
    ) -> Operation:
        """Records a batch: the cursor, the counts, the renewed lease, the end."""
        op.metadata.update_time.FromMicroseconds(now_us)
        if finished:
            _finish(op, Meta.SUCCEEDED, now_us, None)
        values: dict[str, Any] = {"cursor": cursor, "lease_expire_time": now_us + lease_us}
        self._save(conn, op_id, op, now_us, done=finished, **values)
        return op

    def _change_one(
        self,
        conn: Connection,
        op_row: Any,
        op: Operation,
        ref: RunRef,
        run_row: Any,
        action: BulkAction,
        now_us: int,
        deferred: Deferred,
    ) -> None:
        """Changes one run in a savepoint; a refusal is counted and listed, not raised."""
        meta = op.metadata
        meta.matched_count += 1
        try:
            if run_row is None:
                # A named run that was archived is there, but can no longer change.
                refuse_archived(conn, op_row.workspace_id, ref)
                raise not_found("runyard.dev/Run", ref.name)
            with conn.begin_nested():
                if action.build is not None:
                    retry_locked(conn, run_row, ref, generated_id("r"), action.build, deferred)
                else:
                    assert action.apply is not None
                    change_locked(conn, run_row, ref, action.apply, deferred)
            meta.done_count += 1
        except ApiError as err:
            # FAILED_PRECONDITION: the run moved on since it matched (or was named
            # in a state the action does not apply to); anything else failed.
            skipped = err.code == grpc.StatusCode.FAILED_PRECONDITION
            if skipped:
                meta.skipped_count += 1
            else:
                meta.failed_count += 1
            failure = Failure(run=ref.name, skipped=skipped, status=err.to_status())
            failure.create_time.FromMicroseconds(now_us)
            conn.execute(
                insert(t.operation_failures).values(
                    operation_id=op_row.id,
                    sequence=meta.skipped_count + meta.failed_count,
                    skipped=skipped,
                    create_time=now_us,
                    body=failure.SerializeToString(),
                )
            )

    def _save(
        self, conn: Connection, op_id: int, op: Operation, now_us: int, **values: Any
    ) -> None:
        if values.get("done"):
            values.update(lease_owner="", lease_expire_time=None)
        conn.execute(
            update(OPS)
            .where(OPS.c.id == op_id)
            .values(
                state=op.metadata.state,
                update_time=now_us,
                body=op.SerializeToString(),
                **values,
            )
        )


def _matching_rows(
    conn: Connection,
    row: Any,
    workspace: WorkspaceRef,
    meta: Any,
    action: BulkAction,
    limit: int,
) -> list[tuple[RunRef, Any]]:
    """The next `limit` runs the filter selects, locked, by id."""
    selection = RunSelection(AutomationRef.parse(meta.parent, wildcard=True), meta.filter)
    query = (
        select(*_RUN_COLUMNS)
        .where(*_selected(row.workspace_id, selection, action.states))
        .where(R.c.id > row.cursor, R.c.id <= row.high_water)
        .order_by(R.c.id)
        .limit(limit)
        .with_for_update()
    )
    return [
        (RunRef(AutomationRef(workspace, r.automation), r.run), r)
        for r in conn.execute(query).all()
    ]


def _named_rows(
    conn: Connection, ws_id: int, workspace: WorkspaceRef, names: Sequence[str]
) -> list[tuple[RunRef, Any]]:
    """Each named run's row, locked (None for a run that does not exist)."""
    out = []
    for name in names:
        ref = RunRef.parse(name)
        found = conn.execute(
            select(*_RUN_COLUMNS)
            .where(
                R.c.workspace_id == ws_id,
                R.c.automation == ref.automation.automation,
                R.c.run == ref.run,
            )
            .with_for_update()
        ).first()
        out.append((RunRef(AutomationRef(workspace, ref.automation.automation), ref.run), found))
    return out
