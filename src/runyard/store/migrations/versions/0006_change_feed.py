"""the WatchRuns change feed: run_changes and change_feed_state

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_changes",
        sa.Column("workspace_id", sa.BigInteger, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("automation", sa.String(63), nullable=False),
        sa.Column("create_time", sa.BigInteger, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_run_changes_ct", "run_changes", ["create_time"])
    op.create_table(
        "change_feed_state",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("change_feed_state")
    op.drop_index("ix_run_changes_ct", "run_changes")
    op.drop_table("run_changes")
