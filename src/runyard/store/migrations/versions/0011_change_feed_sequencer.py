"""the change feed numbered after the commit on PostgreSQL: run_changes gets a
surrogate id, a nullable seq (unique per workspace), an index on the rows not
numbered yet, and the rollup delta each row carries until it is numbered

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COPIED = "workspace_id, seq, automation, create_time, body"


def upgrade() -> None:
    # A new table copied in seq order (SQLite cannot change a primary key in
    # place; one way for both keeps the two schemas alike).
    op.create_table(
        "run_changes_next",
        sa.Column("id", PK, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=True),
        sa.Column("automation", sa.String(63), nullable=False),
        sa.Column("create_time", sa.BigInteger, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("rollup", sa.Text, nullable=True),
        sa.UniqueConstraint("workspace_id", "seq", name="uq_run_changes_ws_seq"),
    )
    op.execute(
        f"INSERT INTO run_changes_next ({_COPIED}) SELECT {_COPIED} FROM run_changes"
        " ORDER BY workspace_id, seq"
    )
    op.drop_index("ix_run_changes_ct", "run_changes")
    op.drop_table("run_changes")
    op.rename_table("run_changes_next", "run_changes")
    op.create_index("ix_run_changes_ct", "run_changes", ["create_time"])
    unnumbered = sa.text("seq IS NULL")
    op.create_index(
        "ix_run_changes_unnumbered",
        "run_changes",
        ["workspace_id", "id"],
        postgresql_where=unnumbered,
        sqlite_where=unnumbered,
    )


def downgrade() -> None:
    op.execute("DELETE FROM run_changes WHERE seq IS NULL")
    op.create_table(
        "run_changes_prev",
        sa.Column("workspace_id", sa.BigInteger, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("automation", sa.String(63), nullable=False),
        sa.Column("create_time", sa.BigInteger, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    op.execute(f"INSERT INTO run_changes_prev ({_COPIED}) SELECT {_COPIED} FROM run_changes")
    op.drop_index("ix_run_changes_unnumbered", "run_changes")
    op.drop_index("ix_run_changes_ct", "run_changes")
    op.drop_table("run_changes")
    op.rename_table("run_changes_prev", "run_changes")
    op.create_index("ix_run_changes_ct", "run_changes", ["create_time"])
