"""A tiny servicer for the test-only gatewaytest.v1.Library service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
from gatewaytest.v1 import gatewaytest_pb2 as pb
from gatewaytest.v1 import gatewaytest_pb2_grpc as pb_grpc
from google.api import httpbody_pb2
from google.protobuf import any_pb2, empty_pb2, timestamp_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_reflection.v1alpha import reflection

SERVICE = pb.DESCRIPTOR.services_by_name["Library"].full_name


def _item(name: str, **kw: object) -> pb.Item:
    return pb.Item(
        name=name,
        title=f"title of {name}",
        size=9007199254740993,
        color=pb.RED,
        create_time=timestamp_pb2.Timestamp(seconds=1700000000, nanos=500000000),
        **kw,
    )


class Library(pb_grpc.LibraryServicer):
    async def GetItem(
        self, request: pb.GetItemRequest, context: grpc.aio.ServicerContext
    ) -> pb.Item:
        if request.name.endswith("/missing"):
            await context.abort(grpc.StatusCode.NOT_FOUND, f"{request.name} not found")
        await context.send_initial_metadata((("x-item-etag", "abc"), ("x-raw-bin", b"\x00\x01")))
        context.set_trailing_metadata((("x-served-by", "library"),))
        return _item(request.name)

    async def GetLatestItem(
        self, request: pb.GetLatestItemRequest, context: grpc.aio.ServicerContext
    ) -> pb.Item:
        return _item(f"{request.parent}/items/LATEST")

    async def CreateItem(
        self, request: pb.CreateItemRequest, context: grpc.aio.ServicerContext
    ) -> pb.Item:
        item = pb.Item()
        item.CopyFrom(request.item)
        item.name = f"{request.parent}/items/{request.item_id or 'new'}"
        return item

    async def UpdateItem(
        self, request: pb.UpdateItemRequest, context: grpc.aio.ServicerContext
    ) -> pb.Item:
        item = pb.Item()
        item.CopyFrom(request.item)
        item.tags.extend(request.update_mask.paths)  # echo the mask for tests
        return item

    async def DeleteItem(
        self, request: pb.DeleteItemRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    async def ListItems(
        self, request: pb.ListItemsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListItemsResponse:
        if request.page_size < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page_size must not be negative")
        n = min(request.page_size or 3, 100)
        return pb.ListItemsResponse(
            items=[_item(f"{request.parent}/items/{i}") for i in range(n)], next_page_token="next"
        )

    async def ArchiveItem(
        self, request: pb.ArchiveItemRequest, context: grpc.aio.ServicerContext
    ) -> pb.Item:
        return _item(request.name, archived=True, tags=[request.reason])

    async def WatchItems(
        self, request: pb.WatchItemsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ItemEvent]:
        for i in range(min(request.count, 20)):
            if request.delay_ms > 0:
                await asyncio.sleep(min(request.delay_ms, 2000) / 1000 / (1 + i * 100))
            yield pb.ItemEvent(seq=i + 1, item=_item(f"{request.parent}/items/{i}"))
        if request.fail_code:
            await context.abort(grpc.StatusCode(_code(request.fail_code)), "stream failed")

    async def GetBlob(
        self, request: pb.GetBlobRequest, context: grpc.aio.ServicerContext
    ) -> pb.Blob:
        return pb.Blob(name=request.name, size=len(request.name))

    async def GetBlobInfo(
        self, request: pb.GetBlobRequest, context: grpc.aio.ServicerContext
    ) -> pb.Blob:
        return pb.Blob(name=request.name, content_type="info")

    async def DownloadBlob(
        self, request: pb.GetBlobRequest, context: grpc.aio.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        return httpbody_pb2.HttpBody(
            content_type="text/csv", data=f"name\n{request.name}\n".encode()
        )

    async def UploadBlob(
        self, request: pb.UploadBlobRequest, context: grpc.aio.ServicerContext
    ) -> pb.Blob:
        return pb.Blob(
            name=request.name,
            size=len(request.payload.data),
            content_type=request.payload.content_type,
        )

    async def Echo(
        self, request: pb.EchoRequest, context: grpc.aio.ServicerContext
    ) -> pb.EchoRequest:
        return request

    async def Fail(
        self, request: pb.FailRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        if request.code == 0:
            return empty_pb2.Empty()
        st = status_pb2.Status(code=request.code, message=request.message or "failed")
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason="TEST", domain="gatewaytest"))
        st.details.append(info)
        if request.HasField("retry_delay"):
            retry = any_pb2.Any()
            retry.Pack(error_details_pb2.RetryInfo(retry_delay=request.retry_delay))
            st.details.append(retry)
        await context.abort(
            grpc.StatusCode(_code(request.code)),
            st.message,
            trailing_metadata=(("grpc-status-details-bin", st.SerializeToString()),),
        )
        raise AssertionError("unreachable")

    async def Headers(
        self, request: empty_pb2.Empty, context: grpc.aio.ServicerContext
    ) -> pb.HeadersResponse:
        md = {}
        for k, v in context.invocation_metadata() or ():
            md[k] = v if isinstance(v, str) else "bin:" + v.hex()
        remaining = context.time_remaining()
        if remaining is not None:
            md["time-remaining"] = f"{remaining:.3f}"
        return pb.HeadersResponse(metadata=md)


def _code(number: int) -> tuple[int, str]:
    for c in grpc.StatusCode:
        if c.value[0] == number:
            return c.value
    return grpc.StatusCode.UNKNOWN.value


async def start_library(*, reflect: bool = True) -> tuple[grpc.aio.Server, int]:
    """A grpc.aio server with the Library servicer (and reflection) on 127.0.0.1."""
    server = grpc.aio.server()
    pb_grpc.add_LibraryServicer_to_server(Library(), server)
    if reflect:
        reflection.enable_server_reflection((SERVICE, reflection.SERVICE_NAME), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port
