"""The seam between HTTP handling and the gRPC call.

:class:`Invoker` is what the app needs: call a method by its full name with a
request message, metadata and timeout, get the response and both metadata
sets, or a :class:`~runyard.gateway.errors.GatewayError` carrying the
google.rpc.Status. :class:`ChannelInvoker` does it over a ``grpc.aio`` channel
with generic method calls (the messages are (de)serialised with the classes of
whatever descriptor pool the bindings came from); the stand-alone gateway uses
it. :class:`~runyard.gateway.inprocess.InProcessInvoker` implements the same
protocol over a grpc.aio server's own handlers, without the loopback hop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

import grpc
from google.protobuf.message import Message
from google.rpc import code_pb2

from .errors import GatewayError, make_status, status_from_rpc_error
from .framed import Framed, unframed

__all__ = ["ChannelInvoker", "Invoker", "Metadata", "StreamCall", "UnaryResult"]

Metadata = Sequence[tuple[str, str | bytes]]


class UnaryResult:
    """A unary call's response and metadata. A response given as a
    :class:`~runyard.gateway.framed.Framed` (its wire bytes) is parsed only if
    :attr:`response` is read; :attr:`payload` is what the JSON encoder takes."""

    __slots__ = ("initial_metadata", "payload", "trailing_metadata")

    def __init__(
        self,
        response: Message | Framed[Any],
        initial_metadata: Metadata,
        trailing_metadata: Metadata,
    ) -> None:
        self.payload = response
        self.initial_metadata = initial_metadata
        self.trailing_metadata = trailing_metadata

    @property
    def response(self) -> Message:
        return unframed(self.payload)  # type: ignore[no-any-return]


class StreamCall(Protocol):
    """A server-streaming call in progress."""

    async def initial_metadata(self) -> Metadata:
        """Raises GatewayError when the call fails before sending headers."""

    def messages(self) -> AsyncIterator[Message]:
        """The responses; raises GatewayError when the stream fails."""

    async def trailing_metadata(self) -> Metadata: ...

    def cancel(self) -> None: ...


class Invoker(Protocol):
    async def unary(
        self,
        method: str,
        request: Message,
        response_class: type[Message],
        metadata: Metadata,
        timeout: float | None,
    ) -> UnaryResult:
        """Raises GatewayError with the call's status when it fails."""

    def server_stream(
        self,
        method: str,
        request: Message,
        response_class: type[Message],
        metadata: Metadata,
        timeout: float | None,
    ) -> StreamCall: ...


def _error(e: BaseException) -> GatewayError:
    if isinstance(e, grpc.aio.AioRpcError):
        return GatewayError(status_from_rpc_error(e))
    # Anything else (a closed channel, a serialisation bug) is the gateway's
    # fault; the caller learns no more than that.
    return GatewayError(make_status(code_pb2.INTERNAL, "internal error calling upstream"))


class _ChannelStream:
    def __init__(self, call: Any) -> None:
        self._call = call

    async def initial_metadata(self) -> Metadata:
        try:
            md = await self._call.initial_metadata()
        except grpc.aio.AioRpcError as e:
            raise _error(e) from None
        return tuple(md or ())

    async def messages(self) -> AsyncIterator[Message]:
        try:
            async for m in self._call:
                yield m
        except grpc.aio.AioRpcError as e:
            raise _error(e) from None

    async def trailing_metadata(self) -> Metadata:
        try:
            return tuple(await self._call.trailing_metadata() or ())
        except grpc.aio.AioRpcError:
            return ()

    def cancel(self) -> None:
        self._call.cancel()


class ChannelInvoker:
    """:class:`Invoker` over a ``grpc.aio`` channel."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._channel = channel
        self._unary: dict[str, Any] = {}
        self._stream: dict[str, Any] = {}

    async def unary(
        self,
        method: str,
        request: Message,
        response_class: type[Message],
        metadata: Metadata,
        timeout: float | None,
    ) -> UnaryResult:
        mc = self._unary.get(method)
        if mc is None:
            mc = self._channel.unary_unary(
                method,
                request_serializer=_serialize,
                response_deserializer=response_class.FromString,
            )
            self._unary[method] = mc
        call = mc(request, metadata=tuple(metadata) or None, timeout=timeout)
        try:
            response = await call
            initial = await call.initial_metadata()
            trailing = await call.trailing_metadata()
        except grpc.aio.AioRpcError as e:
            raise _error(e) from None
        return UnaryResult(response, tuple(initial or ()), tuple(trailing or ()))

    def server_stream(
        self,
        method: str,
        request: Message,
        response_class: type[Message],
        metadata: Metadata,
        timeout: float | None,
    ) -> StreamCall:
        mc = self._stream.get(method)
        if mc is None:
            mc = self._channel.unary_stream(
                method,
                request_serializer=_serialize,
                response_deserializer=response_class.FromString,
            )
            self._stream[method] = mc
        return _ChannelStream(mc(request, metadata=tuple(metadata) or None, timeout=timeout))


def _serialize(msg: Message) -> bytes:
    return msg.SerializeToString()
