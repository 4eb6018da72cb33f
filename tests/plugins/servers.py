"""A real runyard server in a child process on 127.0.0.1, stopped by its PID."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from runyard.v1 import (
    automation_pb2_grpc,
    execution_pb2_grpc,
    run_service_pb2_grpc,
    runner_service_pb2_grpc,
    token_pb2_grpc,
    workspace_pb2_grpc,
)

STARTUP_TIMEOUT = 30.0
# Servers under test get limits no functional test reaches; rate-limit tests set their own.
GENEROUS_RATE_LIMIT = "all=100000/100000"
_ORG = re.compile(r"organizations/([^/]+)")


# What a server that lost its port to another process writes before it exits.
_BIND_FAILED = ("address already in use", "Failed to bind to address")
BIND_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def held_port() -> socket.socket:
    """A free port of 127.0.0.1 kept bound (not listening) with SO_REUSEPORT.

    Other processes' bind(0) cannot be given it while it is held, yet a gRPC
    server (grpc sets SO_REUSEPORT) binds it beside the hold. Without it,
    another pytest worker could be handed the same free port before our server
    binds it (or while a test restarts it), and two gRPC servers would
    silently share it. Held until stop()."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class RunyardProcess:
    def __init__(self, database_url: str, workdir: Path, *, http: bool = True) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.http = http
        self._hold: socket.socket | None = None
        self._pick_ports()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"runyard-{self.grpc_port}.log"
        self._started = False
        self._tokens: dict[tuple[str, str, str | None], str] = {}
        self._store: Any = None

    def _pick_ports(self) -> None:
        self._release_port()
        self._hold = held_port()
        self.grpc_port = int(self._hold.getsockname()[1])
        # The HTTP server does not share ports: a lost race fails its bind loudly.
        self.http_port = free_port() if self.http else 0

    def _release_port(self) -> None:
        if self._hold is not None:
            self._hold.close()
            self._hold = None

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, *extra: str) -> None:
        for attempt in range(1, BIND_ATTEMPTS + 1):
            logged = self._spawn(extra)
            try:
                self.wait_serving()
            except RuntimeError:
                if self._started or attempt == BIND_ATTEMPTS or not self._lost_port(logged):
                    raise
                # Another process took a port between our pick and our bind: new ports.
                self._pick_ports()
                continue
            self._started = True
            return

    def _spawn(self, extra: tuple[str, ...]) -> int:
        """Starts `runyard serve`; returns where its output begins in the log."""
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
        if not any(a.startswith("--rate-limit") for a in extra):
            args += ["--rate-limit", GENEROUS_RATE_LIMIT]
        with open(self.log, "ab") as out:
            logged = out.tell()
            self.proc = subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        return logged

    def _lost_port(self, logged: int) -> bool:
        with open(self.log, "rb") as f:
            f.seek(logged)
            tail = f.read().decode(errors="replace")
        return any(marker in tail for marker in _BIND_FAILED)

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

    def token(self, organization: str, role: str = "admin", workspace: str | None = None) -> str:
        """A token of `organization` with `role` (limited to `workspace` if given),
        minted straight in the server's database and cached per process."""
        key = (organization, role, workspace)
        if key not in self._tokens:
            self._tokens[key] = mint_token(
                self._token_store(), organization, role, workspace=workspace
            )
        return self._tokens[key]

    def auth_headers(self, organization: str, role: str = "admin") -> dict[str, str]:
        return {"authorization": f"Bearer {self.token(organization, role)}"}

    def metadata(self, organization: str, role: str = "admin") -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token(organization, role)}"),)

    def _token_store(self) -> Any:
        if self._store is None:
            from runyard.store.sql import SqlStore

            self._store = SqlStore(self.database_url, migrate_schema=False, pool_size=1)
        return self._store

    def close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def stop(self) -> None:
        self.close_store()
        self._release_port()
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


def mint_token(
    store: Any,
    organization: str,
    role: str = "admin",
    *,
    workspace: str | None = None,
    ttl_seconds: int | None = None,
    rate: tuple[float, int] | None = None,
) -> str:
    """Issues a token through runyard.auth.issue on `store` and returns its secret."""
    from runyard.auth.issue import issue_token
    from runyard.v1 import token_pb2

    template = token_pb2.Token(role=role.upper(), display_name=f"test {role}")
    if workspace:
        template.workspace = f"organizations/{organization}/workspaces/{workspace}"
    if ttl_seconds is not None:
        template.ttl.FromSeconds(ttl_seconds)
    if rate is not None:
        template.rate_limit, template.rate_burst = rate
    issued = issue_token(
        store.tokens,
        store.token_pepper,
        organization,
        template,
        creator="tests",
        now_us=time.time_ns() // 1000,
    )
    return str(issued.secret)


def organization_of(request: Any) -> str:
    """The organization a request names (name, parent or a resource's name);
    for a request that names none, a stand-in (its call is refused for its
    arguments, which is what such tests check)."""
    for path in ("name", "parent", "automation.name", "workspace.name"):
        value: Any = request
        for part in path.split("."):
            value = getattr(value, part, None)
        if isinstance(value, str):
            match = _ORG.match(value)
            if match:
                return match.group(1)
    return "o"


class _AdminTokens(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
):
    """Adds an admin token of whichever organization the request names, unless
    the call already carries an authorization entry."""

    def __init__(self, token_for: Callable[[str], str]) -> None:
        self.token_for = token_for

    def _details(self, details: Any, request: Any) -> Any:
        metadata = list(details.metadata or ())
        org = organization_of(request)
        if not any(k == "authorization" for k, _ in metadata):
            metadata.append(("authorization", f"Bearer {self.token_for(org)}"))
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details, request), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details, request), request)


def admin_channel(server: RunyardProcess, channel: grpc.Channel) -> grpc.Channel:
    """`channel` with an admin token of the request's organization on every call."""
    return grpc.intercept_channel(channel, _AdminTokens(lambda org: server.token(org)))


class Stubs:
    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.workspaces = workspace_pb2_grpc.WorkspaceServiceStub(channel)
        self.automations = automation_pb2_grpc.AutomationServiceStub(channel)
        self.runs = run_service_pb2_grpc.RunServiceStub(channel)
        self.executions = execution_pb2_grpc.ExecutionServiceStub(channel)
        self.runner = runner_service_pb2_grpc.RunnerServiceStub(channel)
        self.tokens = token_pb2_grpc.TokenServiceStub(channel)


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
        yield Stubs(admin_channel(runyard_server, channel))
