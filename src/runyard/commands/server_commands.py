"""`runyard serve`, `migrate`, `rebuild-rollups` and `gateway`: running the service."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import Any

DATABASE_HELP = (
    "sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
    "(default: $RUNYARD_DATABASE_URL, else sqlite:///runyard.db)"
)

# Shared by `serve` and `gateway`, which answer unknown input alike.
UNKNOWN_FIELDS_HELP = (
    "HTTP: skip unknown query parameters, JSON fields and enum names instead of "
    "answering 400 (for clients built against a newer API)"
)


def register(sub: Any) -> None:
    _add_serve(sub)
    migrate = sub.add_parser("migrate", help="apply database migrations and exit")
    migrate.add_argument("--database-url", help=DATABASE_HELP)
    migrate.set_defaults(func=_migrate)

    rebuild = sub.add_parser("rebuild-rollups", help="recompute the run rollups from the runs")
    rebuild.add_argument("--database-url", help=DATABASE_HELP)
    rebuild.set_defaults(func=_rebuild)
    _add_gateway(sub)


def _add_serve(sub: Any) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve the gRPC API and the HTTP/JSON gateway",
        description="Serve runyard's gRPC API (with reflection and health) and, in the "
        "same process, its HTTP/JSON gateway.",
    )
    serve.add_argument("--database-url", help=DATABASE_HELP)
    serve.add_argument(
        "--grpc-address",
        default="127.0.0.1:50051",
        metavar="HOST:PORT",
        help="gRPC listen address (default: 127.0.0.1:50051; port 0 picks a free one)",
    )
    serve.add_argument(
        "--http-address",
        default="127.0.0.1:8080",
        metavar="HOST:PORT",
        help="HTTP gateway listen address (default: 127.0.0.1:8080; 'none' disables it)",
    )
    _add_http_server(serve)
    serve.add_argument(
        "--demo",
        action="store_true",
        help="load the demo organization (organizations/demo) when the store is empty",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="server processes sharing both ports (SO_REUSEPORT), supervised by this one; "
        "one per core uses the machine (default: 1, a single process)",
    )
    _add_serve_access(serve)
    _add_serve_tuning(serve)
    serve.set_defaults(func=_serve)


def _add_serve_access(serve: Any) -> None:
    """Who may call, how often, and the demo's token."""
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="DEVELOPMENT ONLY: accept every call without a token, recorded as 'anonymous' "
        "(a warning is logged at start-up and on every request line)",
    )
    serve.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="ROLE=RATE[/BURST]",
        help="requests per second (and burst) per token of ROLE (viewer, operator, runner, "
        "admin or all); repeatable. Defaults: 50/100 for people, 200/400 for runners",
    )
    serve.add_argument(
        "--demo-token-file",
        default="runyard-demo-token",
        metavar="PATH",
        help="with --demo: where the demo admin token's secret is kept "
        "(default: ./runyard-demo-token)",
    )


def _add_serve_tuning(serve: Any) -> None:
    """Timings and leniency with defaults that rarely need changing."""
    serve.add_argument(
        "--operation-lease",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long another server waits before resuming an operation whose "
        "server stopped renewing it (default: 30)",
    )
    serve.add_argument(
        "--retention-interval",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="how often each workspace's run_retention and archive_retention are "
        "applied, as archive and purge operations (default: 3600; 0 turns it off)",
    )
    serve.add_argument(
        "--no-inline-reads",
        dest="inline_reads",
        action="store_false",
        help="always run reads on the store's threads; by default a SQLite read known "
        "to be quick runs on the event loop when no other call is being served, and "
        "PostgreSQL's GetRun and ListRuns are awaited on the event loop",
    )
    serve.add_argument(
        "--stream-heartbeat",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="seconds of quiet after which a watch stream sends a heartbeat (default: 15)",
    )
    serve.add_argument(
        "--allow-unknown-fields",
        action="store_true",
        help=UNKNOWN_FIELDS_HELP,
    )


def _add_http_server(parser: Any) -> None:
    from runyard.gateway.http_options import add_http_arguments

    add_http_arguments(parser.add_argument_group("HTTP server"))


