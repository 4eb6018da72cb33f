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
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import grpc
import orjson
from google.protobuf.descriptor import FileDescriptor
from google.rpc import code_pb2

from . import docs as docs_page
from . import openapi, sse, streaming, viewer
from .asgi import HeadDone, Receive, Scope, Send, respond, without_body
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


DEFAULT_MAX_BODY = 4 * 1024 * 1024
# Below the HTTP server's own limits (64 KiB URI, 100 headers; both servers), so
# that the gateway refuses first, whichever server runs it.
MAX_URI_BYTES = 16 * 1024
MAX_HEADERS = 64
MAX_HEADER_BYTES = 32 * 1024


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
        strict_query: bool = True,
        ignore_unknown_body_fields: bool = False,
        static: StaticSite | None = None,
        error_domain: str = "gateway",
        max_body_bytes: int = DEFAULT_MAX_BODY,
        title: str = "API",
        security_schemes: Mapping[str, Any] | None = None,
        comments: Mapping[str, str] | None = None,
        field_constraints: openapi.Constraints | None = None,
        sse_resume: sse.ResumeRules | None = None,
    ) -> None:
        self.invoker = invoker
        self.security_schemes = dict(security_schemes or {})
        self.comments = dict(comments or {})
        self.field_constraints = field_constraints
        self.ignore_unknown_body_fields = ignore_unknown_body_fields
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
            self.bindings,
            title=self.title,
            security_schemes=self.security_schemes,
            comments=self.comments,
            closed=not self.ignore_unknown_body_fields,
            constraints=self.field_constraints,
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
        if method == "HEAD":
            # RFC 9110: HEAD wherever GET works, same headers, no body.
            send = without_body(send)
        try:
            self._check_sizes(scope, path)
            route, values = self._route(method, path)
            if route is None:
                if not await self._document(method, path, send):
                    raise self._not_found(method, path)
                return
            # For an observer around the app (runyard.gateway.observe): the route.
            scope["gateway.route"] = f"{route.binding.http_method} {route.binding.template.source}"
            await self._invoke(route, values, scope, receive, send, accept, path)
        except GatewayError as e:
            if not scope.get("gateway.forwarded"):  # refused here, not upstream
                scope["gateway.rejected"] = e.status.message
            await self._error(send, e, accept, path)
        except HeadDone:
            pass
        except OSError:  # ASGI servers' "the client went away": no one to answer
            pass
        except Exception:
            log.exception("gateway failure on %s %s", method, path)
            await self._error(send, GatewayError(_internal()), accept, path)

    def _check_sizes(self, scope: Scope, path: str) -> None:
        """414/431 as google.rpc.Status below the HTTP server's own limits (runyard's
        server answers past them with a Status too; granian with an empty body)."""
        uri = len(path) + len(scope.get("query_string", b""))
        if uri > MAX_URI_BYTES:
            raise gateway_error(
                code_pb2.INVALID_ARGUMENT,
                f"request URI of {uri:,} bytes; at most {MAX_URI_BYTES:,} are accepted",
                "URI_TOO_LONG",
                self.domain,
                http_status=414,
            )
        headers = scope["headers"]
        size = sum(len(k) + len(v) for k, v in headers)
        if len(headers) > MAX_HEADERS or size > MAX_HEADER_BYTES:
            raise gateway_error(
                code_pb2.INVALID_ARGUMENT,
                f"{len(headers)} request headers of {size:,} bytes; at most {MAX_HEADERS} "
                f"headers of {MAX_HEADER_BYTES:,} bytes are accepted",
                "HEADERS_TOO_LARGE",
                self.domain,
                http_status=431,
            )

    def _route(self, method: str, path: str) -> tuple[_Route | None, dict[Any, str]]:
        """The route of ``method path`` and its path values; ``None`` for the
        documents and, when there is one, the static site (which may still 404).
        Raises GatewayError 404/405/400 otherwise."""
        lookup = "GET" if method == "HEAD" else method
        try:
            found = self.router.lookup(lookup, path)
        except PathDecodeError as e:
            raise gateway_error(
                code_pb2.INVALID_ARGUMENT, str(e), "INVALID_PATH", self.domain
            ) from None
        if found is not None and not isinstance(found, list):
            return self._routes[id(found.target)], found.values
        if lookup == "GET" and (path in ("/openapi.json", "/docs") or path in viewer.PATHS):
            return None, {}
        if found is None:
            if self.static is not None:
                return None, {}  # the static site's, or 404
            raise self._not_found(method, path)
        allow = ", ".join(sorted({*found, *(["HEAD"] if "GET" in found else [])}))
        raise gateway_error(
            code_pb2.UNIMPLEMENTED,
            f"method {method} not allowed; allowed: {allow}",
            "METHOD_NOT_ALLOWED",
            self.domain,
            http_status=405,
            headers=[("allow", allow)],
        )

    def _not_found(self, method: str, path: str) -> GatewayError:
        return gateway_error(
            code_pb2.NOT_FOUND,
            f"no HTTP rule matches {method} {path}",
            "ROUTE_NOT_FOUND",
            self.domain,
        )

    async def _invoke(
        self,
        route: _Route,
        values: dict[Any, str],
        scope: Scope,
        receive: Receive,
        send: Send,
        accept: str,
        path: str,
    ) -> None:
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
        request = route.builder.build(values, query, body, hdrs.content_type)
        scope["gateway.forwarded"] = True
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
        payload, content_type = route.encoder.body(result.payload)
        extra, code = response_headers(result.initial_metadata, result.trailing_metadata)
        await respond(send, code or 200, [("content-type", content_type), *extra], payload)

    async def _document(self, method: str, path: str, send: Send) -> bool:
        """Answers the documents, else a file of the static site; False for neither."""
        document = path in ("/openapi.json", "/docs") or path in viewer.PATHS
        if not document or method not in ("GET", "HEAD"):
            return self.static is not None and await self.static.respond(method, path, send)
        if path == "/openapi.json":
            ctype, body = "application/json", self._openapi_bytes()
        elif path == "/docs":
            ctype, body = "text/html; charset=utf-8", self._docs_bytes()
        else:
            ctype, body = viewer.asset(path, self.title)
        headers = [("content-type", ctype)]
        if path.startswith("/docs/swagger-ui/"):
            headers.append(("cache-control", "public, max-age=86400"))
        await respond(send, 200, headers, body)
        return True

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
        await respond(send, status, headers, body)

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

        async def refuse(err: GatewayError) -> None:
            await self._error(send, err, accept, path)

        rule = self.sse_resume.get(b.method_name)
        await streaming.relay(call, route.encoder, rule, accept, send, refuse)


