"""The server interceptor: authentication, rate limits, request logging and
AIP-193 error mapping, for unary and server-streaming RPCs alike.

Every failure leaves as a google.rpc.Status with ErrorInfo. An ApiError is the
caller's business and goes out as it is; anything else is logged with its
traceback here and reaches the caller only as a bare INTERNAL. Before a
servicer runs, the caller is authenticated and authorized (runyard.auth), its
token's rate limit is charged, and the request is checked for NUL characters
(runyard.api.validation).

The gRPC server gets its handlers already wrapped (:class:`GatedServer`); the
in-process gateway chains the same gate as an interceptor.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, cast

import grpc
from google.protobuf.message import Message
from grpc_status import rpc_status

from runyard.aip.errors import ApiError, internal
from runyard.api.context import PRINCIPAL
from runyard.api.decoding import check_decoded, guarded
from runyard.api.threads import CALLS
from runyard.api.validation import check_request
from runyard.auth import policy
from runyard.auth.authenticator import Authenticator, Principal, authorize
from runyard.ops import rpc as ops_rpc

log = logging.getLogger("runyard.rpc")

Handler = grpc.RpcMethodHandler
Ctx = grpc.aio.ServicerContext[Any, Any]
Behavior = Callable[[Any, Ctx], Any]


async def _abort(context: Ctx, error: ApiError) -> None:
    await context.abort_with_status(  # type: ignore[attr-defined]
        rpc_status.to_status(error.to_status())
    )


class _CallInfo:
    """What the access log reads from a call's context, taken when the call starts:
    grpc.aio crashes the process (SIGSEGV in cygrpc) when peer() is read from the
    context of a server stream the client has already cancelled."""

    __slots__ = ("_metadata", "_peer")

    def __init__(self, context: Ctx) -> None:
        self._peer = context.peer()
        self._metadata = tuple(context.invocation_metadata() or ())

    def peer(self) -> str:
        return str(self._peer or "")

    def invocation_metadata(self) -> tuple[Any, ...]:
        return self._metadata


class _Call:
    """One call's gate and log line."""

    def __init__(self, gate: Gate, method: str, context: Ctx | None = None) -> None:
        self.gate = gate
        self.method = method
        # Taken only when the call's log line will be written.
        logged = context is not None and ops_rpc.logged(method)
        self.context = _CallInfo(context) if logged and context is not None else None
        self.started = time.perf_counter()
        self.code = "OK"
        self.principal = ""

    async def admit(self, request: Any, context: Ctx) -> None:
        check_decoded(request)
        principal = await self.gate.admit(self.method, request, context)
        if principal is not None:
            self.principal = principal.name
            PRINCIPAL.set(principal)
        if isinstance(request, Message):
            check_request(request)

    async def fail(self, context: Ctx, exc: BaseException) -> None:
        if isinstance(exc, ApiError):
            self.code = exc.code.name
            await _abort(context, exc)
        elif isinstance(exc, grpc.aio.AbortError):
            self.code = "ABORTED_BY_HANDLER"
            raise exc
        else:
            self.code = "INTERNAL"
            log.error("%s failed", self.method, exc_info=exc)
            await _abort(context, internal())

    def done(self) -> None:
        who = self.principal or ("insecure-no-auth" if self.gate.insecure else "-")
        ops_rpc.finished(
            self.method, self.code, time.perf_counter() - self.started, who, self.context
        )


class Gate:
    """Authentication and authorization for every RPC but the public ones.
    With no authenticator (`--insecure-no-auth`) everyone may do everything."""

    def __init__(self, authenticator: Authenticator | None) -> None:
        self.authenticator = authenticator

    @property
    def insecure(self) -> bool:
        return self.authenticator is None

    async def admit(self, method: str, request: Any, context: Ctx) -> Principal | None:
        if self.authenticator is None or policy.is_public(method):
            return None
        principal = await self.authenticator.authenticate(context.invocation_metadata() or ())
        self.authenticator.throttle(principal)
        authorize(principal, method, request)
        return principal


