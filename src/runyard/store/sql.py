"""SqlStore: every store aggregate on one SQLAlchemy engine, for SQLite and
PostgreSQL alike.

Each aggregate is a part with its own narrow protocol (runyard.store.interface)
and module; they share one runyard.store.db.Database for transactions,
request-key replays and error mapping. SqlStore joins the parts so one object
serves every protocol; the API layer is typed against the narrow ones.
A new table's part is added to the bases here and its protocol to `Store`."""

from __future__ import annotations

from runyard.aip.pagination import PageTokenCodec
from runyard.store.archive import SqlArchive
from runyard.store.async_pool import AsyncPool, conninfo_options
from runyard.store.async_reads import PgRunReads
from runyard.store.db import Database
from runyard.store.engine import CONNECT_TIMEOUT_S, POOL_SIZE, STATEMENT_TIMEOUT_MS
from runyard.store.executions import SqlExecutions
from runyard.store.interface import AsyncRunReads, LoopWriter, Store
from runyard.store.operations import SqlOperations
from runyard.store.runs import SqlRuns
from runyard.store.tokens import SqlTokenStore, TokenStore
from runyard.store.totals import SqlAggregates
from runyard.store.workspaces import SqlWorkspaces

# Connections of the event loop's own for its PostgreSQL reads (runyard.store.async_pool).
ASYNC_READ_CONNECTIONS = 8


class SqlStore(SqlWorkspaces, SqlRuns, SqlExecutions, SqlAggregates, SqlOperations, SqlArchive):
    """Thread-safe: each call takes its own connection."""

    def __init__(
        self, url: str, *, migrate_schema: bool = True, pool_size: int = POOL_SIZE
    ) -> None:
        super().__init__(Database(url, migrate_schema=migrate_schema, pool_size=pool_size))
        self.pool_size = pool_size
        self.url = url
        self.engine = self.db.engine
        self.dialect = self.db.dialect
        # Keys the hashes of token secrets (runyard.auth.secrets).
        self.token_pepper = self.db.secret("token_pepper")
        self.tokens: TokenStore = SqlTokenStore(self.db)

    @property
    def page_tokens(self) -> PageTokenCodec:
        return self.db.page_tokens

    @property
    def loop_writes(self) -> LoopWriter | None:
        return self.db.loop_writes

    # Kept for callers written before page_tokens.
    codec = page_tokens

    def async_run_reads(self) -> AsyncRunReads | None:
        """GetRun and ListRuns to await on the event loop, where reads wait on
        the network (PostgreSQL; runyard.store.async_reads), else None: SQLite's
        reads are local and run on store threads or inline."""
        if self.dialect != "postgresql":
            return None
        conninfo = self.engine.url.set(drivername="postgresql")
        pool = AsyncPool(
            conninfo.render_as_string(hide_password=False),
            # 16 made no difference to 8 at 16 callers (the loop's CPU, not the
            # connections, is the limit).
            min(self.pool_size, ASYNC_READ_CONNECTIONS),
            conninfo_options(STATEMENT_TIMEOUT_MS, CONNECT_TIMEOUT_S),
        )
        return PgRunReads(self, pool)

    def close(self) -> None:
        self.db.close()

    def ping(self) -> None:
        self.db.ping()


def open_store(url: str, *, migrate_schema: bool = True, pool_size: int = POOL_SIZE) -> Store:
    """The store on the database at `url` (migrated to the newest schema unless told not to)."""
    return SqlStore(url, migrate_schema=migrate_schema, pool_size=pool_size)
