"""gRPC server reflection in both versions: grpcio-reflection serves only
``grpc.reflection.v1alpha``, while current tools (grpcurl, buf curl, Postman) ask
``grpc.reflection.v1`` first and some ask nothing else.

The two versions have the same messages under another package name, so they are
the same on the wire: the v1 method is served by grpcio-reflection's own servicer
with its v1alpha (de)serializers. The generated v1 file (runyard.gen) is imported
so that the v1 service can describe itself like every other service.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2

from runyard.gen.grpc.reflection.v1 import reflection_pb2 as reflection_v1_pb2

V1_SERVICE_NAME: str = reflection_v1_pb2.DESCRIPTOR.services_by_name["ServerReflection"].full_name
V1ALPHA_SERVICE_NAME: str = reflection.SERVICE_NAME


def enable_reflection(service_names: Iterable[str], server: grpc.aio.Server) -> None:
    """Serves reflection v1 and v1alpha, listing ``service_names`` and both
    reflection services."""
    names = (*service_names, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)
    servicer = reflection.aio.ReflectionServicer(names)  # type: ignore[attr-defined]
    reflection.enable_server_reflection(names, server)
    info = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(V1_SERVICE_NAME, {"ServerReflectionInfo": info}),)
    )
