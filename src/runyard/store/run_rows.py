"""The statements of a single run write, rendered once (runyard.store.statements):
find the run row, insert or update it, append its events."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

from runyard.store import statements as st
from runyard.store.db import micros, opt_micros
from runyard.v1 import run_pb2

# The run's typed columns (run_columns gives their values).
RUN_FIELDS = (
    "state",
    "trigger",
    "end_reason",
    "exit_code",
    "attempt",
    "config_version",
    "replica_index",
    "caller",
    "started_by",
    "trace_id",
    "external_execution_id",
    "automation_revision_id",
    "retried_run",
    "pause_reason",
    "failure_message",
    "labels",
    "create_time",
    "start_time",
    "end_time",
    "duration",
    "update_time",
)
_STORED = (*RUN_FIELDS, "paused_from_state", "version", "last_event", "body")

# A duplicate name inserts nothing and returns no id (ALREADY_EXISTS), without
# the savepoint a caught IntegrityError would need.
INSERT_RUN = st.insert(
    "runs", ("workspace_id", "automation", "run", *_STORED), "ON CONFLICT DO NOTHING RETURNING id"
)
# Compare-and-set on version: a second replica that read the same row loses.
UPDATE_RUN = st.Sql(
    f"UPDATE runs SET {st.assignments(_STORED)} WHERE id = :id AND version = :old_version"
)
SET_LAST_EVENT = st.Sql("UPDATE runs SET last_event = :last_event WHERE id = :id")
_SELECT_RUN = (
    "SELECT id, workspace_id, version, paused_from_state, last_event, body FROM runs"
    " WHERE workspace_id = :ws AND automation = :automation AND run = :run"
)
SELECT_RUN = st.Sql(_SELECT_RUN)
# SQLite has no FOR UPDATE: its writers hold the database's write lock instead.
SELECT_RUN_LOCKED = st.Sql(_SELECT_RUN + " FOR UPDATE")
INSERT_EVENT = st.insert(
    "run_events", ("run_id", "sequence", "type", "node_kind", "create_time", "body")
)
# PostgreSQL, after UPDATE_RUN in the same message (runyard.store.tail.write_later):
# the run id only if that update took (the row at the new version), else NULL,
# which the key refuses, rolling the transaction back.
INSERT_EVENT_CHECKED = st.insert(
    "run_events",
    ("run_id", "sequence", "type", "node_kind", "create_time", "body"),
    values={"run_id": "(SELECT id FROM runs WHERE id = :run_id AND version = :version)"},
)
# CreateRun's checks in one statement: the automation exists, the name is not archived.
CREATE_CHECKS = st.Sql(
    "SELECT EXISTS (SELECT 1 FROM automations WHERE workspace_id = :ws"
    " AND automation = :automation) AS automation,"
    " EXISTS (SELECT 1 FROM runs_archive WHERE workspace_id = :ws"
    " AND automation = :automation AND run = :run) AS taken"
)


def labels_param(conn: Connection, labels: dict[str, str]) -> Any:
    """A labels value as the JSON column takes it (the text SQLAlchemy's JSON type writes)."""
    if conn.dialect.name == "postgresql":
        from psycopg.types.json import Json

        return Json(labels)
    return json.dumps(labels) if labels else "{}"


def select_run(conn: Connection, ws_id: int, automation: str, run: str, *, lock: bool) -> Any:
    statement = SELECT_RUN_LOCKED if lock and conn.dialect.name == "postgresql" else SELECT_RUN
    return statement.run(conn, {"ws": ws_id, "automation": automation, "run": run}).first()


def run_columns(run: run_pb2.Run) -> dict[str, Any]:
    """The typed column values of `run` (labels as a dict)."""
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
        "start_time": opt_micros(run, "start_time"),
        "end_time": opt_micros(run, "end_time"),
        "duration": run.duration.ToMicroseconds() if run.HasField("duration") else None,
        "update_time": micros(run.update_time),
    }
