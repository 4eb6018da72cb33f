"""the run archive: runs, their events and executions moved out of the current
tables by retention; an index to find a run's executions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Archived rows keep the ids they had, so no column autoincrements.
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def _runs_archive() -> None:
    op.create_table(
        "runs_archive",
        sa.Column("id", PK, primary_key=True, autoincrement=False),
        sa.Column("workspace_id", sa.BigInteger(), nullable=False),
        sa.Column("automation", sa.String(length=63), nullable=False),
        sa.Column("run", sa.String(length=63), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("paused_from_state", sa.Integer(), server_default="0", nullable=False),
        sa.Column("trigger", sa.Integer(), nullable=False),
        sa.Column("end_reason", sa.Integer(), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("config_version", sa.BigInteger(), nullable=False),
        sa.Column("replica_index", sa.Integer(), nullable=False),
        *(
            _text(n)
            for n in (
                "caller",
                "started_by",
                "trace_id",
                "external_execution_id",
                "automation_revision_id",
                "retried_run",
                "pause_reason",
                "failure_message",
            )
        ),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("duration", sa.BigInteger(), nullable=True),
        sa.Column("update_time", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_event", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("archive_time", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("workspace_id", "automation", "run", name="uq_runs_archive_name"),
    )
    op.create_index(
        "ix_runs_archive_ws_auto_ct",
        "runs_archive",
        ["workspace_id", "automation", "create_time", "id"],
    )
    op.create_index("ix_runs_archive_ws_ct", "runs_archive", ["workspace_id", "create_time", "id"])


def _executions_archive() -> None:
    op.create_table(
        "executions_archive",
        sa.Column("id", PK, primary_key=True, autoincrement=False),
        sa.Column("workspace_id", sa.BigInteger(), nullable=False),
        sa.Column("execution", sa.String(length=63), nullable=False),
        *(_text(n) for n in ("run", "resource", "resource_version", "caller")),
        sa.Column("state", sa.Integer(), nullable=False),
        _text("failure_reason"),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("duration", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("outputs", sa.LargeBinary(), nullable=False),
        sa.Column("archive_time", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("workspace_id", "execution", name="uq_executions_archive_name"),
    )
    op.create_index(
        "ix_executions_archive_ws_ct",
        "executions_archive",
        ["workspace_id", "create_time", "id"],
    )
    op.create_index("ix_executions_archive_ws_run", "executions_archive", ["workspace_id", "run"])


def upgrade() -> None:
    _runs_archive()
    op.create_table(
        "run_events_archive",
        sa.Column("run_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("sequence", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("node_kind", sa.Text(), server_default="", nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
    )
    _executions_archive()
    op.create_index("ix_executions_ws_run", "executions", ["workspace_id", "run"])


def downgrade() -> None:
    op.drop_index("ix_executions_ws_run", table_name="executions")
    op.drop_table("executions_archive")
    op.drop_table("run_events_archive")
    op.drop_table("runs_archive")
