"""A real runyard server in a child process on 127.0.0.1, stopped by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from runyard.v1 import (
    automation_pb2_grpc,
    execution_pb2_grpc,
    run_service_pb2_grpc,
    runner_service_pb2_grpc,
    workspace_pb2_grpc,
)

STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunyardProcess:
    def __init__(self, database_url: str, workdir: Path, *, http: bool = True) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.http = http
        self.grpc_port = free_port()
        self.http_port = free_port() if http else 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"runyard-{self.grpc_port}.log"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, *extra: str) -> None:
        args = [
            sys.executable,
            "-m",
            "runyard",
            "serve",
            "--database-url",
            self.database_url,
            "--grpc-address",
            self.grpc_target,
            "--http-address",
            f"127.0.0.1:{self.http_port}" if self.http else "none",
            *extra,
        ]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        self.wait_serving()

    def wait_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"runyard exited early:\n{self.log.read_text()[-3000:]}")
            try:
                with grpc.insecure_channel(self.grpc_target) as ch:
                    reply = health_pb2_grpc.HealthStub(ch).Check(
                        health_pb2.HealthCheckRequest(), timeout=1
                    )
                serving = reply.status == health_pb2.HealthCheckResponse.SERVING
                if serving and (not self.http or self._http_up()):
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"runyard did not start:\n{self.log.read_text()[-3000:]}")

    def _http_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.http_port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


class Stubs:
    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.workspaces = workspace_pb2_grpc.WorkspaceServiceStub(channel)
        self.automations = automation_pb2_grpc.AutomationServiceStub(channel)
        self.runs = run_service_pb2_grpc.RunServiceStub(channel)
        self.executions = execution_pb2_grpc.ExecutionServiceStub(channel)
        self.runner = runner_service_pb2_grpc.RunnerServiceStub(channel)


@pytest.fixture
def runyard_server(database_url: str, tmp_path: Path) -> Iterator[RunyardProcess]:
    server = RunyardProcess(database_url, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stubs(runyard_server: RunyardProcess) -> Iterator[Stubs]:
    with grpc.insecure_channel(runyard_server.grpc_target) as channel:
        yield Stubs(channel)
