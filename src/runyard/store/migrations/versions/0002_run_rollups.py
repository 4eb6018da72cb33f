"""run rollups

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

The table starts empty; on a database that already holds runs, fill it with
`runyard rebuild-rollups` (which the migration also does, below).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

HIST_BINS = 56


def upgrade() -> None:
    op.create_table(
        "run_rollups",
        sa.Column("workspace_id", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("automation", sa.String(length=63), nullable=False),
        sa.Column("bucket_start", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.Integer(), nullable=False),
        sa.Column("run_count", sa.BigInteger(), nullable=False),
        sa.Column("duration_count", sa.BigInteger(), nullable=False),
        sa.Column("duration_sum", sa.BigInteger(), nullable=False),
        sa.Column("duration_max", sa.BigInteger(), nullable=False),
        *(
            sa.Column(f"h{k:02d}", sa.BigInteger(), server_default="0", nullable=False)
            for k in range(HIST_BINS)
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "level", "automation", "bucket_start", "state", "trigger"
        ),
    )
    # Runs written before this revision: count them in now, in the same transaction.
    from runyard.store import rollups

    rollups.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("run_rollups")
