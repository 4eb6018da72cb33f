"""four-hour rollup rows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

A daily aggregate in a zone whose midnight is not UTC's reads each day as its
UTC day plus and minus the hours between the two midnights; as hour rows that
is 5 rows per state in New York in winter, and the sums are the query's cost.
A four-hour level (runyard.store.layout.LEVEL_FOUR_HOURS) makes it 2. Its rows
are summed here from the hour rows, which hold the same runs; a rollup delta
still waiting in an unnumbered change-feed row (PostgreSQL: a writer stopped
between its COMMIT and its sequencer) gets the four-hour entries its hour
entries imply, so the sequencer that numbers it adds them too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

LEVEL_HOUR = 2
LEVEL_FOUR_HOURS = 5
FOUR_HOURS_US = 4 * 3_600_000_000
HIST = [f"h{k:02d}" for k in range(56)]
# Floor division for negative starts too (% truncates towards zero in both).
_BUCKET = f"bucket_start - (((bucket_start % {FOUR_HOURS_US}) + {FOUR_HOURS_US}) % {FOUR_HOURS_US})"


def _floor(start: int) -> int:
    return start - start % FOUR_HOURS_US


def upgrade() -> None:
    hist = ", ".join(f'"{c}"' for c in HIST)
    sums = ", ".join(f'sum("{c}")' for c in HIST)
    key = 'workspace_id, automation, "trigger"'
    op.execute(
        f"INSERT INTO run_rollups ({key}, level, bucket_start, state, run_count, duration_count,"
        f" duration_sum, duration_max, {hist})"
        f" SELECT {key}, {LEVEL_FOUR_HOURS}, {_BUCKET}, state, sum(run_count),"
        f" sum(duration_count), sum(duration_sum), max(duration_max), {sums}"
        f" FROM run_rollups WHERE level = {LEVEL_HOUR}"
        f" GROUP BY {key}, {_BUCKET}, state"
    )
    _rewrite_waiting_deltas(
        lambda entries: (
            entries
            + [
                [LEVEL_FOUR_HOURS, e[1], _floor(e[2]), *e[3:]]
                for e in entries
                if e[0] == LEVEL_HOUR
            ]
        )
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM run_rollups WHERE level = {LEVEL_FOUR_HOURS}")
    _rewrite_waiting_deltas(lambda entries: [e for e in entries if e[0] != LEVEL_FOUR_HOURS])


def _rewrite_waiting_deltas(rewrite: Callable[[list[list[Any]]], list[list[Any]]]) -> None:
    """Rewrites the rollup delta of every change-feed row not numbered yet."""
    bind = op.get_bind()
    pending = bind.execute(
        sa.text("SELECT id, rollup FROM run_changes WHERE seq IS NULL AND rollup IS NOT NULL")
    ).all()
    for row_id, rollup in pending:
        entries = rewrite(json.loads(rollup))
        bind.execute(
            sa.text("UPDATE run_changes SET rollup = :rollup WHERE id = :id"),
            {"rollup": json.dumps(entries, separators=(",", ":")), "id": row_id},
        )
