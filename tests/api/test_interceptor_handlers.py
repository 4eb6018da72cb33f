"""The interceptor wraps a method's handler once and reuses it, and wraps
again when the server hands it a different handler for the method."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from runyard.api.interceptors import ErrorMappingInterceptor, GatedServer


class Details:
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


async def _echo(request: Any, context: Any) -> Any:
    return request


def test_wrapped_once_per_handler() -> None:
    interceptor = ErrorMappingInterceptor()
    first = grpc.unary_unary_rpc_method_handler(_echo)
    second = grpc.unary_unary_rpc_method_handler(_echo)

    async def main() -> list[Any]:
        async def give(handler: Any) -> Any:
            async def continuation(_details: Any) -> Any:
                return handler

            return await interceptor.intercept_service(continuation, Details("/s.S/M"))  # type: ignore[arg-type]

        return [await give(first), await give(first), await give(second), await give(second)]

    a, b, c, d = asyncio.run(main())
    assert a is b and c is d and a is not c
    assert a is not first and a.unary_unary is not None


class _Server:
    """What GatedServer hands its handlers to."""

    def __init__(self) -> None:
        self.generic: list[Any] = []
        self.registered: dict[str, Any] = {}

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.generic.extend(handlers)

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        self.registered.update({f"/{service}/{n}": h for n, h in handlers.items()})


def test_gated_server_wraps_every_handler_once() -> None:
    interceptor = ErrorMappingInterceptor()
    server = _Server()
    gated = GatedServer(server, interceptor)  # type: ignore[arg-type]
    echo = grpc.unary_unary_rpc_method_handler(_echo)
    gated.add_registered_method_handlers("s.S", {"M": echo})
    gated.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("s.S", {"M": echo}),))
    # Declared methods reach grpc as one table ahead of the generic handlers,
    # not as registered methods (grpc.aio waits on a request per registered method).
    assert server.registered == {}
    table, generic = server.generic
    registered = table.service(Details("/s.S/M"))
    assert registered is not echo and registered.unary_unary is not _echo
    assert table.service(Details("/s.S/Other")) is None
    # The generic path gives the very same wrapper; unknown methods stay unknown.
    assert generic.service(Details("/s.S/M")) is registered
    assert generic.service(Details("/s.S/Other")) is None

    async def through_interceptor() -> Any:
        async def continuation(_details: Any) -> Any:
            return echo

        return await interceptor.intercept_service(continuation, Details("/s.S/M"))  # type: ignore[arg-type]

    assert asyncio.run(through_interceptor()) is registered


def test_gated_server_registers_methods_without_one_table() -> None:
    interceptor = ErrorMappingInterceptor()
    server = _Server()
    gated = GatedServer(server, interceptor, one_table=False)  # type: ignore[arg-type]
    echo = grpc.unary_unary_rpc_method_handler(_echo)
    gated.add_registered_method_handlers("s.S", {"M": echo})
    gated.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("s.S", {"M": echo}),))
    registered = server.registered["/s.S/M"]
    assert registered is not echo and registered.unary_unary is not _echo
    (generic,) = server.generic
    assert generic.service(Details("/s.S/M")) is registered
