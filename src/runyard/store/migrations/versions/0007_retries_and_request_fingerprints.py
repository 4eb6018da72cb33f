"""one retry per run (index to find a run's retry); request fingerprints with
idempotency records

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_RETRIES = sa.text("retried_run != ''")


def upgrade() -> None:
    op.create_index(
        "ix_runs_ws_retried",
        "runs",
        ["workspace_id", "retried_run"],
        sqlite_where=_RETRIES,
        postgresql_where=_RETRIES,
    )
    with op.batch_alter_table("idempotency") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("idempotency") as batch:
        batch.drop_column("fingerprint")
    op.drop_index("ix_runs_ws_retried", "runs")
