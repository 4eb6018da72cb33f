"""HTTP/JSON → gRPC transcoding driven by google.api.http rules.

Generic: it reads service descriptors and their rules and nothing else, so it
fronts runyard in-process or any gRPC server stand-alone (learning it through
server reflection). Modules, one job each:

- :mod:`.httprule` — path templates: parse, compile into a router, match
- :mod:`.routes` — bindings from descriptors and their google.api.http rules
- :mod:`.request` — path, query and body → request message
- :mod:`.response` — response message → JSON, HttpBody or NDJSON stream
- :mod:`.errors` — google.rpc.Status ↔ HTTP (code table, problem+json)
- :mod:`.metadata` — headers ↔ gRPC metadata, Grpc-Timeout
- :mod:`.invoker` — the call seam (a grpc.aio channel by default)
- :mod:`.inprocess` — the same seam over a grpc.aio server's own handlers
- :mod:`.openapi`, :mod:`.docs` — /openapi.json and /docs
- :mod:`.reflection` — descriptors from an upstream's server reflection
- :mod:`.app` — the ASGI app; :mod:`.server` — serving it in the running loop
- :mod:`.jsoncodec` — the proto3 JSON codec
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["GatewayApp", "cli_main", "create_app", "load_files", "serve_http"]

if TYPE_CHECKING:
    from .app import GatewayApp, create_app
    from .cli import cli_main
    from .reflection import load_files
    from .server import serve_http


def __getattr__(name: str) -> Any:
    # Lazy: importing runyard.gateway.jsoncodec alone must not pull in grpc and granian.
    if name in ("GatewayApp", "create_app"):
        from . import app

        return getattr(app, name)
    if name == "cli_main":
        from .cli import cli_main

        return cli_main
    if name == "load_files":
        from .reflection import load_files

        return load_files
    if name == "serve_http":
        from .server import serve_http

        return serve_http
    raise AttributeError(name)
