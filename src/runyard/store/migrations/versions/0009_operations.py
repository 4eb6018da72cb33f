"""long-running operations (bulk actions on runs) and their per-run failures

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", PK, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.BigInteger(), nullable=False),
        sa.Column("operation", sa.String(length=63), nullable=False),
        sa.Column("action", sa.Integer(), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("high_water", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("lease_expire_time", sa.BigInteger(), nullable=True),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("update_time", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("workspace_id", "operation", name="uq_operations_name"),
    )
    op.create_index("ix_operations_ws_ct", "operations", ["workspace_id", "create_time", "id"])
    op.create_index("ix_operations_done", "operations", ["done", "id"])
    op.create_table(
        "operation_failures",
        sa.Column("operation_id", sa.BigInteger(), primary_key=True),
        sa.Column("sequence", sa.BigInteger(), primary_key=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("operation_failures")
    op.drop_index("ix_operations_done", table_name="operations")
    op.drop_index("ix_operations_ws_ct", table_name="operations")
    op.drop_table("operations")
