"""The server as a whole: reflection, health, durability across kill -9."""

from __future__ import annotations

from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from runyard.v1 import run_pb2, run_service_pb2
from tests.api.test_run_lifecycle import create_run, setup_automation
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel
from tests.v1.test_contract import EXPECTED


def test_reflection_lists_every_service_and_rpc(runyard_server: RunyardProcess) -> None:
    from google.protobuf import descriptor_pb2

    with grpc.insecure_channel(runyard_server.grpc_target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = list(
            stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")])
            )
        )
        services = {s.name for s in replies[0].list_services_response.service}
        assert set(EXPECTED) <= services
        for service, methods in EXPECTED.items():
            reply = next(
                stub.ServerReflectionInfo(
                    iter([reflection_pb2.ServerReflectionRequest(file_containing_symbol=service)])
                )
            )
            found: set[str] = set()
            for raw in reply.file_descriptor_response.file_descriptor_proto:
                fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
                for svc in fd.service:
                    if f"{fd.package}.{svc.name}" == service:
                        found = {m.name for m in svc.method}
            assert found == methods


def test_health_reports_serving(runyard_server: RunyardProcess) -> None:
    with grpc.insecure_channel(runyard_server.grpc_target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "runyard.v1.RunService"):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_acknowledged_writes_survive_kill_9(database_url: str, tmp_path: Path) -> None:
    server = RunyardProcess(database_url, tmp_path, http=False)
    server.start()
    try:
        with grpc.insecure_channel(server.grpc_target) as channel:
            stubs = Stubs(admin_channel(server, channel))
            setup_automation(stubs)
            created = create_run(stubs)
            paused_run = create_run(stubs)
            stubs.runs.PauseRun(
                run_service_pb2.PauseRunRequest(name=paused_run.name, reason="before the crash")
            )
        server.kill()  # SIGKILL right after the acknowledgement: no clean shutdown
        server.start()
        with grpc.insecure_channel(server.grpc_target) as channel:
            stubs = Stubs(admin_channel(server, channel))
            got = stubs.runs.GetRun(run_service_pb2.GetRunRequest(name=created.name))
            assert got.state == run_pb2.Run.QUEUED
            got = stubs.runs.GetRun(run_service_pb2.GetRunRequest(name=paused_run.name))
            assert got.state == run_pb2.Run.PAUSED
            assert got.pause_reason == "before the crash"
    finally:
        server.stop()
