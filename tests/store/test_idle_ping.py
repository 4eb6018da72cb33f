"""A PostgreSQL connection that sat idle in the pool is pinged before use; the
ping must leave it outside a transaction, so a read that asks for autocommit
(a List page, Database.read_each) can still have it."""

from __future__ import annotations

import time

import pytest

from runyard.store import engine as engines
from runyard.store.db import Database


def test_an_idle_connection_serves_an_autocommit_read(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the idle ping is PostgreSQL's")
    db = Database(database_url, pool_size=1)
    try:
        with db.read() as conn:
            conn.exec_driver_sql("SELECT 1")
        time.sleep(engines.PING_IDLE_S + 0.2)  # idle long enough to be pinged
        with db.read_each() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        db.close()