def _wrap_unary(gate: Gate, method: str, behavior: Behavior) -> Behavior:
    async def handle(request: Any, context: Ctx) -> Any:
        call = _Call(gate, method, context)
        CALLS.count += 1  # one event loop: no lock
        try:
            await call.admit(request, context)
            return await behavior(request, context)
        except Exception as exc:
            await call.fail(context, exc)
        finally:
            CALLS.count -= 1
            call.done()

    return handle


def _wrap_stream(gate: Gate, method: str, behavior: Behavior) -> Behavior:
    async def handle(request: Any, context: Ctx) -> AsyncIterator[Any]:
        call = _Call(gate, method, context)
        ops_rpc.stream_opened(method)
        try:
            await call.admit(request, context)
            result = behavior(request, context)
            if hasattr(result, "__aiter__"):
                async for item in result:
                    yield item
            else:
                await cast(Awaitable[Any], result)
        except Exception as exc:
            await call.fail(context, exc)
        finally:
            ops_rpc.stream_closed(method)
            call.done()

    return handle


class ErrorMappingInterceptor(grpc.aio.ServerInterceptor):
    """The gate as a grpc.aio interceptor (the in-process gateway chains it),
    and as handler wrappers applied once, when methods are registered
    (:class:`GatedServer`): a server-side interceptor costs grpc.aio two more
    coroutines and a partial on every call, to hand back the same wrapper."""

    def __init__(self, authenticator: Authenticator | None = None) -> None:
        self.gate = Gate(authenticator)
        # method -> (the servicer's handler, its wrapped handler): built once,
        # not on every call.
        self._wrapped: dict[str, tuple[Handler, Handler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        return self.wrap(handler_call_details.method, handler)

    def wrap(self, method: str, handler: Handler) -> Handler:
        """`handler` behind the gate (the same wrapper for the same handler)."""
        known = self._wrapped.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        wrapped = self._wrap(method, handler)
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    def _wrap(self, method: str, handler: Handler) -> Handler:
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(self.gate, method, cast(Behavior, handler.unary_unary)),
                request_deserializer=guarded(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(self.gate, method, cast(Behavior, handler.unary_stream)),
                request_deserializer=guarded(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        return handler


class _GatedGeneric(grpc.GenericRpcHandler):
    def __init__(self, inner: grpc.GenericRpcHandler, gate: ErrorMappingInterceptor) -> None:
        self.inner = inner
        self.gate = gate

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> Handler | None:
        handler = self.inner.service(handler_call_details)
        if handler is None:
            return None
        return self.gate.wrap(handler_call_details.method, handler)


class _MethodTable(grpc.GenericRpcHandler):
    """Every method the services declared, found by its full name in one dict."""

    def __init__(self) -> None:
        self.methods: dict[str, Handler] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> Handler | None:
        return self.methods.get(handler_call_details.method)


class GatedServer:
    """Stands in for a ``grpc.aio.Server`` while services are added: every
    handler reaches the server already behind `gate`, so the server needs no
    interceptor. The same calls see the same gate as before (public methods,
    health and reflection included); unknown methods still get grpc's own
    UNIMPLEMENTED, unlogged.

    With `one_table`, the services' methods reach grpc.aio as one generic
    handler, a dict, ahead of every other, not as registered methods: grpc.aio
    keeps a pending request per registered method and passes them all to
    `asyncio.wait` for every call it accepts (44 here: ~35 µs of the loop's
    time per call). The server uses it where reads run inline (SQLite); where
    they await the network on the loop (PostgreSQL) it measured slower at 16
    callers, so there they stay registered (docs/performance.md)."""

    def __init__(
        self, server: grpc.aio.Server, gate: ErrorMappingInterceptor, *, one_table: bool = True
    ) -> None:
        self.server = server
        self.gate = gate
        self._table = _MethodTable() if one_table else None
        if self._table is not None:
            server.add_generic_rpc_handlers((self._table,))

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self.server.add_generic_rpc_handlers(tuple(_GatedGeneric(h, self.gate) for h in handlers))

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Handler]) -> None:
        gated = {name: self.gate.wrap(f"/{service}/{name}", h) for name, h in handlers.items()}
        if self._table is None:
            self.server.add_registered_method_handlers(service, gated)  # type: ignore[attr-defined]
            return
        for name, wrapped in gated.items():
            self._table.methods[f"/{service}/{name}"] = wrapped