def _internal() -> Any:
    from .errors import make_status

    return make_status(code_pb2.INTERNAL, "internal error")


def create_app(
    upstream: grpc.aio.Channel | None,
    files: Sequence[FileDescriptor],
    *,
    emit_unpopulated: bool = False,
    strict_query: bool = True,
    ignore_unknown_body_fields: bool = False,
    static: StaticSite | None = None,
    error_domain: str = "gateway",
    max_body_bytes: int = DEFAULT_MAX_BODY,
    title: str = "API",
    invoker: Invoker | None = None,
    security_schemes: Mapping[str, Any] | None = None,
    comments: Mapping[str, str] | None = None,
    field_constraints: openapi.Constraints | None = None,
    sse_resume: sse.ResumeRules | None = None,
) -> GatewayApp:
    """An ASGI app for every service in ``files`` that has google.api.http rules,
    and for the files of ``static`` at the paths no rule claims.

    Calls go to ``upstream`` (a ``grpc.aio`` channel) unless an ``invoker`` is
    given. ``security_schemes`` (OpenAPI Security Scheme objects by name) are
    declared in the document and required by every operation; ``comments``
    describe its operations and fields (:func:`~runyard.gateway.comments.read_comments`);
    ``field_constraints`` documents the server's limits of a field. ``sse_resume``
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
        comments=comments,
        field_constraints=field_constraints,
        sse_resume=sse_resume,
    )
