"""The prepared page path (runyard.aip.sql.prepared) returns exactly what the
SQLAlchemy path returns, page after page, for filters whose parameters need
the dialect's bind processing (JSON paths), cursors of mixed directions,
skip and a parent given as a named parameter, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from runyard.aip.listing import Collection, ListRequest, plan_list
from runyard.aip.ordering import OrderField
from runyard.aip.sql.listing import ListResult, run_plan
from runyard.aip.sql.prepared import _prepared
from tests.aip.filtertable import SCHEMA, c, engine_for, insert, row
from tests.aip.test_pagination import CODEC

COLLECTION = Collection(
    name="filter_items",
    schema=SCHEMA,
    order_fields={
        "count": OrderField("count"),
        "create_time": OrderField("create_time"),
        "start_time": OrderField("start_time", nullable=True),
    },
    default_order="create_time desc",
    tiebreaker=(OrderField("id"),),
)
BASE = select(c.id).where(c.parent == bindparam("parent"))

CASES = [
    ("", ""),
    ('labels.team = "infra"', "count desc"),
    ("labels:env", "start_time, count desc"),
    ("count > 3 OR done = true", "create_time"),
    ('"disk"', ""),
]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = engine_for(database_url)
    rnd = random.Random(3)
    insert(
        engine,
        [
            row(
                i,
                parent=rnd.choice(["p1", "p2"]),
                count=rnd.randint(0, 9),
                create_time=rnd.randint(0, 20),
                start_time=rnd.choice([None, rnd.randint(0, 5)]),
                done=rnd.random() < 0.3,
                note=rnd.choice([None, "Disk full", "ok"]),
                labels=rnd.choice([{}, {"team": "infra"}, {"env": "prod", "team": "web"}]),
            )
            for i in range(1, 120)
        ],
    )
    yield engine
    engine.dispose()


def walk(engine: Engine, text: str, order: str, parent: str, prepared: bool) -> list[Any]:
    pages: list[Any] = []
    token, skip = "", 2
    with engine.connect() as conn:
        while True:
            request = ListRequest(parent, text, order, page_size=4, page_token=token, skip=skip)
            plan = plan_list(COLLECTION, request, CODEC)
            if prepared:
                result = run_plan(conn, BASE, plan, c, shape=BASE, values={"parent": parent})
            else:
                base = select(c.id).where(c.parent == parent)
                result = run_plan(conn, base, plan, c)
            pages.append(([tuple(r) for r in result.rows], result.next_page_token))
            token, skip = result.next_page_token, 0
            if not token:
                return pages


@pytest.mark.parametrize(("text", "order"), CASES)
def test_prepared_pages_equal_built_ones(engine: Engine, text: str, order: str) -> None:
    for parent in ("p1", "p2"):
        expected = walk(engine, text, order, parent, prepared=False)
        assert len(expected) > 1 or text
        for _ in range(2):  # the first walk prepares, the second runs prepared
            assert walk(engine, text, order, parent, prepared=True) == expected
    assert any(v is not None for v in _prepared.values())


def test_result_rows_carry_the_sort_keys(engine: Engine) -> None:
    plan = plan_list(COLLECTION, ListRequest("p1", page_size=3), CODEC)
    with engine.connect() as conn:
        for _ in range(2):
            result: ListResult = run_plan(conn, BASE, plan, c, shape=BASE, values={"parent": "p1"})
            assert [len(r) for r in result.rows] == [3, 3, 3]


def test_a_driver_error_leaves_as_sqlalchemys(engine: Engine) -> None:
    plan = plan_list(COLLECTION, ListRequest("p2", page_size=2), CODEC)
    with engine.connect() as conn:
        for _ in range(2):
            run_plan(conn, BASE, plan, c, shape=BASE, values={"parent": "p2"})
        conn.rollback()
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE filter_items RENAME TO filter_items_gone"))
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError):
            run_plan(conn, BASE, plan, c, shape=BASE, values={"parent": "p2"})
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE filter_items_gone RENAME TO filter_items"))


def test_a_lost_connection_is_replaced(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a server that can drop a connection")
    plan = plan_list(COLLECTION, ListRequest("p1", page_size=2), CODEC)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for _ in range(2):
            run_plan(conn, BASE, plan, c, shape=BASE, values={"parent": "p1"})
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        with pytest.raises(OperationalError) as info:
            run_plan(conn, BASE, plan, c, shape=BASE, values={"parent": "p1"})
        assert info.value.connection_invalidated
    with engine.connect() as conn:
        assert run_plan(conn, BASE, plan, c, shape=BASE, values={"parent": "p1"}).rows
