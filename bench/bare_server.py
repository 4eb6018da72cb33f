"""The ceiling of a Python gRPC reply: a bare grpc.aio server that answers
runyard.v1.RunService/ListRuns (and any other method named with --reply) with
one precomputed, already serialized message.

No store, no interceptors, no request parsing: whatever runyard's call costs
beyond this is runyard's own work. Run as a child process of the bench:

    python -m bench.bare_server --port PORT --response FILE
    python -m bench.bare_server --port PORT --reply runyard.v1.RunService/CreateRun=FILE ...

FILE holds the serialized response (the one runyard itself returned). It
serves until SIGTERM/SIGINT, or until --max-seconds have passed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


def _replying(response: bytes) -> Any:
    async def reply(request: bytes, context: Any) -> bytes:
        return response

    return reply


async def serve(port: int, replies: dict[str, bytes], max_seconds: float) -> None:
    """Serves each "package.Service/Method" of `replies` with its bytes."""
    services: dict[str, dict[str, Any]] = {}
    for full, response in replies.items():
        service, _, method = full.partition("/")
        # No (de)serializers: the request is not even parsed, the reply is bytes ready.
        handler = grpc.unary_unary_rpc_method_handler(_replying(response))
        services.setdefault(service, {})[method] = handler
    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler(s, m) for s, m in services.items()]
    )
    health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if server.add_insecure_port(f"127.0.0.1:{port}") == 0:
        raise OSError(f"cannot listen on 127.0.0.1:{port}")
    await server.start()
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    with contextlib.suppress(TimeoutError):
        # The time cap keeps an orphaned server from living on if the bench dies.
        await asyncio.wait_for(stopping.wait(), timeout=max_seconds)
    await server.stop(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--response", type=Path, help="ListRuns' reply")
    parser.add_argument(
        "--reply",
        action="append",
        default=[],
        metavar="SERVICE/METHOD=FILE",
        help="another method and its reply",
    )
    parser.add_argument("--max-seconds", type=float, default=1800)
    args = parser.parse_args()
    replies = {}
    if args.response is not None:
        replies["runyard.v1.RunService/ListRuns"] = args.response.read_bytes()
    for spec in args.reply:
        method, _, path = spec.partition("=")
        replies[method] = Path(path).read_bytes()
    if not replies:
        parser.error("nothing to answer: give --response or --reply")
    asyncio.run(serve(args.port, replies, args.max_seconds))


if __name__ == "__main__":
    main()
