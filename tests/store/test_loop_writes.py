"""SQLite writes on the event loop (runyard.store.loop_writes): writes queued
together share one COMMIT, each is answered only after it, and one write's
failure undoes only its own work."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from runyard.domain import runs as machine
from runyard.domain.runs import Actor
from runyard.store import rollups
from runyard.store.db import Database
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.store.statements import Sql
from runyard.v1 import automation_pb2, workspace_pb2
from runyard.v1.run_pb2 import Run

INSERT = Sql("INSERT INTO server_secrets (name, value) VALUES (:name, :value)")
NAMES = Sql("SELECT name FROM server_secrets WHERE name LIKE 'w%' ORDER BY name")


ROLLUP_KEY = ("workspace_id", "level", "automation", "bucket_start", "state", "trigger")


def now_us() -> int:
    return time.time_ns() // 1000


class Refused(Exception):
    pass


def test_loop_writes_share_a_commit_and_fail_alone(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'loop.db'}")
    writes, committer = db.loop_writes, db.group_commit
    assert writes is not None and committer is not None
    announced: list[int] = []
    db.on_commit = lambda topics: announced.append(committer.commits)
    before = committer.commits

    def put(i: int) -> int:
        with db.write() as conn:
            INSERT.run(conn, {"name": f"w{i}", "value": b"x"})
            conn.info["runyard_topics"].append(f"t{i}")
            if i == 2:
                raise Refused
            if i == 3:
                INSERT.run(conn, {"name": "w0", "value": b"x"})  # duplicate key
        return i

    async def one(i: int) -> str:
        try:
            await writes.run(put, i)
        except Refused:
            return "refused"
        except IntegrityError:
            return "duplicate"
        # Answered only once its write is committed and readable elsewhere.
        with db.read() as conn:
            assert f"w{i}" in [row.name for row in NAMES.run(conn, {}).all()]
        return "ok"

    async def main() -> list[str]:
        return await asyncio.gather(*(one(i) for i in range(6)))

    try:
        assert asyncio.run(main()) == ["ok", "ok", "refused", "duplicate", "ok", "ok"]
        assert committer.commits - before == 1  # queued together: one group, one COMMIT
        # Topics of the writes that succeeded, each after that COMMIT.
        assert announced == [before + 1] * 4
        with db.read() as conn:
            names = [row.name for row in NAMES.run(conn, {}).all()]
        assert names == ["w0", "w1", "w4", "w5"]
    finally:
        db.close()


@pytest.mark.parametrize("fail", [False, True])
def test_a_lone_loop_write_commits_at_once(tmp_path: Path, fail: bool) -> None:
    db = Database(f"sqlite:///{tmp_path / 'lone.db'}")
    writes, committer = db.loop_writes, db.group_commit
    assert writes is not None and committer is not None

    def put() -> str:
        with db.write() as conn:
            INSERT.run(conn, {"name": "w1", "value": b"x"})
            if fail:
                raise Refused
        return "done"

    try:
        before = committer.commits
        if fail:
            with pytest.raises(Refused):
                asyncio.run(writes.run(put))
        else:
            assert asyncio.run(writes.run(put)) == "done"
        assert committer.commits - before == 1
        with db.read() as conn:
            names = [row.name for row in NAMES.run(conn, {}).all()]
        assert names == ([] if fail else ["w1"])
        # A thread writer after the loop's group finds the connection free.
        with db.write() as conn:
            INSERT.run(conn, {"name": "w2", "value": b"x"})
    finally:
        db.close()


def test_a_group_sums_its_rollups_and_numbers_its_changes(tmp_path: Path) -> None:
    """Run changes written in one loop group: their rollup rows and change-feed
    rows go in once, at the group's end, and equal what writing them one by
    one gives (a rebuild from the runs)."""
    store = SqlStore(f"sqlite:///{tmp_path / 'runs.db'}")
    writes = store.loop_writes
    assert writes is not None
    ws = WorkspaceRef("acme", "data")
    auto = AutomationRef(ws, "nightly")
    store.create_workspace(ws, workspace_pb2.Workspace(display_name="Data"), "")
    store.create_automation(auto, automation_pb2.Automation(display_name="N"), "")
    now = now_us()

    def apply(action: machine.Action) -> Any:
        return lambda run, paused_from: machine.transition(
            run, paused_from, action, Actor("t", now_us())
        )

    async def lifecycle(i: int) -> None:
        ref = RunRef(auto, f"r{i}")
        run, change = machine.new_run(Run(caller="t"), Actor("t", now + i))
        await writes.run(store.create_run, ref, run, change, "")
        await writes.run(store.change_run, ref, "", "", apply(machine.Action.START))
        if i % 3 == 0:
            await writes.run(store.change_run, ref, "", "", apply(machine.Action.FAIL))
        else:
            await writes.run(store.change_run, ref, "", "", apply(machine.Action.SUCCEED))

    async def main() -> None:
        await asyncio.gather(*(lifecycle(i) for i in range(12)))

    # Rows a change emptied stay (at 0) until a rebuild: compare the others.
    rows = Sql(f"SELECT * FROM run_rollups WHERE run_count != 0 ORDER BY {', '.join(ROLLUP_KEY)}")
    try:
        committer = store.db.group_commit
        assert committer is not None
        before = committer.commits
        asyncio.run(main())
        assert committer.commits - before < 12 * 3  # writes shared COMMITs
        with store.db.read() as conn:
            written = [tuple(r) for r in rows.run(conn, {}).all()]
            seqs = [
                r.seq for r in Sql("SELECT seq FROM run_changes ORDER BY seq").run(conn, {}).all()
            ]
        assert seqs == list(range(1, 12 * 3 + 1))  # gapless, one per change
        with store.db.write() as conn:
            rollups.rebuild(conn, store.db.workspace_id(conn, ws))
        with store.db.read() as conn:
            rebuilt = [tuple(r) for r in rows.run(conn, {}).all()]
        assert written == rebuilt
    finally:
        store.close()
