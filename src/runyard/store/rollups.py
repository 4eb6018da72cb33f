"""Run rollups maintained on write (filled in by the aggregates work).

`apply` is called inside the writing transaction with the run before and after
the change (None when it did not exist), so aggregates stay exact under
concurrent writes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from runyard.v1 import run_pb2


def apply(
    conn: Connection,
    workspace_id: int,
    automation: str,
    before: run_pb2.Run | None,
    after: run_pb2.Run | None,
) -> None:
    """Moves the run's contribution from `before` to `after`."""


def apply_many(
    conn: Connection, workspace_id: int, items: Sequence[tuple[str, run_pb2.Run]]
) -> None:
    """Adds many new runs at once (bulk imports)."""
