"""Child processes of the bench: started with a log file, waited for, and always
stopped by their own PID (SIGTERM, then SIGKILL), never by name."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def grpc_serving(target: str) -> bool:
    try:
        with grpc.insecure_channel(target) as ch:
            reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.RpcError:
        return False


class Child:
    """One child process; `stop` is safe to call more than once."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        log: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.args = list(args)
        self.log = log
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def start(self) -> Child:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.args,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.cwd or ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(self.env or {})},
            )
        return self

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; log {self.log}:\n{self.tail()}")
            if ready():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"{self.name} not ready after {timeout:.0f}s; log {self.log}:\n{self.tail()}"
        )

    def stop(self, grace: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)


def runyard(
    database_url: str,
    workdir: Path,
    *,
    http: bool,
    label: str = "runyard",
    extra: Sequence[str] = ("--insecure-no-auth",),
) -> tuple[Child, int, int]:
    """Start `runyard serve` on free 127.0.0.1 ports; (child, grpc_port, http_port or 0).

    Benchmarks of runyard's own work run without authentication by default;
    the auth benchmark measures its cost side by side with it on."""
    grpc_port = free_port()
    http_port = free_port() if http else 0
    child = Child(
        label,
        [
            sys.executable,
            "-m",
            "runyard",
            "--log-level",
            "WARNING",
            "serve",
            "--database-url",
            database_url,
            "--grpc-address",
            f"127.0.0.1:{grpc_port}",
            "--http-address",
            f"127.0.0.1:{http_port}" if http else "none",
            *extra,
        ],
        workdir / f"{label}-{grpc_port}.log",
        cwd=workdir,
    ).start()
    try:
        target = f"127.0.0.1:{grpc_port}"
        child.wait_until(
            lambda: grpc_serving(target) and (not http or port_open(http_port)),
            # Start-up runs schema migrations, which may build indexes over 1,000,000 runs.
            timeout=600,
        )
    except BaseException:
        child.stop()
        raise
    return child, grpc_port, http_port
