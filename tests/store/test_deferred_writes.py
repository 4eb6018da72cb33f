"""A PostgreSQL run change sends its row update and event with its COMMIT
(runyard.store.tail.write_later), without reading the update's row count first:
one whose compare-and-set misses must still change nothing."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.exc import IntegrityError

from runyard.domain import runs as domain
from runyard.store import changefeed
from runyard.store import run_rows as rows
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.runs import change_locked
from runyard.store.sql import SqlStore
from runyard.v1 import automation_pb2, run_pb2, workspace_pb2

WORKSPACE = WorkspaceRef("acme", "deferred")


def _start(current: run_pb2.Run, paused_from: int) -> domain.Transition:
    actor = domain.Actor("tests", time.time_ns() // 1000)
    return domain.transition(current, paused_from, domain.Action.START, actor)


def test_a_deferred_change_whose_version_moved_rolls_back_whole(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("only PostgreSQL defers a change's own rows to its COMMIT")
    store = SqlStore(database_url)
    try:
        store.create_workspace(WORKSPACE, workspace_pb2.Workspace(display_name="D"), "")
        parent = AutomationRef(WORKSPACE, "nightly")
        store.create_automation(parent, automation_pb2.Automation(display_name="n"), "")
        ref = RunRef(parent, "r1")
        run, change = domain.new_run(
            run_pb2.Run(caller="tests"), domain.Actor("tests", time.time_ns() // 1000)
        )
        created = store.create_run(ref, run, change, "")
        db = store.db
        with db.read() as conn:
            ws_id = db.workspace_id(conn, WORKSPACE)
            head = changefeed.head(conn, ws_id)
        with pytest.raises(IntegrityError), db.write() as conn:
            row = rows.select_run(conn, ws_id, "nightly", "r1", lock=True)
            # As if another writer had moved the row since it was read.
            change_locked(conn, row._replace(version=row.version + 1), ref, _start)
        after = store.get_run(ref)
        assert after.state == created.state and after.etag == created.etag
        with db.read() as conn:
            assert changefeed.head(conn, ws_id) == head
        # The run still changes normally afterwards.
        assert store.change_run(ref, "", "", _start).state == run_pb2.Run.RUNNING
    finally:
        store.close()
