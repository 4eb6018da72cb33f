"""An :class:`~runyard.gateway.invoker.Invoker` that calls a grpc.aio server's
handlers in-process, as grpc-gateway's ``RegisterXHandlerServer`` does.

:class:`HandlerRegistry` stands in for the server when servicers are added
(``add_XServicer_to_server(servicer, registry)``): it passes every handler on
to the server and remembers it. :class:`InProcessInvoker` then runs a call the
way the server would — through the server's interceptors, with a context
object offering what handlers use of ``grpc.aio.ServicerContext`` — minus the
loopback channel: no HTTP/2, no second event-loop hop and, when the gateway's
message classes are the server's (the same descriptor pool), no serialising
and parsing of the messages in between. Status, details, metadata, deadlines
(``Grpc-Timeout``), the server's limit on a request's size and the status of a
handler's unexpected exception are those a gRPC client would have seen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.protobuf.message import Message
from google.rpc import code_pb2

from .errors import GatewayError
from .framed import Framed, FramedGenericHandler, framed_handler
from .inprocess_context import ServicerContext, status, within
from .invoker import Metadata, UnaryResult

__all__ = ["HandlerRegistry", "InProcessInvoker", "ServicerContext"]

log = logging.getLogger("runyard.gateway")

# grpc's default limit on a message a server receives (the request here).
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# What a stream may run ahead of its HTTP client (HTTP/2 flow control's part).
STREAM_BUFFER = 16


class HandlerRegistry:
    """A stand-in for a ``grpc.aio.Server`` while servicers are added: passes the
    handlers on and keeps them, with the server's interceptors, for
    :class:`InProcessInvoker`. Their response serializers send a
    :class:`~runyard.gateway.framed.Framed` response's bytes as they are."""

    def __init__(
        self, server: grpc.aio.Server, interceptors: Sequence[grpc.aio.ServerInterceptor] = ()
    ) -> None:
        self.server = server
        self.interceptors = tuple(interceptors)
        self.methods: dict[str, grpc.RpcMethodHandler] = {}
        self.generic: list[grpc.GenericRpcHandler] = []

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        handlers = [FramedGenericHandler(h) for h in handlers]
        self.server.add_generic_rpc_handlers(handlers)
        self.generic.extend(handlers)

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None:
        handlers = {name: framed_handler(h) for name, h in handlers.items()}
        self.server.add_registered_method_handlers(service, handlers)  # type: ignore[attr-defined]
        for name, handler in handlers.items():
            self.methods[f"/{service}/{name}"] = handler

    def lookup(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        found = self.methods.get(details.method)
        if found is not None:
            return found
        for generic in self.generic:
            found = generic.service(details)
            if found is not None:
                return found
        return None


class _CallDetails(grpc.HandlerCallDetails):
    __slots__ = ("invocation_metadata", "method")

    def __init__(self, method: str, metadata: tuple[Any, ...]) -> None:
        self.method = method
        self.invocation_metadata = metadata


class _Method:
    """One method as the gateway calls it: the request class its handler reads
    and the way to adapt messages of other classes (another descriptor pool)."""

    __slots__ = ("request_class", "streaming")

    def __init__(self, handler: grpc.RpcMethodHandler) -> None:
        deserializer = handler.request_deserializer
        self.request_class = getattr(deserializer, "__self__", None)
        self.streaming = handler.unary_stream is not None


class InProcessInvoker:
    """:class:`~runyard.gateway.invoker.Invoker` over the handlers of a
    :class:`HandlerRegistry`, through its interceptors."""

    def __init__(
        self,
        registry: HandlerRegistry,
        *,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        max_response_bytes: int | None = None,
    ) -> None:
        self.registry = registry
        self.max_message_bytes = max_message_bytes
        # A loopback channel would also refuse responses over its receive limit
        # (4 MiB); measuring every response costs about as much as encoding a
        # memoised page as JSON, so that limit is only kept when asked for.
        self.max_response_bytes = max_response_bytes
        self._methods: dict[str, _Method | None] = {}
        self._streams: set[_Stream] = set()

    def close(self) -> None:
        """Ends the streams in progress with UNAVAILABLE, as a stopping gRPC server
        ends its calls (their SSE clients get the error event and resume elsewhere)."""
        for stream in list(self._streams):
            stream.fail(status(code_pb2.UNAVAILABLE, "Cancelling all calls"))

    async def _handler(
        self, method: str, metadata: tuple[Any, ...]
    ) -> tuple[grpc.RpcMethodHandler, _Method]:
        """The method's handler as the server would run it: behind its
        interceptors, which see every call (the first one outermost)."""
        details = _CallDetails(method, metadata)
        info = self._methods.get(method)
        if info is None and method not in self._methods:
            raw = self.registry.lookup(details)
            info = self._methods[method] = _Method(raw) if raw is not None else None

        async def innermost(d: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
            return self.registry.lookup(d)

        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]] = innermost
        for interceptor in reversed(self.registry.interceptors):
            continuation = _chain(interceptor, continuation)
        handler = await continuation(details)
        if handler is None or info is None:
            raise status(code_pb2.UNIMPLEMENTED, "Method not found!")
        return handler, info

    def _request(self, handler: grpc.RpcMethodHandler, info: _Method, request: Message) -> Any:
        size = request.ByteSize()
        if size > self.max_message_bytes:
            raise status(
                code_pb2.RESOURCE_EXHAUSTED,
                f"SERVER: Received message larger than max ({size} vs. {self.max_message_bytes})",
            )
        if type(request) is info.request_class or handler.request_deserializer is None:
            return request
        return handler.request_deserializer(request.SerializeToString())

    def _response(
        self,
        handler: grpc.RpcMethodHandler,
        response: Any,
        response_class: type[Message],
        keep_framed: bool = False,
    ) -> Any:
        """The handler's response as a ``response_class`` message (or, with
        ``keep_framed``, a :class:`Framed` one of that class as it is)."""
        limit = self.max_response_bytes
        if type(response) is Framed:
            size = len(response.data)
            if response.cls is not response_class:
                response = response_class.FromString(response.data)
            elif not keep_framed:
                response = response.message
        elif type(response) is response_class:
            size = response.ByteSize() if limit is not None else 0
        else:
            serialize = handler.response_serializer or _serialize
            data = serialize(response)
            size = len(data)
            response = response_class.FromString(data)
        if limit is not None and size > limit:
            raise status(
                code_pb2.RESOURCE_EXHAUSTED,
                f"CLIENT: Received message larger than max ({size} vs. {limit})",
            )
        return response

    async def unary(
        self,
        method: str,
        request: Message,
        response_class: type[Message],
        metadata: Metadata,
        timeout: float | None,
    ) -> UnaryResult:
        md = tuple(metadata)
        handler, info = await self._handler(method, md)
        if handler.unary_unary is None:
            raise status(code_pb2.UNIMPLEMENTED, f"{method} is not a unary method")
        context = ServicerContext(md, timeout)
        message = self._request(handler, info, request)
        behavior: Any = handler.unary_unary
        work = behavior(message, context)
        if timeout is not None:
            work = within(timeout, work)
        try:
            # A task of its own, as in a gRPC server: what the handler sets in
            # context variables (the caller's identity) stays with this call.
            response = await asyncio.create_task(work)
        except GatewayError:
            raise
        except Exception as exc:
            raise context.failed(exc) from None
        error = context.error()
        if error is not None:
            raise error
        try:
            out = self._response(handler, response, response_class, keep_framed=True)
        except GatewayError:
            raise
        except Exception as exc:  # what the server's serialiser would have raised
            raise context.failed(exc) from None
        return UnaryResult(out, context.initial, context.trailing)

    def server_stream(
        self,
        method: str,
        request: Message,
        response_class: type[Message],
        metadata: Metadata,
        timeout: float | None,
    ) -> _Stream:
        return _Stream(self, method, request, response_class, tuple(metadata), timeout)


