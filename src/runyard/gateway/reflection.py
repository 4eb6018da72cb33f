"""Learning an upstream's services and files through gRPC server reflection.

``grpc.reflection.v1`` is tried first, then ``v1alpha`` (what grpcio-reflection
serves); both speak the same messages, so one set of classes serves both. The
files arrive as FileDescriptorProtos (dependencies such as
google/api/annotations.proto included) and are built into a pool of their own;
:mod:`.routes` re-reads the google.api.http options from each file's bytes, so
the extension is readable whatever pool the files live in.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FileDescriptor
from grpc_reflection.v1alpha import reflection_pb2

__all__ = ["ReflectionError", "load_files"]

_METHODS = (
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
)


class ReflectionError(RuntimeError):
    """The upstream's reflection service failed or sent unusable files."""


class _Unimplemented(Exception):
    """The upstream does not serve this reflection version."""


async def load_files(
    channel: grpc.aio.Channel,
    *,
    timeout: float = 30.0,
    pool: descriptor_pool.DescriptorPool | None = None,
) -> list[FileDescriptor]:
    """The files that define the upstream's services, built into ``pool`` (a new
    pool by default) together with everything they import."""
    last: Exception | None = None
    for i, method in enumerate(_METHODS):
        final = i == len(_METHODS) - 1
        try:
            protos, service_files = await _fetch(channel, method, timeout)
        except _Unimplemented as e:
            last = e
            continue
        except ReflectionError:
            raise
        except Exception as e:
            # A server without this reflection version may reset the stream before
            # its UNIMPLEMENTED status is read (grpc core then reports INTERNAL from
            # a failed write): try the next version; only the last one's error counts.
            if final:
                raise
            last = e
            continue
        return _build(protos, service_files, pool or descriptor_pool.DescriptorPool())
    details = last.details() if isinstance(last, grpc.aio.AioRpcError) else ""
    raise ReflectionError(f"upstream offers no server reflection: {details}")


class _Stream:
    def __init__(self, channel: grpc.aio.Channel, method: str, timeout: float) -> None:
        self.call = channel.stream_stream(
            method,
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )(timeout=timeout)  # type: ignore[call-arg]

    async def ask(self, **kwargs: str) -> reflection_pb2.ServerReflectionResponse:
        try:
            await self.call.write(reflection_pb2.ServerReflectionRequest(**kwargs))
            resp = await self.call.read()
        except grpc.aio.AioRpcError:
            # A write can lose the race with the server rejecting the method; the
            # call's own status says why.
            if await self.call.code() == grpc.StatusCode.UNIMPLEMENTED:
                raise _Unimplemented() from None
            raise
        if resp is grpc.aio.EOF:  # type: ignore[attr-defined]
            raise ReflectionError("reflection stream ended early")
        assert isinstance(resp, reflection_pb2.ServerReflectionResponse)
        if resp.HasField("error_response"):
            raise ReflectionError(
                f"reflection error for {kwargs}: {resp.error_response.error_message}"
            )
        return resp


def _add(
    protos: dict[str, descriptor_pb2.FileDescriptorProto],
    resp: reflection_pb2.ServerReflectionResponse,
) -> list[str]:
    names = []
    for raw in resp.file_descriptor_response.file_descriptor_proto:
        fdp = descriptor_pb2.FileDescriptorProto.FromString(raw)
        protos.setdefault(fdp.name, fdp)
        names.append(fdp.name)
    return names


async def _fetch(
    channel: grpc.aio.Channel, method: str, timeout: float
) -> tuple[dict[str, descriptor_pb2.FileDescriptorProto], list[str]]:
    stream = _Stream(channel, method, timeout)
    try:
        listing = await stream.ask(list_services="")
        services = [s.name for s in listing.list_services_response.service]
        protos: dict[str, descriptor_pb2.FileDescriptorProto] = {}
        service_files: list[str] = []
        for svc in services:
            resp = await stream.ask(file_containing_symbol=svc)
            names = _add(protos, resp)
            # The first file is the one that defines the symbol.
            if names and names[0] not in service_files:
                service_files.append(names[0])
        missing = _missing(protos)
        while missing:
            for name in missing:
                _add(protos, await stream.ask(file_by_filename=name))
            still = _missing(protos)
            if still & missing:
                raise ReflectionError(f"upstream cannot send {sorted(still & missing)}")
            missing = still
        await stream.call.done_writing()
    finally:
        stream.call.cancel()
    return protos, service_files


def _missing(protos: dict[str, descriptor_pb2.FileDescriptorProto]) -> set[str]:
    return {d for p in protos.values() for d in p.dependency if d not in protos}


def _build(
    protos: dict[str, descriptor_pb2.FileDescriptorProto],
    service_files: Iterable[str],
    pool: descriptor_pool.DescriptorPool,
) -> list[FileDescriptor]:
    done: set[str] = set()

    def add(name: str, stack: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in stack:
            raise ReflectionError(f"import cycle through {name}")
        fdp = protos[name]
        for dep in fdp.dependency:
            add(dep, (*stack, name))
        try:
            pool.FindFileByName(name)
        except KeyError:
            pool.Add(fdp)
        done.add(name)

    for name in sorted(protos):
        add(name, ())
    return [pool.FindFileByName(n) for n in service_files]
