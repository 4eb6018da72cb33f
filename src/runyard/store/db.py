"""The plumbing every store aggregate shares, written once: one engine, read
and write transactions that turn database trouble into API errors, request-key
replays (AIP-155), inserts that map a duplicate key to ALREADY_EXISTS, etags,
and the workspace id cache."""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from sqlalchemy import Connection, Executable, insert, select
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError

from runyard.aip.errors import aborted, already_exists, invalid_argument, not_found
from runyard.aip.pagination import PageTokenCodec
from runyard.store import greenlets, migrate, pgnotify, quick_reads, sequencer, statements
from runyard.store import tables as t
from runyard.store.db_errors import guard
from runyard.store.engine import POOL_SIZE, make_engine
from runyard.store.group_commit import GroupCommitter
from runyard.store.interface import LoopWriter
from runyard.store.loop_writes import LoopWrites
from runyard.store.pg_loop_writes import PgLoopWrites
from runyard.store.refs import WorkspaceRef
from runyard.store.statements import Sql
from runyard.store.tail import TAIL, Tail, write_later

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
# How long a write waits for its turn behind this process's other SQLite writers.
SQLITE_WRITER_WAIT_S = 30.0
# Where a write transaction collects its change topics (runyard.store.changefeed).
TOPICS = "runyard_topics"
# The PostgreSQL channel of those topics (runyard.store.notify listens on it).
CHANNEL = "runyard_changes"


def micros(ts: timestamp_pb2.Timestamp) -> int:
    return int(ts.ToMicroseconds())


def opt_micros(msg: Message, field: str) -> int | None:
    return micros(getattr(msg, field)) if msg.HasField(field) else None


def etag_of(version: int) -> str:
    return f'W/"{version}"'


def check_etag(given: str, version: int, name: str) -> None:
    """An empty etag means "whatever is there"; any other must be the current one."""
    if given and given != etag_of(version):
        raise aborted(
            "ETAG_MISMATCH",
            f"the etag {given!r} of {name} is stale; read it again",
            name=name,
            current_etag=etag_of(version),
        )


def identified(message: M, name: str, *, uid: str = "", versioned: bool = True) -> M:
    """A copy of a new resource with its name, `uid` (else a fresh one) and first etag."""
    out = type(message)()
    out.CopyFrom(message)
    out.name = name  # type: ignore[attr-defined]
    out.uid = uid or str(uuid.uuid4())  # type: ignore[attr-defined]
    if versioned:
        out.etag = etag_of(1)  # type: ignore[attr-defined]
    return out


def insert_new(
    conn: Connection, statement: Executable, resource_type: str, name: str
) -> CursorResult[Any]:
    """Runs an INSERT in a savepoint; a duplicate key is ALREADY_EXISTS and leaves
    the surrounding transaction usable."""
    try:
        with conn.begin_nested():
            return conn.execute(statement)  # type: ignore[return-value]
    except IntegrityError:
        raise already_exists(resource_type, name) from None


