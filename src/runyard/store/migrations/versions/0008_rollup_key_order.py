"""rollup key with the trigger before the bucket

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

Aggregate queries read the "all triggers" rows (trigger -1) over a range of
buckets. With the key (…, bucket_start, state, trigger) that range also held
every per-trigger row, read and thrown away; with (…, trigger, bucket_start,
state) it holds only the rows wanted. On SQLite the table becomes WITHOUT
ROWID, so those rows sit together in key order instead of one table lookup
per index entry. On PostgreSQL the table is clustered on the new key once and
given a fill factor that lets counter updates (which change no key column)
stay on their page, so the order holds as rollups change.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

HIST_BINS = 56
NEW_KEY = ("workspace_id", "level", "automation", "trigger", "bucket_start", "state")
OLD_KEY = ("workspace_id", "level", "automation", "bucket_start", "state", "trigger")


def _columns() -> list[sa.Column[Any]]:
    return [
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
    ]


def _sqlite_rebuild(key: tuple[str, ...], with_rowid: bool) -> None:
    op.create_table(
        "run_rollups_rekeyed",
        *_columns(),
        sa.PrimaryKeyConstraint(*key),
        sqlite_with_rowid=with_rowid,
    )
    names = ", ".join(f'"{c.name}"' for c in _columns())
    op.execute(f"INSERT INTO run_rollups_rekeyed ({names}) SELECT {names} FROM run_rollups")
    op.drop_table("run_rollups")
    op.rename_table("run_rollups_rekeyed", "run_rollups")


def _postgres_rekey(key: tuple[str, ...]) -> None:
    op.execute("ALTER TABLE run_rollups DROP CONSTRAINT run_rollups_pkey")
    cols = ", ".join(f'"{c}"' for c in key)
    op.execute(f"ALTER TABLE run_rollups ADD CONSTRAINT run_rollups_pkey PRIMARY KEY ({cols})")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(NEW_KEY, with_rowid=False)
        return
    _postgres_rekey(NEW_KEY)
    op.execute("ALTER TABLE run_rollups SET (fillfactor = 70)")
    op.execute("CLUSTER run_rollups USING run_rollups_pkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(OLD_KEY, with_rowid=True)
        return
    op.execute("ALTER TABLE run_rollups RESET (fillfactor)")
    _postgres_rekey(OLD_KEY)
