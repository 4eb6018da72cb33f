"""Retention (runyard.store.interface.ArchiveStore): ended runs move, with their
events and executions, from the current tables to the archive tables
(ARCHIVE), and archived runs are deleted for good (PURGE), each as a batch of
a long-running operation (runyard.store.operations calls `advance`).

A batch is one transaction: it locks the next runs past the cursor (by id)
that ended before the operation's cutoff, copies their rows with
INSERT … SELECT and deletes the originals, so a run is in exactly one of the
two places at every commit. Rollups are not touched: aggregates count
archived and purged runs as before.

Why separate tables rather than PostgreSQL partitions: a run's partition key
would have to be its end time (or an `archived` flag), which changes when the
run ends, and PostgreSQL cannot enforce the run-name uniqueness (nor the
primary key) across partitions unless the key is part of them; runs also
change after they are listed. Moving rows in bounded batches keeps every
constraint and every index of the current table as they are, and the cost
every List pays is that of the current table only (bench/cases/archive.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, delete, false, func, insert, literal, select

from runyard.domain.runs import ENDED
from runyard.store import tables as t
from runyard.store.db import Part
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.v1 import operation_pb2, workspace_pb2

Meta = operation_pb2.OperationMetadata
R = t.runs
RA = t.runs_archive
ACTIONS = frozenset({Meta.ARCHIVE, Meta.PURGE})


def _ended_before(table: Table, cutoff_us: int, state: Any = None) -> list[Any]:
    """The runs of `table` that ended before `cutoff_us` (`state`: the state
    column or an expression of it)."""
    state = table.c.state if state is None else state
    # A run that ended without an end time (none do today) counts by its last change.
    return [
        state.in_(sorted(ENDED)),
        func.coalesce(table.c.end_time, table.c.update_time) < cutoff_us,
    ]


def _candidates(
    conn: Connection,
    table: Table,
    ws_id: int,
    cursor: int,
    cutoff_us: int,
    high_water: int | None,
    limit: int,
) -> list[Any]:
    # Walk the primary key. Compared as expressions (`+ 0`), the workspace and
    # the state offer no index either database would rather use: with one,
    # every batch would read and sort all of the workspace's ended runs again.
    ended = _ended_before(table, cutoff_us, table.c.state + 0)
    query = (
        select(table.c.id, table.c.automation, table.c.run)
        .where(table.c.id > cursor, table.c.workspace_id + 0 == ws_id, *ended)
        .order_by(table.c.id)
        .limit(limit)
        .with_for_update()
    )
    if high_water is not None:
        query = query.where(table.c.id <= high_water)
    return list(conn.execute(query).all())


def _run_names(workspace: WorkspaceRef, rows: list[Any]) -> list[str]:
    return [RunRef(AutomationRef(workspace, r.automation), r.run).name for r in rows]


def _copy(conn: Connection, source: Table, target: Table, where: Any, now_us: int | None) -> None:
    names = [c.name for c in source.columns]
    columns: list[Any] = [source.c[n] for n in names]
    if now_us is not None:
        names.append("archive_time")
        columns.append(literal(now_us))
    conn.execute(
        insert(target).from_select([target.c[n] for n in names], select(*columns).where(where))
    )


def archive_batch(
    conn: Connection,
    ws_id: int,
    workspace: WorkspaceRef,
    cursor: int,
    high_water: int,
    cutoff_us: int,
    now_us: int,
    limit: int,
) -> list[int]:
    """Moves the next ≤ `limit` runs past `cursor` that ended before `cutoff_us`,
    with their events and executions, to the archive; their ids."""
    rows = _candidates(conn, R, ws_id, cursor, cutoff_us, high_water, limit)
    if not rows:
        return []
    ids = [r.id for r in rows]
    names = _run_names(workspace, rows)
    ev, evx = t.run_events, t.run_events_archive
    x, xa = t.executions, t.executions_archive
    runs_of = (x.c.workspace_id == ws_id) & x.c.run.in_(names)
    _copy(conn, R, RA, R.c.id.in_(ids), now_us)
    _copy(conn, ev, evx, ev.c.run_id.in_(ids), None)
    _copy(conn, x, xa, runs_of, now_us)
    conn.execute(delete(ev).where(ev.c.run_id.in_(ids)))
    conn.execute(delete(x).where(runs_of))
    conn.execute(delete(R).where(R.c.id.in_(ids)))
    return ids


def purge_batch(
    conn: Connection, ws_id: int, workspace: WorkspaceRef, cursor: int, cutoff_us: int, limit: int
) -> list[int]:
    """Deletes the next ≤ `limit` archived runs past `cursor` that ended before
    `cutoff_us`, with their archived events and executions; their ids."""
    rows = _candidates(conn, RA, ws_id, cursor, cutoff_us, None, limit)
    if not rows:
        return []
    ids = [r.id for r in rows]
    xa = t.executions_archive
    conn.execute(delete(t.run_events_archive).where(t.run_events_archive.c.run_id.in_(ids)))
    conn.execute(
        delete(xa).where(xa.c.workspace_id == ws_id, xa.c.run.in_(_run_names(workspace, rows)))
    )
    conn.execute(delete(RA).where(RA.c.id.in_(ids)))
    return ids


def advance(
    conn: Connection, row: Any, meta: Any, workspace: WorkspaceRef, now_us: int, limit: int
) -> tuple[int, bool]:
    """One batch of an ARCHIVE or PURGE operation (its row locked by the
    caller); counts it in `meta` and returns (the new cursor, finished)."""
    cutoff = meta.cutoff_time.ToMicroseconds()
    if meta.action == Meta.ARCHIVE:
        ids = archive_batch(
            conn, row.workspace_id, workspace, row.cursor, row.high_water, cutoff, now_us, limit
        )
    else:
        ids = purge_batch(conn, row.workspace_id, workspace, row.cursor, cutoff, limit)
    meta.matched_count += len(ids)
    meta.done_count += len(ids)
    return (ids[-1] if ids else row.cursor), len(ids) < limit


class SqlArchive(Part):
    def count_runs_to_archive(self, workspace: WorkspaceRef, cutoff_us: int) -> int:
        """How many current runs ended before `cutoff_us` (ArchiveRuns validate_only)."""
        return self._count(R, workspace, cutoff_us)

    def count_runs_to_purge(self, workspace: WorkspaceRef, cutoff_us: int) -> int:
        """How many archived runs ended before `cutoff_us` (PurgeArchivedRuns validate_only)."""
        return self._count(RA, workspace, cutoff_us)

    def _count(self, table: Table, workspace: WorkspaceRef, cutoff_us: int) -> int:
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, workspace)
            query = (
                select(func.count())
                .select_from(table)
                .where(table.c.workspace_id == ws_id, *_ended_before(table, cutoff_us))
            )
            return int(conn.execute(query).scalar_one())

    def retention_workspaces(self) -> list[workspace_pb2.Workspace]:
        """The workspaces with a run_retention or an archive_retention."""
        with self.db.read() as conn:
            bodies = conn.execute(select(t.workspaces.c.body).order_by(t.workspaces.c.id))
            found = [workspace_pb2.Workspace.FromString(b) for b in bodies.scalars()]
        return [w for w in found if w.HasField("run_retention") or w.HasField("archive_retention")]

    def unfinished_operation(self, workspace: WorkspaceRef, action: int) -> bool:
        """Whether an operation of `action` is still pending or running there."""
        ops = t.operations
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, workspace)
            found = conn.execute(
                select(ops.c.id)
                .where(ops.c.workspace_id == ws_id, ops.c.action == action, ops.c.done == false())
                .limit(1)
            ).first()
        return found is not None
