"""A PostgreSQL cluster of a test's own, for tests that stop or restart the server.

The suite's shared cluster (scripts/with-postgres.sh) serves every pytest
worker at once, so no test may take it down. A test that needs the server
down asks for `own_postgres`: a cluster that scripts/postgres.sh initdb's and
starts on a free port of 127.0.0.1 with the same binaries as the shared one,
stopped (and its postmaster PID checked gone) when the worker's session ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.plugins.databases import PG_CTL_ENV, in_ci, require_postgres_url

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "postgres.sh"
PG_CTL_TIMEOUT = 60


@dataclass
class PostgresCluster:
    """A running cluster: its admin URL and what pg_ctl needs to control it."""

    url: str
    directory: Path
    pg_ctl: str
    os_user: str
    log: str

    @property
    def datadir(self) -> Path:
        return self.directory / "data"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _pg_ctl(self, *args: str) -> None:
        cmd = [self.pg_ctl, *args, "-w", "-t", str(PG_CTL_TIMEOUT), "-D", str(self.datadir)]
        if self.os_user and os.geteuid() == 0:
            cmd = ["runuser", "-u", self.os_user, "--", *cmd]
        # The cluster's owner may not be able to enter the current directory.
        subprocess.run(
            cmd,
            check=True,
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            timeout=PG_CTL_TIMEOUT + 30,
        )

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop -m MODE (smart, fast or immediate)."""
        self._pg_ctl("stop", "-m", mode)

    def start(self) -> None:
        """Start again on the same port and wait until it is ready."""
        self._pg_ctl("start", "-l", self.log)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    @contextlib.contextmanager
    def stopped(self, mode: str = "fast") -> Iterator[None]:
        """The block runs with the cluster down; it is started again afterwards,
        whatever happens in the block."""
        self.stop(mode)
        try:
            yield
        finally:
            self.start()


def _env_file(path: Path) -> dict[str, str]:
    """DIR/env as scripts/postgres.sh writes it (NAME=shell-quoted value)."""
    import shlex

    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        values[name] = "".join(shlex.split(value))
    return values


def _script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


def _kill_if_alive(pid: int | None) -> None:
    """The postmaster we started, by its PID, if pg_ctl could not stop it."""
    if pid is None:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster for this worker's tests that stop or restart it."""
    require_postgres_url()  # skipped (failed under CI) like every PostgreSQL test
    env = dict(os.environ)
    shared_pg_ctl = os.environ.get(PG_CTL_ENV, "")
    if shared_pg_ctl:  # the very binaries of the shared cluster
        env["RUNYARD_PG_BINDIR"] = str(Path(shared_pg_ctl).parent)
    # As root the cluster runs as an unprivileged user that must reach it: /tmp.
    base = "/tmp" if os.geteuid() == 0 else None
    directory = Path(tempfile.mkdtemp(prefix="runyard-own-pg.", dir=base))
    started = _script("start", str(directory), env=env)
    if started.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        reason = f"could not start a private PostgreSQL: {started.stderr.strip()[-2000:]}"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    values = _env_file(directory / "env")
    cluster = PostgresCluster(
        url=values["RUNYARD_TEST_POSTGRES_URL"],
        directory=directory,
        pg_ctl=values["RUNYARD_TEST_POSTGRES_PG_CTL"],
        os_user=values.get("RUNYARD_TEST_POSTGRES_OS_USER", ""),
        log=values["RUNYARD_TEST_POSTGRES_LOG"],
    )
    try:
        yield cluster
    finally:
        pid = cluster.postmaster_pid()
        _script("stop", str(directory), env=env)
        _kill_if_alive(pid)
        shutil.rmtree(directory, ignore_errors=True)
