"""The interceptor wraps a method's handler once and reuses it, and wraps
again when the server hands it a different handler for the method."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from runyard.api.interceptors import ErrorMappingInterceptor


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
