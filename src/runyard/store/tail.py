"""A write transaction's Tail: the statements it runs at its end, in stage
order, collected by the store modules while it runs (runyard.store.db.Database.write
makes one per transaction and runs it before the COMMIT)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection

from runyard.store import statements
from runyard.store.statements import Sql, Statement

# Where a write transaction keeps its Tail (Connection.info).
TAIL = "runyard_tail"


class Stage(Protocol):
    """Statements a store module collected during a transaction, asked for at its end."""

    def statements(self) -> list[Statement]: ...


S = TypeVar("S", bound=Stage)


class Tail:
    """The writes of a transaction that other writers of the workspace wait for
    (the change-feed counter, rollup rows), run at its end in stage order.

    On PostgreSQL a row lock lasts until the commit, so these go last, in one
    message together with the COMMIT
    (runyard.store.statements.run_and_commit): a workspace's writers then wait
    for each other only while the server runs these statements and flushes the
    commit, not through the transaction's other statements or a round trip.
    Every transaction takes them in the same order (stage, then key), so none
    can deadlock on them."""

    __slots__ = ("_stages", "unnumbered")

    def __init__(self) -> None:
        self._stages: dict[int, Stage] = {}
        # PostgreSQL: workspaces whose change-feed rows this transaction left
        # unnumbered, for the sequencer after its COMMIT (runyard.store.sequencer).
        self.unnumbered: set[int] = set()

    def stage(self, order: int, make: Callable[[], S]) -> S:
        """The stage at `order`, made on first use."""
        found = self._stages.get(order)
        if found is None:
            found = self._stages[order] = make()
        return found  # type: ignore[return-value]

    def statements(self) -> list[Statement]:
        return [s for order in sorted(self._stages) for s in self._stages[order].statements()]

    def absorb(self, later: Tail) -> bool:
        """Adds the stages of `later` (a write that came after) to these, if
        each kind can be summed (has `merge(other)`); False, and nothing
        added, otherwise."""
        if not all(hasattr(stage, "merge") for stage in later._stages.values()):
            return False
        for order, stage in later._stages.items():
            mine = self._stages.get(order)
            if mine is None:
                self._stages[order] = stage
            else:
                mine.merge(stage)  # type: ignore[attr-defined]
        return True

    def pop(self, order: int) -> Stage | None:
        return self._stages.pop(order, None)

    def get(self, order: int) -> Stage | None:
        return self._stages.get(order)


def tail(conn: Connection) -> Tail | None:
    """The Tail of the write transaction of `conn` (None outside Database.write:
    then the caller writes at once)."""
    found: Tail | None = conn.info.get(TAIL)
    return found


# The first stage of a Tail: the transaction's own rows (write_later).
OWN = 0
# The change feed's rows (runyard.store.changefeed), then the rollup rows
# (runyard.store.rollups). On PostgreSQL the feed's stage is asked for its
# statements first and takes the rollup deltas its rows carry from the next.
FEED = 1
ROLLUPS = 2


class _Own:
    __slots__ = ("batch",)

    def __init__(self) -> None:
        self.batch: list[Statement] = []

    def statements(self) -> list[Statement]:
        return self.batch


def writes_later(conn: Connection) -> bool:
    """Whether write_later defers on `conn` now."""
    return (
        conn.dialect.name == "postgresql"
        and tail(conn) is not None
        and not conn.in_nested_transaction()
    )


def write_later(conn: Connection, sql: Sql, params: Any, *, many: bool = False) -> None:
    """Writes rows nobody else waits for and nothing reads back (a run's row
    update, its events, a request record): on PostgreSQL with the COMMIT
    (Tail, stage OWN), so a run change costs two round trips, not one per
    statement; on SQLite, inside a savepoint or outside Database.write, at once.
    A statement that reads such rows later in the transaction calls
    `write_pending` first."""
    pending = tail(conn)
    if pending is None or not writes_later(conn):
        statements.run_each(conn, [(sql, params, many)])
        return
    pending.stage(OWN, _Own).batch.append((sql, params, many))


def write_pending(conn: Connection) -> None:
    """Runs what write_later deferred, now."""
    pending = tail(conn)
    own = pending.pop(OWN) if pending is not None else None
    if own is not None:
        statements.run_each(conn, own.statements())
