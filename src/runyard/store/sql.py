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
from runyard.store.db import Database
from runyard.store.executions import SqlExecutions
from runyard.store.interface import Store
from runyard.store.loop_writes import LoopWrites
from runyard.store.operations import SqlOperations
from runyard.store.runs import SqlRuns
from runyard.store.tokens import SqlTokenStore, TokenStore
from runyard.store.totals import SqlAggregates
from runyard.store.workspaces import SqlWorkspaces


class SqlStore(SqlWorkspaces, SqlRuns, SqlExecutions, SqlAggregates, SqlOperations, SqlArchive):
    """Thread-safe: each call takes its own connection."""

    def __init__(self, url: str, *, migrate_schema: bool = True, pool_size: int = 8) -> None:
        super().__init__(Database(url, migrate_schema=migrate_schema, pool_size=pool_size))
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
    def loop_writes(self) -> LoopWrites | None:
        return self.db.loop_writes

    # Kept for callers written before page_tokens.
    codec = page_tokens

    def close(self) -> None:
        self.db.close()

    def ping(self) -> None:
        self.db.ping()


def open_store(url: str, *, migrate_schema: bool = True, pool_size: int = 8) -> Store:
    """The store on the database at `url` (migrated to the newest schema unless told not to)."""
    return SqlStore(url, migrate_schema=migrate_schema, pool_size=pool_size)
