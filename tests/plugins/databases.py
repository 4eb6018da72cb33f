"""Database fixtures: every store-touching test runs on SQLite and on PostgreSQL.

PostgreSQL comes from the environment that scripts/with-postgres.sh (and so
`make test`) sets up:

- RUNYARD_TEST_POSTGRES_URL      admin URL, postgresql://runyard@127.0.0.1:PORT/runyard
- RUNYARD_TEST_POSTGRES_DATADIR  the cluster's data directory
- RUNYARD_TEST_POSTGRES_PG_CTL   the pg_ctl that controls it
- RUNYARD_TEST_POSTGRES_OS_USER  OS user to run pg_ctl as ("" = the current user)
- RUNYARD_TEST_POSTGRES_LOG      the server log file

Without RUNYARD_TEST_POSTGRES_URL the `[postgresql]` variants are skipped,
except under CI=true, where they fail: CI must never pass on SQLite alone.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

URL_ENV = "RUNYARD_TEST_POSTGRES_URL"
DATADIR_ENV = "RUNYARD_TEST_POSTGRES_DATADIR"
PG_CTL_ENV = "RUNYARD_TEST_POSTGRES_PG_CTL"
OS_USER_ENV = "RUNYARD_TEST_POSTGRES_OS_USER"
LOG_ENV = "RUNYARD_TEST_POSTGRES_LOG"

PG_CTL_TIMEOUT = 60

STORES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def require_postgres_url() -> str:
    """The admin URL, or skip (fail under CI=true) when there is no server."""
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        return url
    reason = (
        f"PostgreSQL not configured: {URL_ENV} is not set "
        "(run through scripts/with-postgres.sh, e.g. `make test-postgres`)"
    )
    if in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def with_database(url: str, dbname: str) -> str:
    """`url` pointing at database `dbname` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


def sqlalchemy_url(url: str) -> str:
    """A postgresql:// URL for SQLAlchemy's psycopg 3 dialect; others unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@contextlib.contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """Create an empty database, yield its URL, drop it (even if still in use)."""
    name = f"runyard_t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file in tmp_path, or a PostgreSQL
    database of its own (plain postgresql:// URL), dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runyard.db'}"
        return
    with fresh_postgres_database(require_postgres_url()) as url:
        yield url


@pytest.fixture
def postgres_admin_url() -> str:
    """The PostgreSQL server's admin URL (superuser, database `runyard`), for
    tests that need the server itself."""
    return require_postgres_url()


# --- stopping and starting the test cluster --------------------------------


def _pg_ctl(*args: str) -> None:
    require_postgres_url()
    try:
        pg_ctl = os.environ[PG_CTL_ENV]
        datadir = os.environ[DATADIR_ENV]
    except KeyError as missing:
        reason = f"{missing.args[0]} is not set: the cluster is not controllable from here"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    cmd = [pg_ctl, *args, "-w", "-t", str(PG_CTL_TIMEOUT), "-D", datadir]
    os_user = os.environ.get(OS_USER_ENV, "")
    if os_user and os.geteuid() == 0:
        cmd = ["runuser", "-u", os_user, "--", *cmd]
    # The cluster's owner may not be able to enter the current directory.
    subprocess.run(
        cmd,
        check=True,
        cwd=Path(datadir).parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        timeout=PG_CTL_TIMEOUT + 30,
    )


def stop_postgres(mode: str = "fast") -> None:
    """Stop the test cluster (pg_ctl stop -m MODE: smart, fast or immediate)."""
    _pg_ctl("stop", "-m", mode)


def start_postgres() -> None:
    """Start the test cluster again, on the same port, and wait until it is ready."""
    log = os.environ.get(LOG_ENV) or str(Path(os.environ.get(DATADIR_ENV, ".")).parent / "pg.log")
    _pg_ctl("start", "-l", log)


def restart_postgres(mode: str = "fast") -> None:
    """Stop the test cluster and start it again."""
    stop_postgres(mode)
    start_postgres()


@contextlib.contextmanager
def postgres_stopped(mode: str = "fast") -> Iterator[None]:
    """Run the block with the test cluster down; it is started again afterwards,
    whatever happens in the block."""
    stop_postgres(mode)
    try:
        yield
    finally:
        start_postgres()
