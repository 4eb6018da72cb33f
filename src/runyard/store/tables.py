"""The relational schema. Each resource row keeps its full protobuf message in
`body` (what reads return, so a page is parsed, not rebuilt field by field) and
copies of the fields that filters, orderings and joins need in typed columns.

Times and durations are integer microseconds (UTC epoch for times) on every
database, so comparisons, keyset cursors and day bucketing behave the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)

metadata = MetaData()

# BigInteger that is still SQLite's rowid alias when used as the primary key.
PK = BigInteger().with_variant(Integer(), "sqlite")

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("organization", String(63), nullable=False),
    Column("workspace", String(63), nullable=False),
    Column("display_name", Text, nullable=False, server_default=""),
    Column("labels", JSON, nullable=False),
    Column("create_time", BigInteger, nullable=False),
    Column("update_time", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    UniqueConstraint("organization", "workspace", name="uq_workspaces_name"),
)

automations = Table(
    "automations",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("workspace_id", BigInteger, nullable=False),
    Column("automation", String(63), nullable=False),
    Column("display_name", Text, nullable=False, server_default=""),
    Column("kind", Integer, nullable=False),
    Column("config_version", BigInteger, nullable=False),
    Column("labels", JSON, nullable=False),
    Column("create_time", BigInteger, nullable=False),
    Column("update_time", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    UniqueConstraint("workspace_id", "automation", name="uq_automations_name"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("workspace_id", BigInteger, nullable=False),
    # The automation's id, not a foreign key: runs outlive a deleted automation.
    Column("automation", String(63), nullable=False),
    Column("run", String(63), nullable=False),
    Column("state", Integer, nullable=False),
    # Where ContinueRun returns a paused run to.
    Column("paused_from_state", Integer, nullable=False, server_default="0"),
    Column("trigger", Integer, nullable=False),
    Column("end_reason", Integer, nullable=False),
    Column("exit_code", Integer, nullable=True),
    Column("attempt", Integer, nullable=False),
    Column("config_version", BigInteger, nullable=False),
    Column("replica_index", Integer, nullable=False),
    Column("caller", Text, nullable=False, server_default=""),
    Column("started_by", Text, nullable=False, server_default=""),
    Column("trace_id", Text, nullable=False, server_default=""),
    Column("external_execution_id", Text, nullable=False, server_default=""),
    Column("automation_revision_id", Text, nullable=False, server_default=""),
    Column("retried_run", Text, nullable=False, server_default=""),
    Column("pause_reason", Text, nullable=False, server_default=""),
    Column("failure_message", Text, nullable=False, server_default=""),
    Column("labels", JSON, nullable=False),
    Column("create_time", BigInteger, nullable=False),
    Column("start_time", BigInteger, nullable=True),
    Column("end_time", BigInteger, nullable=True),
    Column("duration", BigInteger, nullable=True),
    Column("update_time", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    # The last event's sequence number: the next event is last_event + 1 (gapless).
    Column("last_event", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
    UniqueConstraint("workspace_id", "automation", "run", name="uq_runs_name"),
)
# Keyset paging: every documented order has an index ending in the tiebreaker.
Index("ix_runs_ws_auto_ct", runs.c.workspace_id, runs.c.automation, runs.c.create_time, runs.c.id)
Index("ix_runs_ws_ct", runs.c.workspace_id, runs.c.create_time, runs.c.id)
Index(
    "ix_runs_ws_auto_state_ct",
    runs.c.workspace_id,
    runs.c.automation,
    runs.c.state,
    runs.c.create_time,
    runs.c.id,
)
# A run's retry, if any (RetryRun allows one); partial: most runs are no retries.
Index(
    "ix_runs_ws_retried",
    runs.c.workspace_id,
    runs.c.retried_run,
    sqlite_where=runs.c.retried_run != "",
    postgresql_where=runs.c.retried_run != "",
)
Index("ix_runs_ws_state_ct", runs.c.workspace_id, runs.c.state, runs.c.create_time, runs.c.id)

run_events = Table(
    "run_events",
    metadata,
    Column("run_id", BigInteger, primary_key=True),
    Column("sequence", BigInteger, primary_key=True),
    Column("type", Integer, nullable=False),
    Column("node_kind", Text, nullable=False, server_default=""),
    Column("create_time", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
)

executions = Table(
    "executions",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("workspace_id", BigInteger, nullable=False),
    Column("execution", String(63), nullable=False),
    Column("run", Text, nullable=False, server_default=""),
    Column("resource", Text, nullable=False, server_default=""),
    Column("resource_version", Text, nullable=False, server_default=""),
    Column("caller", Text, nullable=False, server_default=""),
    Column("state", Integer, nullable=False),
    Column("failure_reason", Text, nullable=False, server_default=""),
    Column("create_time", BigInteger, nullable=False),
    Column("start_time", BigInteger, nullable=True),
    Column("end_time", BigInteger, nullable=True),
    Column("duration", BigInteger, nullable=True),
    Column("body", LargeBinary, nullable=False),
    Column("outputs", LargeBinary, nullable=False),
    UniqueConstraint("workspace_id", "execution", name="uq_executions_name"),
)
Index("ix_executions_ws_ct", executions.c.workspace_id, executions.c.create_time, executions.c.id)
Index(
    "ix_executions_ws_res_ct",
    executions.c.workspace_id,
    executions.c.resource,
    executions.c.create_time,
    executions.c.id,
)

# AIP-155: the first answer to a request_id, replayed for every repeat.
idempotency = Table(
    "idempotency",
    metadata,
    Column("key", String(200), primary_key=True),
    # SHA-256 of the request without its request_id: a reused request_id with
    # another request is refused ("" for records older than the column).
    Column("fingerprint", String(64), nullable=False, server_default=""),
    Column("create_time", BigInteger, nullable=False),
    Column("response", LargeBinary, nullable=False),
)

# Run rollups maintained on write (runyard.store.rollups; levels, "all" rows and the
# duration histogram are described in runyard.domain.aggregates).
HIST_COLUMNS = tuple(f"h{k:02d}" for k in range(56))
run_rollups = Table(
    "run_rollups",
    metadata,
    Column("workspace_id", BigInteger, nullable=False),
    Column("level", Integer, nullable=False),
    # "" sums over all automations of the workspace.
    Column("automation", String(63), nullable=False),
    Column("bucket_start", BigInteger, nullable=False),
    Column("state", Integer, nullable=False),
    # -1 sums over all triggers.
    Column("trigger", Integer, nullable=False),
    Column("run_count", BigInteger, nullable=False),
    Column("duration_count", BigInteger, nullable=False),
    Column("duration_sum", BigInteger, nullable=False),
    Column("duration_max", BigInteger, nullable=False),
    *(Column(name, BigInteger, nullable=False, server_default="0") for name in HIST_COLUMNS),
    # Trigger before the bucket: a time range of the "all triggers" rows is one
    # contiguous stretch of the key (migration 0008), and on SQLite the rows live
    # in that key's order (WITHOUT ROWID), so a range reads no other rows.
    PrimaryKeyConstraint("workspace_id", "level", "automation", "trigger", "bucket_start", "state"),
    sqlite_with_rowid=False,
)

# Secrets every replica must share, e.g. the page-token signing key; made once.
server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

# Orders on nullable times sort on COALESCE(col, -1) (runyard.aip.ordering); these
# expression indexes let `start_time desc` page by index instead of sorting.
Index(
    "ix_runs_ws_auto_st",
    runs.c.workspace_id,
    runs.c.automation,
    func.coalesce(runs.c.start_time, literal_column("-1")),
    runs.c.id,
)
Index(
    "ix_runs_ws_st",
    runs.c.workspace_id,
    func.coalesce(runs.c.start_time, literal_column("-1")),
    runs.c.id,
)
Index(
    "ix_executions_ws_st",
    executions.c.workspace_id,
    func.coalesce(executions.c.start_time, literal_column("-1")),
    executions.c.id,
)

# Access tokens (runyard.auth). Only a keyed hash of each secret is kept.
tokens = Table(
    "tokens",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("organization", String(63), nullable=False),
    Column("token", String(63), nullable=False),
    Column("workspace", String(63), nullable=False, server_default=""),
    Column("role", Integer, nullable=False),
    Column("secret_hash", LargeBinary, nullable=False),
    Column("create_time", BigInteger, nullable=False),
    Column("expire_time", BigInteger, nullable=True),
    Column("revoke_time", BigInteger, nullable=True),
    Column("last_use_time", BigInteger, nullable=True),
    Column("body", LargeBinary, nullable=False),
    UniqueConstraint("organization", "token", name="uq_tokens_name"),
    UniqueConstraint("secret_hash", name="uq_tokens_secret_hash"),
)

# Long-running operations (runyard.store.operations): a bulk action on runs,
# worked on by one server at a time under a lease, resuming from `cursor`.
operations = Table(
    "operations",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("workspace_id", BigInteger, nullable=False),
    Column("operation", String(63), nullable=False),
    Column("action", Integer, nullable=False),
    Column("state", Integer, nullable=False),
    Column("done", Boolean, nullable=False),
    # Explicit run names (a JSON list) instead of a filter; empty for a filter.
    Column("names", JSON, nullable=False),
    # The last run id visited (filter) or how many names were visited.
    Column("cursor", BigInteger, nullable=False),
    # Runs created after the operation started (ids above this) are not visited.
    Column("high_water", BigInteger, nullable=False),
    Column("lease_owner", String(100), nullable=False, server_default=""),
    Column("lease_expire_time", BigInteger, nullable=True),
    Column("create_time", BigInteger, nullable=False),
    Column("update_time", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
    UniqueConstraint("workspace_id", "operation", name="uq_operations_name"),
)
Index("ix_operations_ws_ct", operations.c.workspace_id, operations.c.create_time, operations.c.id)
Index("ix_operations_done", operations.c.done, operations.c.id)

# The runs an operation could not change, in the order it met them.
operation_failures = Table(
    "operation_failures",
    metadata,
    Column("operation_id", BigInteger, primary_key=True),
    Column("sequence", BigInteger, primary_key=True),
    Column("skipped", Boolean, nullable=False),
    Column("create_time", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
)

# The WatchRuns change feed (runyard.store.changefeed): one row per change of a run,
# written in the transaction of the change, with the run as it is after it. `seq`
# counts per workspace. SQLite numbers a row in its transaction; PostgreSQL
# writers insert it unnumbered (seq NULL, carrying the change's rollup delta in
# `rollup`) and the workspace's sequencer numbers committed rows in id order
# right after (runyard.store.sequencer), so changes are numbered in commit
# order. Rows older than the retention are pruned and the highest pruned seq
# is kept, so an older cursor is refused.
run_changes = Table(
    "run_changes",
    metadata,
    Column("id", PK, primary_key=True, autoincrement=True),
    Column("workspace_id", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=True),
    Column("automation", String(63), nullable=False),
    Column("create_time", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("rollup", Text, nullable=True),
)
UniqueConstraint(run_changes.c.workspace_id, run_changes.c.seq, name="uq_run_changes_ws_seq")
Index("ix_run_changes_ct", run_changes.c.create_time)
Index(
    "ix_run_changes_unnumbered",
    run_changes.c.workspace_id,
    run_changes.c.id,
    postgresql_where=run_changes.c.seq.is_(None),
    sqlite_where=run_changes.c.seq.is_(None),
)

change_feed_state = Table(
    "change_feed_state",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Executions are moved with their run by its name (runyard.store.archive).
Index("ix_executions_ws_run", executions.c.workspace_id, executions.c.run)


def _archive_of(table: Table, name: str, *, stamped: bool = True) -> Table:
    """`table`'s columns (its ids kept: an archived row keeps its id), plus the
    time the row was archived when `stamped`."""
    columns = []
    for column in table.columns:
        copy = column._copy()
        copy.autoincrement = False
        columns.append(copy)
    if stamped:
        columns.append(Column("archive_time", BigInteger, nullable=False))
    return Table(name, metadata, *columns)


# The archive (runyard.store.archive): ended runs past their workspace's
# run_retention, with their events and executions, moved out of the tables
# every current List reads, so those stay as small as the retention keeps them.
runs_archive = _archive_of(runs, "runs_archive")
UniqueConstraint(
    runs_archive.c.workspace_id,
    runs_archive.c.automation,
    runs_archive.c.run,
    name="uq_runs_archive_name",
)
Index(
    "ix_runs_archive_ws_auto_ct",
    runs_archive.c.workspace_id,
    runs_archive.c.automation,
    runs_archive.c.create_time,
    runs_archive.c.id,
)
Index(
    "ix_runs_archive_ws_ct",
    runs_archive.c.workspace_id,
    runs_archive.c.create_time,
    runs_archive.c.id,
)
run_events_archive = _archive_of(run_events, "run_events_archive", stamped=False)
executions_archive = _archive_of(executions, "executions_archive")
UniqueConstraint(
    executions_archive.c.workspace_id,
    executions_archive.c.execution,
    name="uq_executions_archive_name",
)
Index(
    "ix_executions_archive_ws_ct",
    executions_archive.c.workspace_id,
    executions_archive.c.create_time,
    executions_archive.c.id,
)
Index("ix_executions_archive_ws_run", executions_archive.c.workspace_id, executions_archive.c.run)
