"""Both stores are really there: a table written and read through SQLAlchemy."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from tests.plugins.databases import fresh_postgres_database, sqlalchemy_url
from tests.plugins.own_postgres import PostgresCluster


def _roundtrip(url: str) -> list[tuple[int, str]]:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        meta = sa.MetaData()
        notes = sa.Table(
            "notes",
            meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("body", sa.String(100), nullable=False),
        )
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(notes), [{"id": 1, "body": "hello"}])
        with engine.connect() as conn:
            rows = conn.execute(sa.select(notes.c.id, notes.c.body)).all()
        return [(r.id, r.body) for r in rows]
    finally:
        engine.dispose()


def test_write_and_read_a_row(database_url: str) -> None:
    engine = sa.create_engine(sqlalchemy_url(database_url))
    try:
        expected = "postgresql" if database_url.startswith("postgresql") else "sqlite"
        assert engine.dialect.name == expected
        if expected == "postgresql":
            assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()
    assert _roundtrip(database_url) == [(1, "hello")]


def test_each_test_gets_an_empty_database(database_url: str) -> None:
    # Run after (and independently of) the test above: no table left over.
    engine = sa.create_engine(sqlalchemy_url(database_url))
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_databases_are_dropped(postgres_admin_url: str) -> None:
    with fresh_postgres_database(postgres_admin_url) as url:
        name = url.rsplit("/", 1)[1]
        # An open connection must not keep the database from being dropped.
        leftover = psycopg.connect(url)
    try:
        with psycopg.connect(postgres_admin_url) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchall()
        assert found == []
    finally:
        leftover.close()


@pytest.mark.postgres
def test_postgres_server_restarts(own_postgres: PostgresCluster) -> None:
    # A cluster of the test's own: the shared one serves the other workers.
    with psycopg.connect(own_postgres.url, autocommit=True) as conn:
        (before,) = conn.execute("SELECT pg_postmaster_start_time()").fetchone() or (None,)
    with own_postgres.stopped():
        try:
            psycopg.connect(own_postgres.url, connect_timeout=2).close()
        except psycopg.OperationalError:
            pass
        else:
            raise AssertionError("PostgreSQL still accepts connections while stopped")
    own_postgres.restart()
    with psycopg.connect(own_postgres.url, autocommit=True) as conn:
        (after,) = conn.execute("SELECT pg_postmaster_start_time()").fetchone() or (None,)
    assert before is not None and after is not None and after > before
