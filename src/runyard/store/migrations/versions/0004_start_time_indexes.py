"""expression indexes for orders on start_time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_START = sa.text("coalesce(start_time, -1)")


def upgrade() -> None:
    op.create_index("ix_runs_ws_auto_st", "runs", ["workspace_id", "automation", _START, "id"])
    op.create_index("ix_runs_ws_st", "runs", ["workspace_id", _START, "id"])
    op.create_index("ix_executions_ws_st", "executions", ["workspace_id", _START, "id"])


def downgrade() -> None:
    op.drop_index("ix_executions_ws_st", "executions")
    op.drop_index("ix_runs_ws_st", "runs")
    op.drop_index("ix_runs_ws_auto_st", "runs")
