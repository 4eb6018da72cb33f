"""runyard with its in-process gateway and a stand-alone `runyard gateway` in
front of it, both child processes on 127.0.0.1, stopped by their PIDs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugins.servers import BIND_ATTEMPTS, RunyardProcess, free_port

STARTUP_TIMEOUT = 30.0


class GatewayProcess:
    """`runyard gateway --upstream …` in a child process."""

    def __init__(self, upstream: str, workdir: Path, *extra: str) -> None:
        for attempt in range(1, BIND_ATTEMPTS + 1):
            self.port = free_port()
            self.log = workdir / f"gateway-{self.port}.log"
            try:
                self._start(upstream, extra)
                return
            except RuntimeError:
                # Another process took the port between our pick and our bind.
                if attempt == BIND_ATTEMPTS or "address already in use" not in self.log.read_text():
                    raise

    def _start(self, upstream: str, extra: tuple[str, ...]) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "runyard",
                    "gateway",
                    "--upstream",
                    upstream,
                    "--http-address",
                    f"127.0.0.1:{self.port}",
                    *extra,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited early:\n{self.log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gateway did not start:\n{self.log.read_text()[-3000:]}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunyardProcess]:
    tmp: Path = tmp_path_factory.mktemp("runyard")
    server = RunyardProcess(f"sqlite:///{tmp / 'demo.db'}", tmp, http=True)
    server.start("--demo")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def standalone_gateway(
    demo_server: RunyardProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    gw = GatewayProcess(demo_server.grpc_target, tmp_path_factory.mktemp("gateway"))
    try:
        yield gw
    finally:
        gw.stop()


@pytest.fixture(scope="module", params=["in-process", "stand-alone"])
def gateway_base(request: pytest.FixtureRequest, demo_server: RunyardProcess) -> Iterator[str]:
    """The HTTP base URL of either gateway in front of the demo server."""
    if request.param == "in-process":
        yield demo_server.http_base
    else:
        yield request.getfixturevalue("standalone_gateway").base
