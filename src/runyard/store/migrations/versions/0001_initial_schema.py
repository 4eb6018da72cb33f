"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "automations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workspace_id", sa.BigInteger(), nullable=False),
        sa.Column("automation", sa.String(length=63), nullable=False),
        sa.Column("display_name", sa.Text(), server_default="", nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("config_version", sa.BigInteger(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("update_time", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "automation", name="uq_automations_name"),
    )
    op.create_table(
        "executions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workspace_id", sa.BigInteger(), nullable=False),
        sa.Column("execution", sa.String(length=63), nullable=False),
        sa.Column("run", sa.Text(), server_default="", nullable=False),
        sa.Column("resource", sa.Text(), server_default="", nullable=False),
        sa.Column("resource_version", sa.Text(), server_default="", nullable=False),
        sa.Column("caller", sa.Text(), server_default="", nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("failure_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("duration", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("outputs", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "execution", name="uq_executions_name"),
    )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_executions_ws_ct", ["workspace_id", "create_time", "id"], unique=False
        )
        batch_op.create_index(
            "ix_executions_ws_res_ct",
            ["workspace_id", "resource", "create_time", "id"],
            unique=False,
        )

    op.create_table(
        "idempotency",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "run_events",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("node_kind", sa.Text(), server_default="", nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "sequence"),
    )
    op.create_table(
        "runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
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
        sa.Column("caller", sa.Text(), server_default="", nullable=False),
        sa.Column("started_by", sa.Text(), server_default="", nullable=False),
        sa.Column("trace_id", sa.Text(), server_default="", nullable=False),
        sa.Column("external_execution_id", sa.Text(), server_default="", nullable=False),
        sa.Column("automation_revision_id", sa.Text(), server_default="", nullable=False),
        sa.Column("retried_run", sa.Text(), server_default="", nullable=False),
        sa.Column("pause_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("failure_message", sa.Text(), server_default="", nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("duration", sa.BigInteger(), nullable=True),
        sa.Column("update_time", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_event", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "automation", "run", name="uq_runs_name"),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_runs_ws_auto_ct", ["workspace_id", "automation", "create_time", "id"], unique=False
        )
        batch_op.create_index(
            "ix_runs_ws_auto_state_ct",
            ["workspace_id", "automation", "state", "create_time", "id"],
            unique=False,
        )
        batch_op.create_index("ix_runs_ws_ct", ["workspace_id", "create_time", "id"], unique=False)
        batch_op.create_index(
            "ix_runs_ws_state_ct", ["workspace_id", "state", "create_time", "id"], unique=False
        )

    op.create_table(
        "workspaces",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization", sa.String(length=63), nullable=False),
        sa.Column("workspace", sa.String(length=63), nullable=False),
        sa.Column("display_name", sa.Text(), server_default="", nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("update_time", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization", "workspace", name="uq_workspaces_name"),
    )


def downgrade() -> None:
    op.drop_table("workspaces")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_ws_state_ct")
        batch_op.drop_index("ix_runs_ws_ct")
        batch_op.drop_index("ix_runs_ws_auto_state_ct")
        batch_op.drop_index("ix_runs_ws_auto_ct")

    op.drop_table("runs")
    op.drop_table("run_events")
    op.drop_table("idempotency")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("ix_executions_ws_res_ct")
        batch_op.drop_index("ix_executions_ws_ct")

    op.drop_table("executions")
    op.drop_table("automations")