def _add_gateway(sub: Any) -> None:
    gw = sub.add_parser(
        "gateway",
        help="serve the HTTP/JSON gateway in front of any gRPC server (learns it by reflection)",
    )
    gw.add_argument("--upstream", required=True, metavar="HOST:PORT", help="the gRPC server")
    gw.add_argument(
        "--http-address",
        default="127.0.0.1:8080",
        metavar="HOST:PORT",
        help="HTTP listen address (default: 127.0.0.1:8080)",
    )
    _add_http_server(gw)
    gw.add_argument(
        "--allow-unknown-fields",
        action="store_true",
        help=UNKNOWN_FIELDS_HELP,
    )
    gw.add_argument(
        "--bearer-auth",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="declare runyard's bearer token scheme in /openapi.json, as `serve` does "
        "(default: on)",
    )
    gw.set_defaults(func=_gateway)


def rate_limits(values: list[str]) -> dict[int, Any]:
    """`ROLE=RATE[/BURST]` options as a role -> Limit map."""
    from runyard.auth.ratelimit import Limit
    from runyard.v1 import token_pb2

    roles = {r.lower(): v for r, v in token_pb2.Token.Role.items() if v}
    limits: dict[int, Any] = {}
    for value in values:
        role, _, limit_text = value.partition("=")
        role = role.strip().lower()
        if role != "all" and role not in roles:
            raise SystemExit(f"--rate-limit: unknown role {role!r} in {value!r}")
        try:
            limit = Limit.parse(limit_text)
        except ValueError:
            raise SystemExit(f"--rate-limit: expected ROLE=RATE[/BURST], got {value!r}") from None
        for name, number in roles.items():
            if role in ("all", name):
                limits[number] = limit
    return limits


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 256, got {text!r}")
    return value


def _serve(args: argparse.Namespace) -> int:
    from runyard.gateway.http_options import http_options
    from runyard.server import serve
    from runyard.settings import Settings

    http = None if args.http_address.lower() == "none" else args.http_address
    settings = Settings(
        args.database_url,
        args.grpc_address,
        http,
        args.demo,
        insecure_no_auth=args.insecure_no_auth,
        rate_limits=rate_limits(args.rate_limit),
        demo_token_file=args.demo_token_file,
        operation_lease_seconds=args.operation_lease,
        retention_interval_seconds=max(0.0, args.retention_interval),
        allow_unknown_fields=args.allow_unknown_fields,
        http_options=http_options(args),
    )
    settings.heartbeat_seconds = max(0.05, args.stream_heartbeat)
    settings.inline_reads = args.inline_reads
    if args.workers > 1:
        from runyard.supervisor import run_workers

        return run_workers(settings, args.workers, args.log_level, args.log_format)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from runyard.store.engine import resolve_url
    from runyard.store.sql import open_store

    open_store(resolve_url(args.database_url)).close()
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    from runyard.store.engine import resolve_url
    from runyard.store.sql import open_store

    store = open_store(resolve_url(args.database_url))
    print(f"rollups rebuilt from {store.rebuild_rollups():,} runs")
    store.close()
    return 0


def _gateway(args: argparse.Namespace) -> int:
    from runyard import gateway
    from runyard.api.streams_http import cli_flags
    from runyard.api.validation import schema_limits
    from runyard.gateway.http_options import http_argv, http_options
    from runyard.server import BEARER_SCHEME, descriptor_set_path

    return int(
        gateway.cli_main(
            [
                "--upstream",
                args.upstream,
                "--http-address",
                args.http_address,
                *http_argv(http_options(args)),
                # The same error domain as the in-process gateway: both answer alike.
                "--error-domain",
                "runyard.dev",
                # runyard's streams resume over Server-Sent Events like in-process.
                *cli_flags(),
                *(["--allow-unknown-fields"] if args.allow_unknown_fields else []),
                "--bearer-auth" if args.bearer_auth else "--no-bearer-auth",
                # runyard's comments for the OpenAPI document (reflection has none)
                "--descriptor-set",
                str(descriptor_set_path()),
            ],
            field_constraints=schema_limits,  # runyard's limits in the document
            security_schemes=BEARER_SCHEME,  # the same scheme as the in-process document
        )
        or 0
    )
