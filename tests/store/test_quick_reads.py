"""SQLite's one-statement GetRun and ListRuns (runyard.store.quick_reads)
answer as the full SQLAlchemy path does, page by page, and leave to it what
they cannot answer (a first page, an idle or missing automation, archived runs,
a closed store's connections)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from runyard.aip.errors import ApiError
from runyard.aip.listing import ListPlan, ListRequest, plan_list
from runyard.store import listing, quick_reads, run_bases
from runyard.store.engine import make_engine
from runyard.store.interface import Page
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.v1 import run_service_pb2
from tests.store import read_data

WORKSPACE = WorkspaceRef("acme", "quick")
ETL = AutomationRef(WORKSPACE, "etl")
IDLE = AutomationRef(WORKSPACE, "idle")
ALL = AutomationRef(WORKSPACE, "-")


def _full(store: SqlStore, parent: AutomationRef, plan: ListPlan) -> Page[bytes]:
    quick, store.db.quick_reads = store.db.quick_reads, None
    try:
        return store.list_runs(parent, plan)
    finally:
        store.db.quick_reads = quick


def _walk(store: SqlStore, parent: AutomationRef, **fields: Any) -> list[bytes]:
    """Every page both ways, twice (the second walk finds every shape prepared)."""
    items: list[bytes] = []
    for _ in range(2):
        items, token = [], ""
        while True:
            plan = read_data.plan(store, parent, token, **fields)
            ours = store.list_runs(parent, plan)
            theirs = _full(store, parent, plan)
            assert (ours.items, ours.next_page_token, ours.total_size) == (
                theirs.items,
                theirs.next_page_token,
                theirs.total_size,
            )
            items += ours.items
            token = ours.next_page_token
            if not token:
                break
    return items


def _walk_events(store: SqlStore, parent: RunRef) -> list[bytes]:
    """Every page of the run's timeline both ways, twice."""
    items: list[bytes] = []
    for _ in range(2):
        items, token = [], ""
        while True:
            request = run_service_pb2.ListRunEventsRequest(
                parent=parent.name, page_size=3, page_token=token
            )
            events = listing.RUN_EVENTS
            plan = plan_list(events, ListRequest.of(request, events), store.page_tokens)
            ours = store.list_run_events(parent, plan)
            quick, store.db.quick_reads = store.db.quick_reads, None
            try:
                theirs = store.list_run_events(parent, plan)
            finally:
                store.db.quick_reads = quick
            assert (ours.items, ours.next_page_token) == (theirs.items, theirs.next_page_token)
            items += ours.items
            token = ours.next_page_token
            if not token:
                break
    return items


def test_quick_reads_answer_as_the_full_path(database_url: str) -> None:
    store = SqlStore(database_url, pool_size=2)
    try:
        quick = store.db.quick_reads
        if not database_url.startswith("sqlite"):
            assert quick is None  # PostgreSQL has its own (runyard.store.async_reads)
            return
        assert quick is not None
        ran: list[str] = []
        fetch = quick.fetch

        def counted(sql: str, params: Any) -> Any:
            ran.append(sql)
            return fetch(sql, params)

        quick.fetch = counted  # type: ignore[method-assign]
        read_data.fill(store, WORKSPACE)
        assert len(_walk(store, ETL)) == 7
        assert len(_walk(store, ALL)) == 7
        assert len(_walk(store, ETL, filter='caller = "c1"', order_by="create_time")) == 3
        assert _walk(store, IDLE) == []
        assert len(_walk(store, ETL, show_total_size=True)) == 7
        assert len(_walk_events(store, RunRef(ETL, "r3"))) == 7
        assert run_bases.RUN_ID.text in ran
        with pytest.raises(ApiError):
            _walk_events(store, RunRef(ETL, "nope"))
        ref = RunRef(ETL, "r3")
        assert store.get_run(ref) == store.get_run(ref)
        assert run_bases.RUN_BODY.text in ran and len(ran) > 10  # the quick path ran
        with pytest.raises(ApiError):
            store.get_run(RunRef(ETL, "nope"))
        with pytest.raises(ApiError):
            missing = AutomationRef(WORKSPACE, "missing")
            store.list_runs(missing, read_data.plan(store, missing))
        # Its connections closed, the full path answers.
        quick.close()
        assert quick.fetch("SELECT 1", {}) is None
        assert len(_walk(store, ETL)) == 7
        assert store.get_run(ref).name == ref.name
    finally:
        store.close()


def test_only_plain_sqlite_files(tmp_path: Path) -> None:
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"):
        engine = create_engine(url, poolclass=NullPool)
        try:
            assert quick_reads.for_engine(engine) is None, url
        finally:
            engine.dispose()
    engine = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        assert quick_reads.for_engine(engine) is not None
    finally:
        engine.dispose()
