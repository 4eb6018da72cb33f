"""``runyard gateway``: the stand-alone gateway in front of any gRPC server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import grpc

from .app import create_app
from .http_options import HttpServerOptions, add_http_arguments, http_options
from .observe import Observer
from .openapi import Constraints
from .reflection import load_files
from .server import serve_http
from .sse import ResumeRule, ResumeRules

__all__ = ["BEARER", "cli_main", "run_gateway", "split_address"]

# The OpenAPI security scheme of `--bearer-auth` when the caller gives none of its own.
BEARER: dict[str, Any] = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer"}
}

log = logging.getLogger("runyard.gateway")


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


async def run_gateway(
    upstream: str,
    http_address: str,
    *,
    emit_unpopulated: bool = False,
    allow_unknown_fields: bool = False,
    descriptor_set: str | None = None,
    field_constraints: Constraints | None = None,
    error_domain: str = "gateway",
    stop: asyncio.Event | None = None,
    sse_resume: ResumeRules | None = None,
    security_schemes: Mapping[str, Any] | None = None,
    http: HttpServerOptions | None = None,
) -> None:
    """Learns ``upstream`` by reflection and serves it until ``stop`` is set (or
    SIGINT/SIGTERM when no event is given); ``security_schemes`` are declared in
    the OpenAPI document and required by every operation."""
    channel = grpc.aio.insecure_channel(upstream)
    try:
        files = await load_files(channel)
        app = create_app(
            channel,
            files,
            emit_unpopulated=emit_unpopulated,
            strict_query=not allow_unknown_fields,
            ignore_unknown_body_fields=allow_unknown_fields,
            error_domain=error_domain,
            comments=_comments(descriptor_set),
            field_constraints=field_constraints,
            sse_resume=sse_resume,
            security_schemes=security_schemes,
        )
        log.info("gateway: %d HTTP routes from %s", len(app.bindings), upstream)
        host, port = split_address(http_address)
        server = await serve_http(
            Observer(app, health=_upstream_health(channel)),
            host,
            port,
            error_domain=error_domain,
            **(http or HttpServerOptions()).as_kwargs(),
        )
        log.info("gateway listening on %s:%d", host, server.port)
        if stop is None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.close()
    finally:
        await channel.close(None)


def _comments(descriptor_set: str | None) -> dict[str, str]:
    if not descriptor_set:
        return {}
    from pathlib import Path

    from .comments import read_comments

    return read_comments(Path(descriptor_set).read_bytes())


def _upstream_health(channel: grpc.aio.Channel) -> Callable[[], Awaitable[bool]]:
    """GET /healthz of the stand-alone gateway: the upstream's gRPC health (or, if it
    has no health service, that it answers at all)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(channel)

    async def healthy() -> bool:
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.aio.AioRpcError as e:
            return e.code() == grpc.StatusCode.UNIMPLEMENTED
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    return healthy


def cli_main(
    argv: Sequence[str] | None = None,
    *,
    field_constraints: Constraints | None = None,
    security_schemes: Mapping[str, Any] | None = None,
) -> int:
    """``runyard gateway --upstream HOST:PORT --http-address HOST:PORT``;
    ``security_schemes`` replace the plain bearer scheme of ``--bearer-auth``."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        rules = parse_resume_rules(args.sse_resume)
    except ValueError as exc:
        parser.error(str(exc))
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run_gateway(
                args.upstream,
                args.http_address,
                emit_unpopulated=args.emit_unpopulated,
                allow_unknown_fields=args.allow_unknown_fields,
                descriptor_set=args.descriptor_set,
                field_constraints=field_constraints,
                error_domain=args.error_domain,
                sse_resume=rules,
                security_schemes=(security_schemes or BEARER) if args.bearer_auth else None,
                http=http_options(args),
            )
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runyard gateway")
    parser.add_argument("--upstream", required=True, metavar="HOST:PORT")
    parser.add_argument("--http-address", default="127.0.0.1:8080", metavar="HOST:PORT")
    add_http_arguments(parser)
    parser.add_argument(
        "--emit-unpopulated",
        action="store_true",
        help="print fields with default values in responses",
    )
    parser.add_argument(
        "--allow-unknown-fields",
        action="store_true",
        help="skip unknown query parameters, JSON fields and enum names (default: 400)",
    )
    parser.add_argument(
        "--descriptor-set",
        metavar="PATH",
        help="a FileDescriptorSet built with --include_source_info: its comments "
        "describe the OpenAPI document's operations and fields",
    )
    parser.add_argument(
        "--bearer-auth",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="declare an HTTP bearer security scheme in the OpenAPI document, required by "
        "every operation (default: on; the gateway forwards Authorization either way)",
    )
    # Unknown query parameters are refused by default now; kept so old scripts run.
    parser.add_argument("--strict-query", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--error-domain",
        default="gateway",
        help="ErrorInfo domain of the gateway's own errors (default: gateway)",
    )
    parser.add_argument(
        "--sse-resume",
        action="append",
        default=[],
        metavar="/PKG.SERVICE/METHOD=REQUEST_FIELD:RESPONSE.PATH",
        help="how a streaming method resumes over Server-Sent Events: the request field "
        "Last-Event-ID goes into and the response field that is each event's id (repeatable)",
    )
    return parser


def parse_resume_rules(specs: Sequence[str]) -> dict[str, ResumeRule]:
    """``/pkg.Service/Method=request_field:response.path`` → rules by method."""
    rules: dict[str, ResumeRule] = {}
    for spec in specs:
        method, sep, rest = spec.partition("=")
        field, sep2, path = rest.partition(":")
        if not (sep and sep2 and method.startswith("/") and field and path):
            raise ValueError(f"--sse-resume {spec!r}: expected /pkg.Service/Method=field:path")
        rules[method] = ResumeRule(field, path)
    return rules
