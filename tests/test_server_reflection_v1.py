"""Server reflection v1 (what current grpcurl asks) beside v1alpha, on a real server."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from google.protobuf import descriptor_pb2

from runyard.gen.grpc.reflection.v1 import reflection_pb2 as v1
from tests.plugins.servers import RunyardProcess
from tests.v1.test_contract import EXPECTED

METHOD = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"


def ask(target: str, *requests: v1.ServerReflectionRequest) -> list[v1.ServerReflectionResponse]:
    with grpc.insecure_channel(target) as channel:
        info = channel.stream_stream(
            METHOD,
            request_serializer=v1.ServerReflectionRequest.SerializeToString,
            response_deserializer=v1.ServerReflectionResponse.FromString,
        )
        replies: Iterator[v1.ServerReflectionResponse] = info(iter(requests), timeout=10)
        return list(replies)


def test_v1_client_lists_every_service(runyard_server: RunyardProcess) -> None:
    (reply,) = ask(runyard_server.grpc_target, v1.ServerReflectionRequest(list_services=""))
    services = {s.name for s in reply.list_services_response.service}
    assert set(EXPECTED) <= services
    assert {
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= services


def test_v1_describes_runyard_and_itself(runyard_server: RunyardProcess) -> None:
    replies = ask(
        runyard_server.grpc_target,
        v1.ServerReflectionRequest(file_containing_symbol="runyard.v1.RunService"),
        v1.ServerReflectionRequest(file_containing_symbol="grpc.reflection.v1.ServerReflection"),
        v1.ServerReflectionRequest(file_containing_symbol="no.such.Symbol"),
    )
    assert len(replies) == 3
    for reply, service in zip(replies[:2], ("RunService", "ServerReflection"), strict=True):
        files = [
            descriptor_pb2.FileDescriptorProto.FromString(raw)
            for raw in reply.file_descriptor_response.file_descriptor_proto
        ]
        assert service in {svc.name for fd in files for svc in fd.service}
    assert replies[2].error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
