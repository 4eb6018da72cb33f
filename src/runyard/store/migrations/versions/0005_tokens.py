"""access tokens (only keyed hashes of their secrets)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", PK, primary_key=True, autoincrement=True),
        sa.Column("organization", sa.String(length=63), nullable=False),
        sa.Column("token", sa.String(length=63), nullable=False),
        sa.Column("workspace", sa.String(length=63), nullable=False, server_default=""),
        sa.Column("role", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("expire_time", sa.BigInteger(), nullable=True),
        sa.Column("revoke_time", sa.BigInteger(), nullable=True),
        sa.Column("last_use_time", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("organization", "token", name="uq_tokens_name"),
        sa.UniqueConstraint("secret_hash", name="uq_tokens_secret_hash"),
    )


def downgrade() -> None:
    op.drop_table("tokens")
