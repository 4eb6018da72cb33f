"""Runs and their timelines (runyard.store.interface.RunStore).

Every write to a run appends its events and adjusts the rollups
(runyard.store.rollups) in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from runyard.aip.errors import aborted, already_exists, failed_precondition, not_found
from runyard.aip.listing import ListPlan
from runyard.store import archived_reads, changefeed, listing, quick_run_reads, rollups, run_import
from runyard.store import run_rows as rows
from runyard.store import tables as t
from runyard.store.db import (
    Database,
    Part,
    check_etag,
    etag_of,
    identified,
    micros,
)
from runyard.store.interface import ApplyTransition, BuildRetry, ImportedRun, Page
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.run_bases import EVENTS_OF_RUN, runs_base
from runyard.store.statements import Sql
from runyard.store.tail import write_later, writes_later
from runyard.v1 import run_pb2
from runyard.v1.runner_service_pb2 import AppendRunEventsResponse

Run = run_pb2.Run
RunEvent = run_pb2.RunEvent
# Run changes (automation, before, after, run row id) whose rollups and
# change-feed rows a bulk action writes once per batch (apply_deferred).
Deferred = list[tuple[str, Run | None, Run, int]]


def _run_params(conn: Connection, run: Run) -> dict[str, Any]:
    params = rows.run_columns(run)
    params["labels"] = rows.labels_param(conn, params["labels"])
    return params


def _run_row(
    db: Database, conn: Connection, ref: RunRef, *, lock: bool = False, missing_ok: bool = False
) -> Any:
    ws_id = db.workspace_id(conn, ref.automation.workspace)
    row = rows.select_run(conn, ws_id, ref.automation.automation, ref.run, lock=lock)
    if row is None and not missing_ok:
        if lock:
            archived_reads.refuse_archived(conn, ws_id, ref)
        raise not_found("runyard.dev/Run", ref.name)
    return row


def _insert_event(
    conn: Connection,
    run_id: int,
    ref: RunRef,
    sequence: int,
    now_us: int,
    *,
    state_change: RunEvent.StateChange | None = None,
    journal: RunEvent.JournalEntry | None = None,
    statement: Sql = rows.INSERT_EVENT,
    version: int = 0,
) -> RunEvent:
    event = RunEvent(name=ref.event_name(sequence), sequence=sequence)
    event.create_time.FromMicroseconds(now_us)
    if state_change is not None:
        event.type = RunEvent.STATE_CHANGE
        event.state_change.CopyFrom(state_change)
    elif journal is not None:
        event.type = RunEvent.JOURNAL
        event.journal.CopyFrom(journal)
    params = {
        "run_id": run_id,
        "sequence": sequence,
        "type": event.type,
        "node_kind": journal.node_kind if journal is not None else "",
        "create_time": now_us,
        "body": event.SerializeToString(),
    }
    if version:
        params["version"] = version
    write_later(conn, statement, params)
    return event


def _insert_run(
    conn: Connection,
    ws_id: int,
    ref: RunRef,
    new: Run,
    change: RunEvent.StateChange,
    deferred: Deferred | None = None,
) -> Run:
    run = identified(new, ref.name)
    params = _run_params(conn, run)
    params.update(
        workspace_id=ws_id,
        automation=ref.automation.automation,
        run=ref.run,
        paused_from_state=0,
        version=1,
        last_event=1,
        body=run.SerializeToString(),
    )
    inserted = rows.INSERT_RUN.run(conn, params).first()
    if inserted is None:
        raise already_exists("runyard.dev/Run", ref.name)
    run_id = int(inserted[0])
    _insert_event(conn, run_id, ref, 1, micros(run.update_time), state_change=change)
    if deferred is not None:
        deferred.append((ref.automation.automation, None, run, run_id))
        return run
    rollups.apply(conn, ws_id, ref.automation.automation, None, run)
    changefeed.record(conn, ws_id, ref.automation.automation, run_id, run)
    return run


def _automation_exists_or_has_runs(conn: Connection, ws_id: int, parent: AutomationRef) -> None:
    # A deleted automation's runs stay listable; only a name that never ran is NOT_FOUND.
    exists = (
        conn.execute(
            select(t.automations.c.id).where(
                t.automations.c.workspace_id == ws_id,
                t.automations.c.automation == parent.automation,
            )
        ).first()
        or conn.execute(
            select(t.runs.c.id)
            .where(t.runs.c.workspace_id == ws_id, t.runs.c.automation == parent.automation)
            .limit(1)
        ).first()
    )
    if not exists:
        raise not_found("runyard.dev/Automation", parent.name)


def change_locked(
    conn: Connection,
    row: Any,
    ref: RunRef,
    apply: ApplyTransition,
    deferred: Deferred | None = None,
) -> Run:
    """Applies a transition to a run row read with a lock: the row, its rollups
    and a new event, in the caller's transaction (single and bulk changes alike).
    With `deferred`, the rollups and change-feed row are collected there for
    `apply_deferred` instead of written now."""
    current = Run.FromString(row.body)
    change = apply(current, row.paused_from_state)
    version = row.version + 1
    sequence = row.last_event + 1
    new = change.run
    new.etag = etag_of(version)
    params = _run_params(conn, new)
    params.update(
        id=row.id,
        old_version=row.version,
        paused_from_state=change.paused_from,
        version=version,
        last_event=sequence,
        body=new.SerializeToString(),
    )
    event_time = micros(new.update_time)
    if deferred is None and writes_later(conn):
        # With the COMMIT (write_later). The row is locked (FOR UPDATE), so the
        # compare-and-set cannot miss; if it ever did, the event's insert
        # would find no run id and the whole transaction roll back.
        write_later(conn, rows.UPDATE_RUN, params)
        _insert_event(
            conn,
            row.id,
            ref,
            sequence,
            event_time,
            state_change=change.change,
            statement=rows.INSERT_EVENT_CHECKED,
            version=version,
        )
    else:
        # Compare-and-set on version: a second replica that read the same row loses.
        result = rows.UPDATE_RUN.run(conn, params)
        if result.rowcount != 1:
            raise aborted("CONCURRENT_MODIFICATION", f"{ref.name} changed meanwhile; retry")
        _insert_event(conn, row.id, ref, sequence, event_time, state_change=change.change)
    if deferred is not None:
        deferred.append((ref.automation.automation, current, new, row.id))
        return new
    rollups.apply(conn, row.workspace_id, ref.automation.automation, current, new)
    changefeed.record(conn, row.workspace_id, ref.automation.automation, row.id, new)
    return new


def apply_deferred(conn: Connection, workspace_id: int, deferred: Deferred) -> None:
    """The rollups (one upsert per key) and change-feed rows of a batch of run
    changes, written at the end of the transaction as a single change's are
    (runyard.store.tail.Tail)."""
    rollups.apply_changes(conn, workspace_id, [(a, b, n) for a, b, n, _ in deferred])
    for automation, _, new, run_id in deferred:
        changefeed.record(conn, workspace_id, automation, run_id, new)


def retry_locked(
    conn: Connection,
    row: Any,
    ref: RunRef,
    new_run_id: str,
    build: BuildRetry,
    deferred: Deferred | None = None,
) -> Run:
    """Inserts the run that retries a locked run row, in the caller's transaction.
    At most one retry per run: the row lock (BEGIN IMMEDIATE on SQLite, FOR
    UPDATE on PostgreSQL) makes a concurrent retry wait here until this one
    commits, so it sees the retry made meanwhile (ALREADY_RETRIED)."""
    _no_retry_yet(conn, row.workspace_id, ref)
    new, change = build(Run.FromString(row.body))
    new_ref = RunRef(ref.automation, new_run_id)
    return _insert_run(conn, row.workspace_id, new_ref, new, change, deferred)


class SqlRuns(Part):
    def create_run(
        self, ref: RunRef, run: Run, change: RunEvent.StateChange, request_key: str
    ) -> Run:
        def work(conn: Connection) -> Run:
            ws_id = self.db.workspace_id(conn, ref.automation.workspace)
            names = {"ws": ws_id, "automation": ref.automation.automation, "run": ref.run}
            # One round trip: the automation exists, no archived run has the name.
            found = rows.CREATE_CHECKS.run(conn, names).first()
            if not found.automation:
                raise not_found("runyard.dev/Automation", ref.automation.name)
            if found.taken:
                raise already_exists("runyard.dev/Run", ref.name)
            return _insert_run(conn, ws_id, ref, run, change)

        return self.db.idempotent(request_key, Run, work)

    def get_run(self, ref: RunRef) -> Run:
        quick = quick_run_reads.get_run(self.db, ref)
        if quick is not None:
            return quick
        with self.db.read() as conn:
            row = _run_row(self.db, conn, ref, missing_ok=True)
            if row is None:
                ws_id = self.db.workspace_id(conn, ref.automation.workspace)
                return archived_reads.get_run(conn, ws_id, ref)
        return Run.FromString(row.body)

    def list_runs(self, parent: AutomationRef, plan: ListPlan) -> Page[bytes]:
        quick = quick_run_reads.list_runs(self.db, parent, plan)
        if quick is not None:
            return quick
        with self.db.read_each() as conn:
            ws_id = self.db.workspace_id(conn, parent.workspace)
            if plan.option("show_archived"):
                return archived_reads.list_runs(conn, ws_id, parent, plan)
            base, values = runs_base(parent, ws_id)
            page = listing.page(conn, plan, listing.RUNS, base, t.runs.c, values)
            if not page.items and parent.automation != "-":
                # Only an empty page needs to tell "no such automation" from "no runs".
                _automation_exists_or_has_runs(conn, ws_id, parent)
            return page

    def change_run(self, ref: RunRef, etag: str, request_key: str, apply: ApplyTransition) -> Run:
        def work(conn: Connection) -> Run:
            row = _run_row(self.db, conn, ref, lock=True)
            check_etag(etag, row.version, ref.name)
            return change_locked(conn, row, ref, apply)

        return self.db.idempotent(request_key, Run, work)

    def retry_run(
        self, ref: RunRef, new_run_id: str, etag: str, request_key: str, build: BuildRetry
    ) -> Run:
        def work(conn: Connection) -> Run:
            row = _run_row(self.db, conn, ref, lock=True)
            check_etag(etag, row.version, ref.name)
            return retry_locked(conn, row, ref, new_run_id, build)

        return self.db.idempotent(request_key, Run, work)

    def append_journal(
        self,
        ref: RunRef,
        entries: Sequence[RunEvent.JournalEntry],
        now_us: int,
        request_key: str = "",
        check: Callable[[Run], None] | None = None,
    ) -> list[RunEvent]:
        """Appends `entries` after `check` accepts the run (under its row lock)."""

        def work(conn: Connection) -> AppendRunEventsResponse:
            row = _run_row(self.db, conn, ref, lock=True)
            if check is not None:
                check(Run.FromString(row.body))
            events = [
                _insert_event(conn, row.id, ref, row.last_event + i, now_us, journal=entry)
                for i, entry in enumerate(entries, start=1)
            ]
            write_later(
                conn,
                rows.SET_LAST_EVENT,
                {"id": row.id, "last_event": row.last_event + len(entries)},
            )
            changefeed.signal(conn, changefeed.run_topic(row.id))
            return AppendRunEventsResponse(run_events=events)

        return list(self.db.idempotent(request_key, AppendRunEventsResponse, work).run_events)

    def list_run_events(self, parent: RunRef, plan: ListPlan) -> Page[bytes]:
        quick = quick_run_reads.list_run_events(self.db, parent, plan)
        if quick is not None:
            return quick
        with self.db.read_each() as conn:
            row = _run_row(self.db, conn, parent, missing_ok=True)
            if row is None:
                ws_id = self.db.workspace_id(conn, parent.automation.workspace)
                return archived_reads.list_run_events(conn, ws_id, parent, plan)
            values = {"run_id": row.id}
            return listing.page(
                conn, plan, listing.RUN_EVENTS, EVENTS_OF_RUN, t.run_events.c, values
            )

    def import_runs(self, workspace: WorkspaceRef, runs: Sequence[ImportedRun]) -> None:
        """Bulk-inserts finished timelines in one transaction (runyard.store.run_import)."""
        if not runs:
            return
        with self.db.write() as conn:
            run_import.import_runs(conn, self.db.workspace_id(conn, workspace), workspace, runs)


def _no_retry_yet(conn: Connection, ws_id: int, ref: RunRef) -> None:
    existing = conn.execute(
        select(t.runs.c.run)
        .where(
            t.runs.c.workspace_id == ws_id,
            t.runs.c.retried_run == ref.name,
            t.runs.c.automation == ref.automation.automation,
        )
        .limit(1)
    ).first()
    if existing is not None:
        retry = RunRef(ref.automation, existing.run).name
        raise failed_precondition(
            "ALREADY_RETRIED",
            f"{ref.name} was already retried as {retry}; retry that run instead",
            retry=retry,
        )
