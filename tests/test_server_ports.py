"""The test servers' ports under several pytest workers (tests/plugins/servers.py):
a held gRPC port is never handed to another bind(0), and a server whose HTTP
port was taken before it bound it starts again on new ports."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.plugins.servers import RunyardProcess


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
