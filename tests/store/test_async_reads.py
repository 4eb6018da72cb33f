"""PostgreSQL's GetRun and ListRuns awaited on the event loop
(runyard.store.async_reads) answer as the synchronous store does, page by
page, and a lost or unreachable database is UNAVAILABLE or retried, never a
driver error."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import psycopg
import pytest

from runyard.aip.errors import ApiError
from runyard.aip.listing import ListRequest, plan_list
from runyard.store import listing
from runyard.store.async_pool import AsyncPool
from runyard.store.interface import AsyncRunReads, Page
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.v1 import run_service_pb2
from tests.store import read_data

WORKSPACE = WorkspaceRef("acme", "reads")
ETL = AutomationRef(WORKSPACE, "etl")
IDLE = AutomationRef(WORKSPACE, "idle")
ALL = AutomationRef(WORKSPACE, "-")


async def _walk(
    store: SqlStore, reads: AsyncRunReads, parent: AutomationRef, **fields: Any
) -> list[bytes]:
    """Every page both ways: the same items and tokens."""
    items: list[bytes] = []
    token = ""
    while True:
        plan = read_data.plan(store, parent, token, **fields)
        ours: Page[bytes] = await reads.list_runs(parent, plan)
        theirs = store.list_runs(parent, plan)
        assert (ours.items, ours.next_page_token) == (theirs.items, theirs.next_page_token)
        items += ours.items
        token = ours.next_page_token
        if not token:
            return items


async def _walk_events(store: SqlStore, reads: AsyncRunReads, parent: RunRef) -> list[bytes]:
    """Every page of the run's timeline both ways: the same items and tokens."""
    items: list[bytes] = []
    token = ""
    while True:
        request = run_service_pb2.ListRunEventsRequest(
            parent=parent.name, page_size=3, page_token=token
        )
        plan = plan_list(
            listing.RUN_EVENTS, ListRequest.of(request, listing.RUN_EVENTS), store.page_tokens
        )
        ours = await reads.list_run_events(parent, plan)
        theirs = store.list_run_events(parent, plan)
        assert (ours.items, ours.next_page_token) == (theirs.items, theirs.next_page_token)
        items += ours.items
        token = ours.next_page_token
        if not token:
            return items


def _code(exc: pytest.ExceptionInfo[ApiError]) -> grpc.StatusCode:
    return exc.value.code


def test_async_reads_answer_as_the_store(database_url: str) -> None:
    store = SqlStore(database_url, pool_size=2)
    try:
        reads = store.async_run_reads()
        if not database_url.startswith("postgresql"):
            assert reads is None  # SQLite's reads stay on store threads or inline
            return
        assert reads is not None
        read_data.fill(store, WORKSPACE)

        async def check() -> None:
            try:
                for _ in range(2):  # the first walk prepares the shapes, the second uses them
                    assert len(await _walk(store, reads, ETL)) == 7
                    assert len(await _walk(store, reads, ALL, filter='caller = "c1"')) == 3
                    assert len(await _walk(store, reads, ETL, order_by="create_time")) == 7
                    assert await _walk(store, reads, IDLE) == []
                    assert len(await _walk_events(store, reads, RunRef(ETL, "r3"))) == 7
                with pytest.raises(ApiError) as missing:
                    await reads.list_runs(
                        AutomationRef(WORKSPACE, "nope"), read_data.plan(store, ETL)
                    )
                assert _code(missing) == grpc.StatusCode.NOT_FOUND
                run = await reads.get_run(RunRef(ETL, "r3"))
                assert run == store.get_run(RunRef(ETL, "r3"))
                with pytest.raises(ApiError) as gone:
                    await reads.get_run(RunRef(ETL, "nope"))
                assert _code(gone) == grpc.StatusCode.NOT_FOUND
                with pytest.raises(ApiError) as no_run:
                    await _walk_events(store, reads, RunRef(ETL, "nope"))
                assert _code(no_run) == grpc.StatusCode.NOT_FOUND
            finally:
                await reads.close()

        asyncio.run(check())
    finally:
        store.close()


def test_connections_lost_while_idle_are_replaced(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("async reads are PostgreSQL's")
    store = SqlStore(database_url, pool_size=2)
    try:
        read_data.fill(store, WORKSPACE)
        reads = store.async_run_reads()
        assert reads is not None
        ref = RunRef(ETL, "r1")

        async def check() -> None:
            try:
                await asyncio.gather(*(reads.get_run(ref) for _ in range(3)))
                with psycopg.connect(database_url, autocommit=True) as admin:
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                assert (await reads.get_run(ref)).name == ref.name
            finally:
                await reads.close()

        asyncio.run(check())
    finally:
        store.close()


def test_an_unreachable_database_is_unavailable() -> None:
    # Nothing listens on port 1 of the loopback interface.
    pool = AsyncPool("postgresql://runyard@127.0.0.1:1/runyard", 2, {"connect_timeout": 2})

    async def check() -> None:
        with pytest.raises(ApiError) as failed:
            await pool.fetch("SELECT 1", {})
        assert _code(failed) == grpc.StatusCode.UNAVAILABLE
        await pool.close()

    asyncio.run(check())


def test_a_value_the_database_refuses_is_invalid_argument(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("async reads are PostgreSQL's")
    pool = AsyncPool(database_url, 1, {})

    async def check() -> None:
        try:
            with pytest.raises(ApiError) as refused:
                await pool.fetch("SELECT %(v)s::text", {"v": "a\x00b"})
            assert _code(refused) == grpc.StatusCode.INVALID_ARGUMENT
            assert await pool.fetch("SELECT 1", {}) == [(1,)]  # the connection is still good
        finally:
            await pool.close()

    asyncio.run(check())
