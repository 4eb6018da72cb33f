"""The HTTP server's options, shared by ``runyard serve`` and ``runyard gateway``
(``--http-server``, ``--http-max-connections``, ``--http-idle-timeout``,
``--http-header-timeout``, ``--http-body-timeout``); documented in docs/gateway.md."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

__all__ = ["HttpServerOptions", "add_http_arguments", "http_argv", "http_options"]


@dataclass(frozen=True)
class HttpServerOptions:
    server: str = "runyard"
    max_connections: int = 16_384
    idle_timeout: float = 60.0
    header_read_timeout: float = 10.0
    body_read_timeout: float = 30.0

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "max_connections": self.max_connections,
            "idle_timeout": self.idle_timeout,
            "header_read_timeout": self.header_read_timeout,
            "body_read_timeout": self.body_read_timeout,
        }


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
        return value

    return parse


def add_http_arguments(parser: Any) -> None:
    d = HttpServerOptions()
    parser.add_argument(
        "--http-server",
        choices=("runyard", "granian"),
        default=d.server,
        help="the HTTP/1.1 server: runyard's own (default: idle and head timeouts, sheds "
        "idle connections at the cap, Status bodies for every error) or granian's "
        "(no idle timeout, no shedding, empty-bodied errors of its own)",
    )
    parser.add_argument(
        "--http-max-connections",
        type=_positive(int),
        default=d.max_connections,
        metavar="N",
        help=f"HTTP connections open at once; beyond, the longest-waiting idle one is "
        f"closed (default: {d.max_connections:,})",
    )
    parser.add_argument(
        "--http-idle-timeout",
        type=_positive(float),
        default=d.idle_timeout,
        metavar="SECONDS",
        help=f"close a keep-alive HTTP connection after this long without a request "
        f"(default: {d.idle_timeout:g})",
    )
    parser.add_argument(
        "--http-header-timeout",
        type=_positive(float),
        default=d.header_read_timeout,
        metavar="SECONDS",
        help=f"a request's line and headers must arrive within this long, else 408 "
        f"(default: {d.header_read_timeout:g})",
    )
    parser.add_argument(
        "--http-body-timeout",
        type=_positive(float),
        default=d.body_read_timeout,
        metavar="SECONDS",
        help=f"while the server waits for more of a request's body, the next bytes must "
        f"arrive within this long, else 408 (default: {d.body_read_timeout:g})",
    )


def http_options(args: argparse.Namespace) -> HttpServerOptions:
    return HttpServerOptions(
        server=args.http_server,
        max_connections=args.http_max_connections,
        idle_timeout=args.http_idle_timeout,
        header_read_timeout=args.http_header_timeout,
        body_read_timeout=args.http_body_timeout,
    )


def http_argv(options: HttpServerOptions) -> list[str]:
    """``options`` as the command-line flags :func:`add_http_arguments` reads."""
    return [
        f"--http-server={options.server}",
        f"--http-max-connections={options.max_connections}",
        f"--http-idle-timeout={options.idle_timeout}",
        f"--http-header-timeout={options.header_read_timeout}",
        f"--http-body-timeout={options.body_read_timeout}",
    ]
