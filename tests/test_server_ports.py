"""The test servers' ports under several pytest workers (tests/plugins/servers.py):
a held gRPC port is never handed to another bind(0), and a server whose HTTP
port was taken before it bound it starts again on new ports; the server that
could not bind stops what it had started before it exits."""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.plugins.servers import RunyardProcess, held_port


def test_a_lost_http_port_is_replaced_and_the_grpc_port_held(tmp_path: Path) -> None:
    server = RunyardProcess(f"sqlite:///{tmp_path / 'p.db'}", tmp_path)
    # Held: another socket (bind(0) included) cannot have it.
    with socket.socket() as other, pytest.raises(OSError) as refused:
        other.bind(("127.0.0.1", server.grpc_port))
    assert refused.value.errno == errno.EADDRINUSE
    with socket.socket() as thief:  # another process got the HTTP port first
        thief.bind(("127.0.0.1", server.http_port))
        thief.listen()
        taken = server.http_port
        server.start()
        try:
            assert server.http_port != taken
            assert "address already in use" in server.log.read_text()
            with grpc.insecure_channel(server.grpc_target) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=10
                )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            with socket.create_connection(("127.0.0.1", server.http_port), timeout=5):
                pass
        finally:
            server.stop()


def test_a_server_that_cannot_bind_its_http_port_stops_its_grpc_server_first(
    tmp_path: Path,
) -> None:
    # Its gRPC server has started when the HTTP bind fails; left running while the
    # event loop closed, it crashed the process now and then (SIGSEGV, no error).
    with held_port() as hold, socket.socket() as thief:
        thief.bind(("127.0.0.1", 0))
        thief.listen()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "runyard",
                "serve",
                "--database-url",
                f"sqlite:///{tmp_path / 'p.db'}",
                "--grpc-address",
                f"127.0.0.1:{hold.getsockname()[1]}",
                "--http-address",
                f"127.0.0.1:{thief.getsockname()[1]}",
                "--insecure-no-auth",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    log = done.stdout + done.stderr
    assert done.returncode == 1, log[-3000:]
    assert "address already in use" in log
    assert log.index("gRPC listening on") < log.index("INFO runyard: stopped"), log[-3000:]