def _chain(
    interceptor: grpc.aio.ServerInterceptor,
    continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
) -> Callable[[grpc.HandlerCallDetails], Awaitable[Any]]:
    async def call(details: grpc.HandlerCallDetails) -> Any:
        return await interceptor.intercept_service(continuation, details)

    return call


def _serialize(message: Any) -> bytes:
    return bytes(message.SerializeToString())


_END = object()


class _Stream:
    """A server-streaming call: the handler runs in a task of its own (as it does
    in a gRPC server), its messages pass through a small buffer, and
    :meth:`cancel` cancels that task, as a client's cancel does."""

    def __init__(
        self,
        invoker: InProcessInvoker,
        method: str,
        request: Message,
        response_class: type[Message],
        metadata: tuple[Any, ...],
        timeout: float | None,
    ) -> None:
        self._invoker = invoker
        self._method = method
        self._request = request
        self._response_class = response_class
        self._metadata = metadata
        self._timeout = timeout
        self._queue: asyncio.Queue[Any] = asyncio.Queue(STREAM_BUFFER)
        self._task: asyncio.Task[None] | None = None
        self._context: ServicerContext | None = None
        self._cancelled = False

    async def initial_metadata(self) -> Metadata:
        return self._context.initial if self._context is not None else ()

    async def trailing_metadata(self) -> Metadata:
        return self._context.trailing if self._context is not None else ()

    def cancel(self) -> None:
        self._cancelled = True
        if self._context is not None:
            self._context._cancelled = True
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def fail(self, error: GatewayError) -> None:
        """Ends the call with ``error``: the handler is cancelled and what it had
        buffered is dropped (an SSE client resumes from the last event it got)."""
        self.cancel()
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(error)

    async def messages(self) -> AsyncIterator[Message]:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"inproc {self._method}")
            self._invoker._streams.add(self)
            self._task.add_done_callback(lambda _: self._invoker._streams.discard(self))
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            if isinstance(item, GatewayError):
                raise item
            yield item

    async def _run(self) -> None:
        try:
            if self._timeout is None:
                await self._produce()
            else:
                await within(self._timeout, self._produce())
            await self._queue.put(_END)
        except GatewayError as e:
            await self._queue.put(e)
        except Exception:  # an interceptor's own failure: the caller learns no more
            log.exception("in-process stream %s failed", self._method)
            await self._queue.put(status(code_pb2.INTERNAL, "internal error calling upstream"))

    async def _produce(self) -> None:
        invoker = self._invoker
        handler, info = await invoker._handler(self._method, self._metadata)
        if handler.unary_stream is None:
            raise status(code_pb2.UNIMPLEMENTED, f"{self._method} is not a streaming method")

        async def put(message: Any) -> None:
            await self._queue.put(invoker._response(handler, message, self._response_class))

        context = ServicerContext(self._metadata, self._timeout, put)
        context._cancelled = self._cancelled
        self._context = context
        message = invoker._request(handler, info, self._request)
        behavior: Any = handler.unary_stream
        try:
            result = behavior(message, context)
            if hasattr(result, "__aiter__"):
                async for item in result:
                    await put(item)
            else:
                await result
        except GatewayError:
            raise
        except Exception as exc:
            raise context.failed(exc) from None
        error = context.error()
        if error is not None:
            raise error
