"""SQLite group commit (runyard.store.group_commit): writers queued behind each
other share one COMMIT, and one writer's failure undoes only its own work."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from runyard.store.db import Database
from runyard.store.group_commit import GroupCommitter
from runyard.store.statements import Sql

WRITERS = 6
INSERT = Sql("INSERT INTO server_secrets (name, value) VALUES (:name, :value)")
NAMES = Sql("SELECT name FROM server_secrets WHERE name LIKE 'w%' ORDER BY name")


class Refused(Exception):
    pass


def _put(conn: Connection, name: str) -> None:
    INSERT.run(conn, {"name": name, "value": b"x"})


def test_a_failed_writer_leaves_its_group_intact(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'group.db'}")
    committer = db.group_commit
    assert isinstance(committer, GroupCommitter)
    outcomes: dict[int, str] = {}
    holding = threading.Event()

    def first() -> None:
        with db.write() as conn:
            _put(conn, "w0")
            holding.set()
            # Keep the turn until every other writer queues behind it, so all
            # of them land in this group (bounded wait).
            deadline = time.monotonic() + 30
            while committer.queued < WRITERS - 1 and time.monotonic() < deadline:
                time.sleep(0.005)
        outcomes[0] = "ok"

    def writer(i: int) -> None:
        # 2 fails after writing; 3 writes, then hits a duplicate key.
        try:
            with db.write() as conn:
                _put(conn, f"w{i}")
                if i == 2:
                    raise Refused
                if i == 3:
                    _put(conn, "w0")  # a duplicate key: IntegrityError
            outcomes[i] = "ok"
        except Refused:
            outcomes[i] = "refused"
        except IntegrityError:
            outcomes[i] = "duplicate"

    try:
        before = committer.commits
        threads = [threading.Thread(target=first)]
        threads[0].start()
        assert holding.wait(30)
        threads += [threading.Thread(target=writer, args=(i,)) for i in range(1, WRITERS)]
        for th in threads[1:]:
            th.start()
        for th in threads:
            th.join(60)
        assert outcomes == {0: "ok", 1: "ok", 2: "refused", 3: "duplicate", 4: "ok", 5: "ok"}
        assert committer.commits - before == 1  # one group, one COMMIT
        with db.read() as conn:
            names = [row.name for row in NAMES.run(conn, {}).all()]
        assert names == ["w0", "w1", "w4", "w5"]
    finally:
        db.close()


@pytest.mark.parametrize("fail", [False, True])
def test_a_lone_writer_commits_at_once(tmp_path: Path, fail: bool) -> None:
    db = Database(f"sqlite:///{tmp_path / 'lone.db'}")
    try:
        committer = db.group_commit
        assert committer is not None
        before = committer.commits
        with pytest.raises(Refused) if fail else contextlib.nullcontext(), db.write() as conn:
            _put(conn, "w1")
            if fail:
                raise Refused
        assert committer.commits - before == 1
        with db.read() as conn:
            names = [row.name for row in NAMES.run(conn, {}).all()]
        assert names == ([] if fail else ["w1"])
    finally:
        db.close()
