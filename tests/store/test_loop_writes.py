"""SQLite writes on the event loop (runyard.store.loop_writes): writes queued
together share one COMMIT, each is answered only after it, and one write's
failure undoes only its own work."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from runyard.store.db import Database
from runyard.store.statements import Sql

INSERT = Sql("INSERT INTO server_secrets (name, value) VALUES (:name, :value)")
NAMES = Sql("SELECT name FROM server_secrets WHERE name LIKE 'w%' ORDER BY name")


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
