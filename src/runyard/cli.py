"""The `runyard` command: argument parsing only."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence

from runyard import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runyard",
        description="runyard: a run ledger and lifecycle control plane for automations.",
    )
    parser.add_argument("--version", action="version", version=f"runyard {__version__}")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging verbosity (default: INFO)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="serve the gRPC API and the HTTP/JSON gateway",
        description="Serve runyard's gRPC API (with reflection and health) and, in the "
        "same process, its HTTP/JSON gateway.",
    )
    serve.add_argument(
        "--database-url",
        help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
        "(default: $RUNYARD_DATABASE_URL, else sqlite:///runyard.db)",
    )
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
    serve.add_argument(
        "--demo",
        action="store_true",
        help="load the demo organization (organizations/demo) when the store is empty",
    )

    migrate = sub.add_parser("migrate", help="apply database migrations and exit")
    migrate.add_argument("--database-url", help="as for serve")

    rebuild = sub.add_parser("rebuild-rollups", help="recompute the run rollups from the runs")
    rebuild.add_argument("--database-url", help="as for serve")

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic narrates every plugin at INFO; its migration lines are what matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if args.command == "serve":
        from runyard.server import Settings, serve

        http = None if args.http_address.lower() == "none" else args.http_address
        settings = Settings(args.database_url, args.grpc_address, http, args.demo)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(settings))
        return 0
    if args.command == "migrate":
        from runyard.store.engine import resolve_url
        from runyard.store.sql import SqlStore

        SqlStore(resolve_url(args.database_url)).close()
        return 0
    if args.command == "rebuild-rollups":
        from runyard.store.engine import resolve_url
        from runyard.store.sql import SqlStore

        store = SqlStore(resolve_url(args.database_url))
        print(f"rollups rebuilt from {store.rebuild_rollups():,} runs")
        store.close()
        return 0
    if args.command == "gateway":
        from runyard import gateway

        return int(
            gateway.cli_main(
                [
                    "--upstream",
                    args.upstream,
                    "--http-address",
                    args.http_address,
                    # The same error domain as the in-process gateway: both answer alike.
                    "--error-domain",
                    "runyard.dev",
                ]
            )
            or 0
        )
    return 2


if __name__ == "__main__":
    sys.exit(main())
