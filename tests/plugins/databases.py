"""Database fixtures: every store-touching test runs on SQLite and on PostgreSQL.

PostgreSQL comes from the environment that scripts/with-postgres.sh (and so
`make test`) sets up:

- RUNYARD_TEST_POSTGRES_URL      admin URL, postgresql://runyard@127.0.0.1:PORT/runyard
- RUNYARD_TEST_POSTGRES_PG_CTL   the pg_ctl of its binaries (own_postgres uses the same)

That cluster is shared by every pytest worker (make test runs two): tests get
databases of their own on it (uuid names) and never stop it; a test that needs
the server down or restarted uses a cluster of its own (tests/plugins/own_postgres.py).

Without RUNYARD_TEST_POSTGRES_URL the `[postgresql]` variants are skipped,
except under CI=true, where they fail: CI must never pass on SQLite alone.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

URL_ENV = "RUNYARD_TEST_POSTGRES_URL"
PG_CTL_ENV = "RUNYARD_TEST_POSTGRES_PG_CTL"

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