class Database:
    """One SQLAlchemy engine and its transactions. Thread-safe: each call takes its
    own connection."""

    def __init__(
        self, url: str, *, migrate_schema: bool = True, pool_size: int = POOL_SIZE
    ) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, pool_size=pool_size)
        self.dialect = self.engine.dialect.name
        self.group_commit = (
            GroupCommitter(self.engine, SQLITE_WRITER_WAIT_S) if self.dialect == "sqlite" else None
        )
        # Writes the API runs on its event loop (runyard.api.context.writing):
        # SQLite's in its commit groups, PostgreSQL's in greenlets.
        self.loop_writes: LoopWriter | None = (
            LoopWrites(self.group_commit)
            if self.group_commit
            else PgLoopWrites()
            if self.dialect == "postgresql"
            else None
        )
        # PostgreSQL: the loop's writes take connections from an engine of
        # their own, as many as run at once (made on first use).
        self._loop_engine: Engine | None = None
        self._loop_turns = sequencer.LoopTurns()
        # SQLite: one-statement reads without SQLAlchemy (runyard.store.quick_reads).
        self.quick_reads = quick_reads.for_engine(self.engine)
        # PostgreSQL: numbers the change feed after each write's COMMIT.
        self._turns = sequencer.Turns()
        # Other replicas learn of this process's commits by pg_notify, sent after them.
        self._notify = (
            pgnotify.Sender(
                self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
                CHANNEL,
            )
            if self.dialect == "postgresql"
            else None
        )
        if migrate_schema:
            migrate.upgrade(self.engine)
            # Changes a killed process committed but did not number.
            self.number_pending()
        self._workspace_ids: dict[WorkspaceRef, int] = {}
        # Told the change topics of each commit (runyard.store.notify's hub).
        self.on_commit: Callable[[list[str]], None] | None = None
        self.page_tokens = PageTokenCodec(self.secret("page_token"))

    def close(self) -> None:
        if self.quick_reads is not None:
            self.quick_reads.close()
        if isinstance(self.loop_writes, LoopWrites):
            self.loop_writes.close()
        if self._loop_engine is not None:
            self._loop_engine.dispose()
        if self.group_commit is not None:
            self.group_commit.close()
        if self._notify is not None:
            self._notify.close()
        self.engine.dispose()

    def ping(self) -> None:
        with self.read() as conn:
            conn.exec_driver_sql("SELECT 1")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with guard(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def read_each(self) -> Iterator[Connection]:
        """A read that needs no snapshot across its statements (a List page): on
        PostgreSQL each statement commits on its own, without the BEGIN and
        COMMIT round trips of read() (two of a page's four); SQLite's are local,
        so there it is read()."""
        if self.dialect != "postgresql":
            with self.read() as conn:
                yield conn
            return
        autocommit = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with guard(), autocommit as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite, a savepoint in this process's current
        commit group (runyard.store.group_commit). Returns once it is durable."""
        topics: list[str] = []
        with guard(), self._transaction() as conn:
            info = conn.info
            info[TOPICS] = topics  # runyard.store.changefeed.signal adds to it
            info[TAIL] = last = Tail()  # rollups and changefeed add to it
            try:
                yield conn
            finally:
                # The connection's info outlives the transaction (pooled, or
                # SQLite's shared writer): nothing may add to a finished one.
                info.pop(TOPICS, None)
                info.pop(TAIL, None)
            if self.dialect == "postgresql":
                batch = last.statements()
                if batch:
                    statements.run_and_commit(conn, batch)
                if last.unnumbered:
                    # Committed: now numbered (and in the rollups) before it returns.
                    if greenlets.active():
                        turn = self._loop_turns.after_commit(
                            conn.connection.driver_connection, conn.connection.info, last.unnumbered
                        )
                        statements.wait_translated(conn, turn)
                    else:
                        self._turns.after_commit(conn, last.unnumbered)
            elif not self._group_tail(conn, last):
                statements.run_each(conn, last.statements())
        # After the commit: a woken watcher must find what woke it.
        if topics and not (
            self.group_commit and self.group_commit.later(lambda: self._announce(topics))
        ):
            self._announce(topics)

    def number_pending(self) -> None:
        """PostgreSQL: numbers every change-feed row committed but not
        numbered yet (runyard.store.sequencer); nothing on SQLite."""
        if self.dialect != "postgresql":
            return
        autocommit = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with guard(), autocommit as conn:
            found = sequencer.number_pending(conn)
        if found:
            log.info("numbered change-feed rows left unnumbered in %d workspace(s)", found)

    def _group_tail(self, conn: Connection, last: Tail) -> bool:
        """SQLite writes on the event loop (runyard.store.loop_writes): the
        Tail joins the group's, run once before its COMMIT, so the writers of a
        group upsert each rollup row once and number their changes together
        (runs changed at once share most rollup rows). False elsewhere."""
        committer = self.group_commit
        shared = committer.group_local(Tail, partial(_run_tail, conn)) if committer else None
        if shared is None or shared.absorb(last):
            return shared is not None
        _run_tail(conn, shared)  # what came before goes first: the feed keeps its order
        shared._stages.clear()
        return False

    def notifier_pid(self) -> int | None:
        """PostgreSQL: the server process sending this process's notifications
        (runyard.store.pgnotify), while connected; None elsewhere."""
        return self._notify.backend_pid if self._notify is not None else None

    def _announce(self, topics: list[str]) -> None:
        if self._notify is not None:
            self._notify.send(topics)
        if self.on_commit is not None:
            self.on_commit(topics)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        if self.group_commit is not None:
            with self.group_commit.transaction() as conn:
                yield conn
            return
        engine = self.engine
        if greenlets.active() and isinstance(self.loop_writes, PgLoopWrites):
            engine = self._loop_engine or self._make_loop_engine(self.loop_writes.size)
        with engine.connect().execution_options(write=True) as conn, conn.begin():
            yield conn

    def _make_loop_engine(self, size: int) -> Engine:
        self._loop_engine = make_engine(self.url, pool_size=size, max_overflow=0)
        return self._loop_engine

    def secret(self, name: str) -> bytes:
        """A secret shared by every replica on this database, made on first use."""
        table = t.server_secrets
        with self.write() as conn:
            row = conn.execute(select(table.c.value).where(table.c.name == name)).first()
            if row is not None:
                return bytes(row[0])
            value = secrets.token_bytes(32)
            try:
                with conn.begin_nested():
                    conn.execute(insert(table).values(name=name, value=value))
            except IntegrityError:
                # Another replica made it first: use theirs.
                return bytes(
                    conn.execute(select(table.c.value).where(table.c.name == name)).scalar_one()
                )
            return value

    def idempotent(self, key: str, message: type[M], work: Callable[[Connection], M]) -> M:
        """Runs `work` in a write transaction once per request key; concurrent
        repeats get the first answer."""
        try:
            with self.write() as conn:
                replayed = _replay(conn, key, message)
                if replayed is None:
                    result = work(conn)
                    _remember(conn, key, result)
                    return result
        except IntegrityError:
            if not key:
                raise
            with self.read() as conn:
                replayed = _replay(conn, key, message)
            if replayed is None:
                raise
        # A replayed change may not be numbered yet (its writer is numbering it
        # now, or was killed first): it is before the replay is answered.
        self.number_pending()
        return replayed

    def known_workspace_id(self, ref: WorkspaceRef) -> int | None:
        """The workspace's id if this process has looked it up before."""
        return self._workspace_ids.get(ref)

    def workspace_id(self, conn: Connection, ref: WorkspaceRef) -> int:
        # Workspaces are never deleted or renamed, so a found id stays right.
        cached = self._workspace_ids.get(ref)
        if cached is not None:
            return cached
        found = int(workspace_row(conn, ref, t.workspaces.c.id)[0])
        self._workspace_ids[ref] = found
        return found


def _run_tail(conn: Connection, last: Tail) -> None:
    statements.run_each(conn, last.statements())


def workspace_row(conn: Connection, ref: WorkspaceRef, *columns: Any, lock: bool = False) -> Any:
    """The workspace's `columns` (its row locked for update with `lock`), or NOT_FOUND."""
    query = select(*columns).where(
        t.workspaces.c.organization == ref.organization,
        t.workspaces.c.workspace == ref.workspace,
    )
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise not_found("runyard.dev/Workspace", ref.name)
    return row


class Part:
    """A store aggregate on a shared Database (SqlStore joins the parts)."""

    db: Database

    def __init__(self, db: Database) -> None:
        self.db = db


_REPLAY = Sql('SELECT response, fingerprint FROM idempotency WHERE "key" = :key')
_REMEMBER = statements.insert("idempotency", ("key", "fingerprint", "create_time", "response"))


def _replay(conn: Connection, key: str, message: type[M]) -> M | None:
    """The first answer to ``key`` (``"<key>#<fingerprint>"``, see
    runyard.api.context.request_key); the same request_id with another request
    is INVALID_ARGUMENT REQUEST_ID_REUSED."""
    if not key:
        return None
    key, _, fingerprint = key.partition("#")
    row = _REPLAY.run(conn, {"key": key}).first()
    if row is None:
        return None
    if fingerprint and row.fingerprint and fingerprint != row.fingerprint:
        raise invalid_argument(
            "request_id",
            "was already used with a different request; use a new request_id",
            "REQUEST_ID_REUSED",
        )
    return message.FromString(row.response)


def _remember(conn: Connection, key: str, response: Message) -> None:
    if key:
        key, _, fingerprint = key.partition("#")
        # A concurrent repeat's duplicate key fails the COMMIT: idempotent replays.
        write_later(
            conn,
            _REMEMBER,
            {
                "key": key,
                "fingerprint": fingerprint,
                "create_time": time.time_ns() // 1000,
                "response": response.SerializeToString(),
            },
        )
