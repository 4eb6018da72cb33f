"""The ASGI application: route → build request → invoke → respond.

Everything that goes wrong leaves as a google.rpc.Status (see :mod:`.errors`):
no route 404 (NOT_FOUND), a path that exists for other methods 405 with
``Allow`` (UNIMPLEMENTED in the body, as grpc-gateway's code), bad path, query,
body or headers 400 (INVALID_ARGUMENT with a BadRequest violation), a body over
the limit 413, an unexpected failure inside the gateway 500 without details.
``GET /openapi.json`` and ``GET /docs`` serve the generated OpenAPI document
and its HTML page; routes from the rules take precedence over both.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import grpc
import orjson
from google.protobuf.descriptor import FileDescriptor
from google.rpc import code_pb2

from . import docs as docs_page
from . import openapi, sse
from .errors import GatewayError, error_response, gateway_error
from .httprule import PathDecodeError
from .invoker import ChannelInvoker, Invoker
from .metadata import HeaderError, metadata_from_headers, response_headers
from .request import RequestBuilder, ValueError400, parse_query
from .response import ResponseEncoder
from .routes import Binding, build_router, read_bindings
from .static import StaticSite

__all__ = ["GatewayApp", "create_app"]

log = logging.getLogger("runyard.gateway")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

DEFAULT_MAX_BODY = 4 * 1024 * 1024


class _Route:
    __slots__ = ("binding", "builder", "encoder")

    def __init__(self, binding: Binding, builder: RequestBuilder, encoder: ResponseEncoder) -> None:
        self.binding = binding
        self.builder = builder
        self.encoder = encoder


class GatewayApp:
    """An ASGI app transcoding HTTP/JSON to the gRPC methods of ``bindings``."""

    def __init__(
        self,
        invoker: Invoker,
        bindings: Sequence[Binding],
        *,
        emit_unpopulated: bool = False,
        strict_query: bool = False,
        ignore_unknown_body_fields: bool = True,
        static: StaticSite | None = None,
        error_domain: str = "gateway",
        max_body_bytes: int = DEFAULT_MAX_BODY,
        title: str = "API",
        security_schemes: Mapping[str, Any] | None = None,
        sse_resume: sse.ResumeRules | None = None,
    ) -> None:
        self.invoker = invoker
        self.security_schemes = dict(security_schemes or {})
        self.sse_resume = dict(sse_resume or {})
        self.bindings = list(bindings)
        self.domain = error_domain
        self.max_body_bytes = max_body_bytes
        self.title = title
        self.static = static
        routes = [
            _Route(
                b,
                RequestBuilder(
                    b,
                    domain=error_domain,
                    strict_query=strict_query,
                    ignore_unknown_body_fields=ignore_unknown_body_fields,
                ),
                ResponseEncoder(b, emit_unpopulated=emit_unpopulated),
            )
            for b in self.bindings
        ]
        self.router = build_router(r.binding for r in routes)
        self._routes = {id(r.binding): r for r in routes}
        self._openapi: bytes | None = None
        self._docs: bytes | None = None

    # -- documents -------------------------------------------------------------------

    def openapi_document(self) -> dict[str, Any]:
        return openapi.build_document(
            self.bindings, title=self.title, security_schemes=self.security_schemes
        )

    def _openapi_bytes(self) -> bytes:
        if self._openapi is None:
            self._openapi = orjson.dumps(self.openapi_document())
        return self._openapi

    def _docs_bytes(self) -> bytes:
        if self._docs is None:
            self._docs = docs_page.render(self.openapi_document()).encode()
        return self._docs

    # -- ASGI ------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        raw = scope.get("raw_path")
        path = raw.decode("latin-1") if raw else quote(scope["path"], safe="/:@!$&'()*+,;=")
        accept = ""
        for k, v in scope["headers"]:
            if k == b"accept":
                accept = v.decode("latin-1")
        try:
            try:
                found = self.router.lookup(method, path)
            except PathDecodeError as e:
                raise gateway_error(
                    code_pb2.INVALID_ARGUMENT, str(e), "INVALID_PATH", self.domain
                ) from None
            if found is None or isinstance(found, list):
                if method == "GET" and path in ("/openapi.json", "/docs"):
                    await self._document(path, send)
                    return
                if found is None and self.static and await self.static.respond(method, path, send):
                    return
                if found is None:
                    raise gateway_error(
                        code_pb2.NOT_FOUND,
                        f"no HTTP rule matches {method} {path}",
                        "ROUTE_NOT_FOUND",
                        self.domain,
                    )
                allow = ", ".join(found)
                raise gateway_error(
                    code_pb2.UNIMPLEMENTED,
                    f"method {method} not allowed; allowed: {allow}",
                    "METHOD_NOT_ALLOWED",
                    self.domain,
                    http_status=405,
                    headers=[("allow", allow)],
                )
            route = self._routes[id(found.target)]
            client = scope.get("client")
            try:
                hdrs = metadata_from_headers(scope["headers"], client[0] if client else None)
            except HeaderError as e:
                raise gateway_error(
                    code_pb2.INVALID_ARGUMENT, str(e), "INVALID_HEADER", self.domain
                ) from None
            body = await self._read_body(receive)
            try:
                query = parse_query(scope.get("query_string", b""))
            except ValueError400 as e:
                raise gateway_error(
                    code_pb2.INVALID_ARGUMENT,
                    f"invalid query string: {e}",
                    "INVALID_QUERY_PARAMETER",
                    self.domain,
                ) from None
            request = route.builder.build(found.values, query, body, hdrs.content_type)
            b = route.binding
            if b.server_streaming:
                if sse.wants_sse(accept):
                    resume = sse.last_event_id(scope["headers"]) or ""
                    rule = self.sse_resume.get(b.method_name)
                    sse.apply_last_event_id(request, rule, resume, self.domain)
                await self._stream(route, request, hdrs.metadata, hdrs.timeout, accept, path, send)
                return
            result = await self.invoker.unary(
                b.method_name, request, b.response_class, hdrs.metadata, hdrs.timeout
            )
            payload, content_type = route.encoder.body(result.response)
            extra, code = response_headers(result.initial_metadata, result.trailing_metadata)
            await _respond(send, code or 200, [("content-type", content_type), *extra], payload)
        except GatewayError as e:
            await self._error(send, e, accept, path)
        except Exception:
            log.exception("gateway failure on %s %s", method, path)
            await self._error(
                send,
                GatewayError(_internal()),
                accept,
                path,
            )

    async def _document(self, path: str, send: Send) -> None:
        if path == "/openapi.json":
            await _respond(send, 200, [("content-type", "application/json")], self._openapi_bytes())
        else:
            await _respond(
                send, 200, [("content-type", "text/html; charset=utf-8")], self._docs_bytes()
            )

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            event = await receive()
            if event["type"] == "http.disconnect":
                break
            chunk = event.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise gateway_error(
                        code_pb2.INVALID_ARGUMENT,
                        f"request body larger than {self.max_body_bytes} bytes",
                        "REQUEST_TOO_LARGE",
                        self.domain,
                        http_status=413,
                    )
                chunks.append(chunk)
            if not event.get("more_body", False):
                break
        return b"".join(chunks)

    async def _error(self, send: Send, err: GatewayError, accept: str, path: str) -> None:
        status, headers, body = error_response(err, accept=accept, instance=path)
        await _respond(send, status, headers, body)

    async def _stream(
        self,
        route: _Route,
        request: Any,
        metadata: Any,
        timeout: float | None,
        accept: str,
        path: str,
        send: Send,
    ) -> None:
        b = route.binding
        call = self.invoker.server_stream(
            b.method_name, request, b.response_class, metadata, timeout
        )
        messages = call.messages().__aiter__()
        started = False
        try:
            # Headers wait for the first message (or the end), so that an error
            # before it still gets its own HTTP status.
            try:
                first = await messages.__anext__()
            except StopAsyncIteration:
                first = None
            initial = await call.initial_metadata()
            extra, _ = response_headers(initial, None)
            if sse.wants_sse(accept):
                started = True
                rule = self.sse_resume.get(b.method_name)
                emit = route.encoder.emit_unpopulated
                await sse.stream(
                    send, messages, first, _encode_headers(extra), rule, emit_unpopulated=emit
                )
                return
            ctype = route.encoder.stream_content_type(first)
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": _encode_headers([("content-type", ctype), *extra]),
                }
            )
            started = True
            if first is not None:
                await send(
                    {
                        "type": "http.response.body",
                        "body": route.encoder.stream_line(first),
                        "more_body": True,
                    }
                )
                try:
                    async for msg in messages:
                        await send(
                            {
                                "type": "http.response.body",
                                "body": route.encoder.stream_line(msg),
                                "more_body": True,
                            }
                        )
                except GatewayError as e:
                    await send(
                        {
                            "type": "http.response.body",
                            "body": route.encoder.error_line(e),
                            "more_body": True,
                        }
                    )
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except GatewayError as e:
            if started:
                raise
            await self._error(send, e, accept, path)
        finally:
            call.cancel()


def _internal() -> Any:
    from .errors import make_status

    return make_status(code_pb2.INTERNAL, "internal error")


def _encode_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


async def _respond(
    send: Send, status: int, headers: Sequence[tuple[str, str]], body: bytes
) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": _encode_headers(headers)}
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def create_app(
    upstream: grpc.aio.Channel | None,
    files: Sequence[FileDescriptor],
    *,
    emit_unpopulated: bool = False,
    strict_query: bool = False,
    ignore_unknown_body_fields: bool = True,
    static: StaticSite | None = None,
    error_domain: str = "gateway",
    max_body_bytes: int = DEFAULT_MAX_BODY,
    title: str = "API",
    invoker: Invoker | None = None,
    security_schemes: Mapping[str, Any] | None = None,
    sse_resume: sse.ResumeRules | None = None,
) -> GatewayApp:
    """An ASGI app for every service in ``files`` that has google.api.http rules,
    and for the files of ``static`` at the paths no rule claims.

    Calls go to ``upstream`` (a ``grpc.aio`` channel) unless an ``invoker`` is
    given. ``security_schemes`` (OpenAPI Security Scheme objects by name) are
    declared in the document and required by every operation. ``sse_resume``
    names, per full method name, how a streaming method resumes over Server-Sent
    Events (:mod:`.sse`). Raises :class:`~runyard.gateway.routes.RuleError` for
    rules it cannot serve (duplicates included)."""
    if invoker is None:
        if upstream is None:
            raise ValueError("create_app needs an upstream channel or an invoker")
        invoker = ChannelInvoker(upstream)
    return GatewayApp(
        invoker,
        read_bindings(files),
        emit_unpopulated=emit_unpopulated,
        strict_query=strict_query,
        ignore_unknown_body_fields=ignore_unknown_body_fields,
        static=static,
        error_domain=error_domain,
        max_body_bytes=max_body_bytes,
        title=title,
        security_schemes=security_schemes,
        sse_resume=sse_resume,
    )
