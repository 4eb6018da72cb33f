"""SqlStore: the Store interface on SQLAlchemy Core, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from sqlalchemy import Connection, Select, insert, select, update
from sqlalchemy import delete as sql_delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from runyard.aip.errors import (
    ApiError,
    aborted,
    already_exists,
    invalid_argument,
    not_found,
    unavailable,
)
from runyard.aip.listing import ListRequest
from runyard.aip.pagination import PageTokenCodec
from runyard.domain.aggregates import AutomationTotals, Totals
from runyard.store import aggregates, listing, migrate, rollups
from runyard.store import tables as t
from runyard.store.engine import make_engine
from runyard.store.interface import ApplyTransition, BuildRetry, ImportedRun, Page
from runyard.store.refs import AutomationRef, ExecutionRef, RunRef, WorkspaceRef
from runyard.store.tokens import SqlTokenStore, TokenStore
from runyard.v1 import automation_pb2, execution_pb2, run_pb2, workspace_pb2

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
Run = run_pb2.Run
RunEvent = run_pb2.RunEvent


def micros(ts: timestamp_pb2.Timestamp) -> int:
    return int(ts.ToMicroseconds())


def _opt_micros(msg: Message, field: str) -> int | None:
    return micros(getattr(msg, field)) if msg.HasField(field) else None


def etag_of(version: int) -> str:
    return f'W/"{version}"'


def _check_etag(given: str, version: int, name: str) -> None:
    if given and given != etag_of(version):
        raise aborted(
            "ETAG_MISMATCH",
            f"the etag {given!r} of {name} is stale; read it again",
            name=name,
            current_etag=etag_of(version),
        )


def _run_columns(run: Run) -> dict[str, Any]:
    return {
        "state": run.state,
        "trigger": run.trigger,
        "end_reason": run.end_reason,
        "exit_code": run.exit_code if run.HasField("exit_code") else None,
        "attempt": run.attempt,
        "config_version": run.config_version,
        "replica_index": run.replica_index,
        "caller": run.caller,
        "started_by": run.started_by,
        "trace_id": run.trace_id,
        "external_execution_id": run.external_execution_id,
        "automation_revision_id": run.automation_revision_id,
        "retried_run": run.retried_run,
        "pause_reason": run.pause_reason,
        "failure_message": run.failure.message,
        "labels": dict(run.labels),
        "create_time": micros(run.create_time),
        "start_time": _opt_micros(run, "start_time"),
        "end_time": _opt_micros(run, "end_time"),
        "duration": run.duration.ToMicroseconds() if run.HasField("duration") else None,
        "update_time": micros(run.update_time),
    }


def _execution_columns(e: execution_pb2.Execution) -> dict[str, Any]:
    return {
        "run": e.run,
        "resource": e.resource,
        "resource_version": e.resource_version,
        "caller": e.caller,
        "state": e.state,
        "failure_reason": e.failure_reason,
        "create_time": micros(e.create_time),
        "start_time": _opt_micros(e, "start_time"),
        "end_time": _opt_micros(e, "end_time"),
        "duration": e.duration.ToMicroseconds() if e.HasField("duration") else None,
    }


class SqlStore:
    """The Store on one SQLAlchemy engine. Thread-safe: each call takes its own connection."""

    def __init__(self, url: str, *, migrate_schema: bool = True, pool_size: int = 8) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, pool_size=pool_size)
        self.dialect = self.engine.dialect.name
        if migrate_schema:
            migrate.upgrade(self.engine)
        self._workspace_ids: dict[WorkspaceRef, int] = {}
        self.codec = PageTokenCodec(self._secret("page_token"))
        # Keys the hashes of token secrets (runyard.auth.secrets).
        self.token_pepper = self._secret("token_pepper")
        self.tokens: TokenStore = SqlTokenStore(
            self._read, self._write, self._idempotent, self.codec
        )

    def close(self) -> None:
        self.engine.dispose()

    # -- plumbing ---------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._guard(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with (
            self._guard(),
            self.engine.connect().execution_options(write=True) as conn,
            conn.begin(),
        ):
            yield conn

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Database trouble becomes UNAVAILABLE (retryable), never INTERNAL with SQL in it."""
        try:
            yield
        except ApiError:
            raise
        except IntegrityError:
            raise
        except DataError as exc:
            # A value the database cannot hold (PostgreSQL refuses NUL characters in
            # text): the caller's data, not our failure.
            log.info("value refused by the database: %s", type(exc.orig).__name__)
            raise invalid_argument(
                "",
                "a value cannot be stored (a NUL character, or a number out of range)",
                "UNSTORABLE_VALUE",
            ) from None
        except DBAPIError as exc:
            if exc.connection_invalidated or _is_operational(exc):
                log.warning("database unavailable: %s", type(exc.orig).__name__)
                raise unavailable("the database is unavailable; retry shortly") from exc
            raise

    def _secret(self, name: str) -> bytes:
        """A secret shared by every replica on this database, made on first use."""
        table = t.server_secrets
        with self._write() as conn:
            row = conn.execute(select(table.c.value).where(table.c.name == name)).first()
            if row is not None:
                return bytes(row[0])
            value = secrets.token_bytes(32)
            try:
                with conn.begin_nested():
                    conn.execute(insert(table).values(name=name, value=value))
            except IntegrityError:
                # Another replica made it first: use theirs.
                return bytes(
                    conn.execute(select(table.c.value).where(table.c.name == name)).scalar_one()
                )
            return value

    def ping(self) -> None:
        with self._read() as conn:
            conn.exec_driver_sql("SELECT 1")

    def _replay(self, conn: Connection, key: str, message: type[M]) -> M | None:
        if not key:
            return None
        row = conn.execute(
            select(t.idempotency.c.response).where(t.idempotency.c.key == key)
        ).first()
        return message.FromString(row[0]) if row else None

    def _remember(self, conn: Connection, key: str, response: Message) -> None:
        if key:
            conn.execute(
                insert(t.idempotency).values(
                    key=key,
                    create_time=time.time_ns() // 1000,
                    response=response.SerializeToString(),
                )
            )

    def _idempotent(self, key: str, message: type[M], work: Callable[[Connection], M]) -> M:
        """Runs `work` once per request key; concurrent repeats get the first answer."""
        try:
            with self._write() as conn:
                replayed = self._replay(conn, key, message)
                if replayed is not None:
                    return replayed
                result = work(conn)
                self._remember(conn, key, result)
                return result
        except IntegrityError:
            if key:
                with self._read() as conn:
                    replayed = self._replay(conn, key, message)
                    if replayed is not None:
                        return replayed
            raise

    def _workspace_id(self, conn: Connection, ref: WorkspaceRef) -> int:
        # Workspaces are never deleted or renamed, so a found id stays right.
        cached = self._workspace_ids.get(ref)
        if cached is not None:
            return cached
        row = conn.execute(
            select(t.workspaces.c.id).where(
                t.workspaces.c.organization == ref.organization,
                t.workspaces.c.workspace == ref.workspace,
            )
        ).first()
        if row is None:
            raise not_found("runyard.dev/Workspace", ref.name)
        self._workspace_ids[ref] = int(row[0])
        return int(row[0])

    # -- workspaces -------------------------------------------------------

    def create_workspace(
        self, ref: WorkspaceRef, workspace: workspace_pb2.Workspace, request_key: str
    ) -> workspace_pb2.Workspace:
        now = micros(workspace.create_time)

        def work(conn: Connection) -> workspace_pb2.Workspace:
            ws = workspace_pb2.Workspace()
            ws.CopyFrom(workspace)
            ws.name = ref.name
            ws.uid = str(uuid.uuid4())
            ws.etag = etag_of(1)
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(t.workspaces).values(
                            organization=ref.organization,
                            workspace=ref.workspace,
                            display_name=ws.display_name,
                            labels=dict(ws.labels),
                            create_time=now,
                            update_time=now,
                            version=1,
                            body=ws.SerializeToString(),
                        )
                    )
            except IntegrityError:
                raise already_exists("runyard.dev/Workspace", ref.name) from None
            return ws

        return self._idempotent(request_key, workspace_pb2.Workspace, work)

    def get_workspace(self, ref: WorkspaceRef) -> workspace_pb2.Workspace:
        with self._read() as conn:
            row = conn.execute(
                select(t.workspaces.c.body).where(
                    t.workspaces.c.organization == ref.organization,
                    t.workspaces.c.workspace == ref.workspace,
                )
            ).first()
        if row is None:
            raise not_found("runyard.dev/Workspace", ref.name)
        return workspace_pb2.Workspace.FromString(row[0])

    def list_workspaces(self, organization: str, params: ListRequest) -> Page[bytes]:
        with self._read() as conn:
            base = select(t.workspaces.c.body).where(t.workspaces.c.organization == organization)
            return listing.page(conn, listing.WORKSPACES, base, params, self.codec)

    # -- automations ------------------------------------------------------

    def create_automation(
        self, ref: AutomationRef, automation: automation_pb2.Automation, request_key: str
    ) -> automation_pb2.Automation:
        def work(conn: Connection) -> automation_pb2.Automation:
            ws_id = self._workspace_id(conn, ref.workspace)
            a = automation_pb2.Automation()
            a.CopyFrom(automation)
            a.name = ref.name
            a.uid = str(uuid.uuid4())
            a.etag = etag_of(1)
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(t.automations).values(
                            workspace_id=ws_id,
                            automation=ref.automation,
                            **_automation_columns(a),
                            version=1,
                            body=a.SerializeToString(),
                        )
                    )
            except IntegrityError:
                raise already_exists("runyard.dev/Automation", ref.name) from None
            return a

        return self._idempotent(request_key, automation_pb2.Automation, work)

    def _automation_row(self, conn: Connection, ref: AutomationRef, *, lock: bool = False) -> Any:
        ws_id = self._workspace_id(conn, ref.workspace)
        query = select(t.automations.c.id, t.automations.c.version, t.automations.c.body).where(
            t.automations.c.workspace_id == ws_id,
            t.automations.c.automation == ref.automation,
        )
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise not_found("runyard.dev/Automation", ref.name)
        return row

    def get_automation(self, ref: AutomationRef) -> automation_pb2.Automation:
        with self._read() as conn:
            row = self._automation_row(conn, ref)
        return automation_pb2.Automation.FromString(row.body)

    def list_automations(self, workspace: WorkspaceRef, params: ListRequest) -> Page[bytes]:
        with self._read() as conn:
            ws_id = self._workspace_id(conn, workspace)
            base = select(t.automations.c.body).where(t.automations.c.workspace_id == ws_id)
            return listing.page(conn, listing.AUTOMATIONS, base, params, self.codec)

    def update_automation(
        self,
        ref: AutomationRef,
        mutate: Callable[[automation_pb2.Automation], automation_pb2.Automation],
        now_us: int,
    ) -> automation_pb2.Automation:
        with self._write() as conn:
            row = self._automation_row(conn, ref, lock=True)
            current = automation_pb2.Automation.FromString(row.body)
            updated = mutate(current)
            _check_etag(updated.etag if updated.etag != current.etag else "", row.version, ref.name)
            version = row.version + 1
            updated.etag = etag_of(version)
            updated.update_time.FromMicroseconds(now_us)
            conn.execute(
                update(t.automations)
                .where(t.automations.c.id == row.id)
                .values(
                    **_automation_columns(updated),
                    version=version,
                    body=updated.SerializeToString(),
                )
            )
            return updated

    def delete_automation(self, ref: AutomationRef, etag: str) -> None:
        with self._write() as conn:
            row = self._automation_row(conn, ref, lock=True)
            _check_etag(etag, row.version, ref.name)
            conn.execute(sql_delete(t.automations).where(t.automations.c.id == row.id))

    # -- runs -------------------------------------------------------------

    def _run_row(self, conn: Connection, ref: RunRef, *, lock: bool = False) -> Any:
        ws_id = self._workspace_id(conn, ref.automation.workspace)
        query: Select[Any] = select(
            t.runs.c.id,
            t.runs.c.workspace_id,
            t.runs.c.version,
            t.runs.c.paused_from_state,
            t.runs.c.last_event,
            t.runs.c.body,
        ).where(
            t.runs.c.workspace_id == ws_id,
            t.runs.c.automation == ref.automation.automation,
            t.runs.c.run == ref.run,
        )
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise not_found("runyard.dev/Run", ref.name)
        return row

    def _insert_run(
        self,
        conn: Connection,
        ws_id: int,
        ref: RunRef,
        run: Run,
        change: RunEvent.StateChange,
    ) -> Run:
        run.name = ref.name
        run.uid = str(uuid.uuid4())
        run.etag = etag_of(1)
        try:
            with conn.begin_nested():
                result = conn.execute(
                    insert(t.runs).values(
                        workspace_id=ws_id,
                        automation=ref.automation.automation,
                        run=ref.run,
                        **_run_columns(run),
                        paused_from_state=0,
                        version=1,
                        last_event=1,
                        body=run.SerializeToString(),
                    )
                )
        except IntegrityError:
            raise already_exists("runyard.dev/Run", ref.name) from None
        run_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self._insert_event(conn, run_id, ref.name, 1, micros(run.update_time), state_change=change)
        rollups.apply(conn, ws_id, ref.automation.automation, None, run)
        return run

    def _insert_event(
        self,
        conn: Connection,
        run_id: int,
        run_name: str,
        sequence: int,
        now_us: int,
        *,
        state_change: RunEvent.StateChange | None = None,
        journal: RunEvent.JournalEntry | None = None,
    ) -> RunEvent:
        event = RunEvent(name=f"{run_name}/events/{sequence}", sequence=sequence)
        event.create_time.FromMicroseconds(now_us)
        if state_change is not None:
            event.type = RunEvent.STATE_CHANGE
            event.state_change.CopyFrom(state_change)
        elif journal is not None:
            event.type = RunEvent.JOURNAL
            event.journal.CopyFrom(journal)
        conn.execute(
            insert(t.run_events).values(
                run_id=run_id,
                sequence=sequence,
                type=event.type,
                node_kind=journal.node_kind if journal is not None else "",
                create_time=now_us,
                body=event.SerializeToString(),
            )
        )
        return event

    def create_run(
        self, ref: RunRef, run: Run, change: RunEvent.StateChange, request_key: str
    ) -> Run:
        def work(conn: Connection) -> Run:
            ws_id = self._workspace_id(conn, ref.automation.workspace)
            self._automation_row(conn, ref.automation)
            return self._insert_run(conn, ws_id, ref, run, change)

        return self._idempotent(request_key, Run, work)

    def get_run(self, ref: RunRef) -> Run:
        with self._read() as conn:
            row = self._run_row(conn, ref)
        return Run.FromString(row.body)

    def list_runs(self, parent: AutomationRef, params: ListRequest) -> Page[bytes]:
        with self._read() as conn:
            ws_id = self._workspace_id(conn, parent.workspace)
            base = select(t.runs.c.body).where(t.runs.c.workspace_id == ws_id)
            if parent.automation != "-":
                base = base.where(t.runs.c.automation == parent.automation)
            page = listing.page(conn, listing.RUNS, base, params, self.codec)
            if not page.items and parent.automation != "-":
                # Only an empty page needs to tell "no such automation" from "no runs".
                self._automation_exists_or_has_runs(conn, ws_id, parent)
            return page

    def _automation_exists_or_has_runs(
        self, conn: Connection, ws_id: int, parent: AutomationRef
    ) -> None:
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

    def change_run(self, ref: RunRef, etag: str, request_key: str, apply: ApplyTransition) -> Run:
        def work(conn: Connection) -> Run:
            row = self._run_row(conn, ref, lock=True)
            _check_etag(etag, row.version, ref.name)
            current = Run.FromString(row.body)
            change = apply(current, row.paused_from_state)
            version = row.version + 1
            sequence = row.last_event + 1
            new = change.run
            new.etag = etag_of(version)
            # Compare-and-set on version: a second replica that read the same row loses.
            result = conn.execute(
                update(t.runs)
                .where(t.runs.c.id == row.id, t.runs.c.version == row.version)
                .values(
                    **_run_columns(new),
                    paused_from_state=change.paused_from,
                    version=version,
                    last_event=sequence,
                    body=new.SerializeToString(),
                )
            )
            if result.rowcount != 1:
                raise aborted("CONCURRENT_MODIFICATION", f"{ref.name} changed meanwhile; retry")
            rollups.apply(conn, row.workspace_id, ref.automation.automation, current, new)
            self._insert_event(
                conn,
                row.id,
                ref.name,
                sequence,
                micros(new.update_time),
                state_change=change.change,
            )
            return new

        return self._idempotent(request_key, Run, work)

    def retry_run(
        self, ref: RunRef, new_run_id: str, etag: str, request_key: str, build: BuildRetry
    ) -> Run:
        def work(conn: Connection) -> Run:
            row = self._run_row(conn, ref, lock=True)
            _check_etag(etag, row.version, ref.name)
            old = Run.FromString(row.body)
            new, change = build(old)
            new_ref = RunRef(ref.automation, new_run_id)
            return self._insert_run(conn, row.workspace_id, new_ref, new, change)

        return self._idempotent(request_key, Run, work)

    def append_journal(
        self, ref: RunRef, entries: Sequence[RunEvent.JournalEntry], now_us: int
    ) -> list[RunEvent]:
        with self._write() as conn:
            row = self._run_row(conn, ref, lock=True)
            events = [
                self._insert_event(
                    conn, row.id, ref.name, row.last_event + i, now_us, journal=entry
                )
                for i, entry in enumerate(entries, start=1)
            ]
            conn.execute(
                update(t.runs)
                .where(t.runs.c.id == row.id)
                .values(last_event=row.last_event + len(entries))
            )
            return events

    def list_run_events(self, parent: RunRef, params: ListRequest) -> Page[bytes]:
        with self._read() as conn:
            row = self._run_row(conn, parent)
            base = select(t.run_events.c.body).where(t.run_events.c.run_id == row.id)
            return listing.page(conn, listing.RUN_EVENTS, base, params, self.codec)

    def import_runs(self, workspace: WorkspaceRef, runs: Sequence[ImportedRun]) -> None:
        """Bulk-inserts finished timelines in one transaction (names, uids and etags set here).

        One multi-row INSERT … RETURNING for the runs and one for their events: per-row
        statements cost ~10x more."""
        if not runs:
            return
        with self._write() as conn:
            ws_id = self._workspace_id(conn, workspace)
            run_rows = []
            for item in runs:
                run = item.run
                run.name = f"{workspace.name}/automations/{item.automation}/runs/{item.run_id}"
                run.uid = run.uid or str(uuid.uuid4())
                run.etag = etag_of(1)
                run_rows.append(
                    {
                        "workspace_id": ws_id,
                        "automation": item.automation,
                        "run": item.run_id,
                        **_run_columns(run),
                        "paused_from_state": item.paused_from,
                        "version": 1,
                        "last_event": len(item.events),
                        "body": run.SerializeToString(),
                    }
                )
            ids = (
                conn.execute(
                    insert(t.runs).returning(t.runs.c.id, sort_by_parameter_order=True), run_rows
                )
                .scalars()
                .all()
            )
            event_rows = []
            for run_id, item in zip(ids, runs, strict=True):
                for seq, event in enumerate(item.events, start=1):
                    event.name = f"{item.run.name}/events/{seq}"
                    event.sequence = seq
                    event_rows.append(
                        {
                            "run_id": run_id,
                            "sequence": seq,
                            "type": event.type,
                            "node_kind": event.journal.node_kind,
                            "create_time": micros(event.create_time),
                            "body": event.SerializeToString(),
                        }
                    )
            if event_rows:
                conn.execute(insert(t.run_events), event_rows)
            rollups.apply_many(conn, ws_id, [(item.automation, item.run) for item in runs])

    def daily_run_aggregates(
        self, workspace: WorkspaceRef, bounds: Sequence[int], filter: str
    ) -> list[Totals]:
        with self._read() as conn:
            return aggregates.daily(conn, self._workspace_id(conn, workspace), bounds, filter)

    def automation_run_aggregates(
        self,
        workspace: WorkspaceRef,
        start_us: int | None,
        end_us: int | None,
        filter: str,
        after: str,
        limit: int,
    ) -> tuple[list[AutomationTotals], bool]:
        with self._read() as conn:
            ws_id = self._workspace_id(conn, workspace)
            return aggregates.per_automation(conn, ws_id, start_us, end_us, filter, after, limit)

    def rebuild_rollups(self) -> int:
        """Recomputes every rollup from the runs table; returns how many runs were counted."""
        with self._write() as conn:
            return rollups.rebuild(conn)

    def is_empty(self) -> bool:
        with self._read() as conn:
            return conn.execute(select(t.workspaces.c.id).limit(1)).first() is None

    # -- executions -------------------------------------------------------

    def record_execution(
        self,
        ref: ExecutionRef,
        execution: execution_pb2.Execution,
        outputs: execution_pb2.ExecutionOutputs,
        request_key: str = "",
    ) -> execution_pb2.Execution:
        def work(conn: Connection) -> execution_pb2.Execution:
            ws_id = self._workspace_id(conn, ref.workspace)
            return self._insert_execution(conn, ws_id, ref, execution, outputs)

        return self._idempotent(request_key, execution_pb2.Execution, work)

    def import_executions(
        self,
        workspace: WorkspaceRef,
        items: Sequence[tuple[str, execution_pb2.Execution, execution_pb2.ExecutionOutputs]],
    ) -> list[execution_pb2.Execution]:
        """Records executions with their outputs, all in one transaction."""
        with self._write() as conn:
            ws_id = self._workspace_id(conn, workspace)
            return [
                self._insert_execution(conn, ws_id, ExecutionRef(workspace, eid), e, out)
                for eid, e, out in items
            ]

    def _insert_execution(
        self,
        conn: Connection,
        ws_id: int,
        ref: ExecutionRef,
        execution: execution_pb2.Execution,
        outputs: execution_pb2.ExecutionOutputs,
    ) -> execution_pb2.Execution:
        e = execution_pb2.Execution()
        e.CopyFrom(execution)
        e.name = ref.name
        e.uid = e.uid or str(uuid.uuid4())
        out = execution_pb2.ExecutionOutputs()
        out.CopyFrom(outputs)
        out.name = f"{ref.name}/outputs"
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(t.executions).values(
                        workspace_id=ws_id,
                        execution=ref.execution,
                        **_execution_columns(e),
                        body=e.SerializeToString(),
                        outputs=out.SerializeToString(),
                    )
                )
        except IntegrityError:
            raise already_exists("runyard.dev/Execution", ref.name) from None
        return e

    def _execution_row(self, conn: Connection, ref: ExecutionRef) -> Any:
        ws_id = self._workspace_id(conn, ref.workspace)
        row = conn.execute(
            select(t.executions.c.body, t.executions.c.outputs).where(
                t.executions.c.workspace_id == ws_id,
                t.executions.c.execution == ref.execution,
            )
        ).first()
        if row is None:
            raise not_found("runyard.dev/Execution", ref.name)
        return row

    def get_execution(self, ref: ExecutionRef) -> execution_pb2.Execution:
        with self._read() as conn:
            return execution_pb2.Execution.FromString(self._execution_row(conn, ref).body)

    def get_execution_outputs(self, ref: ExecutionRef) -> execution_pb2.ExecutionOutputs:
        with self._read() as conn:
            return execution_pb2.ExecutionOutputs.FromString(self._execution_row(conn, ref).outputs)

    def list_executions(self, workspace: WorkspaceRef, params: ListRequest) -> Page[bytes]:
        with self._read() as conn:
            ws_id = self._workspace_id(conn, workspace)
            base = select(t.executions.c.body).where(t.executions.c.workspace_id == ws_id)
            return listing.page(conn, listing.EXECUTIONS, base, params, self.codec)


def _automation_columns(a: automation_pb2.Automation) -> dict[str, Any]:
    return {
        "display_name": a.display_name,
        "kind": a.kind,
        "config_version": a.config_version,
        "labels": dict(a.labels),
        "create_time": micros(a.create_time),
        "update_time": micros(a.update_time),
    }


def _is_operational(exc: DBAPIError) -> bool:
    # Lost connections, a server shutting down, timeouts: the caller may retry.
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)
