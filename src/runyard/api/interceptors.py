"""Server interceptors: request logging and AIP-193 error mapping.

Every failure leaves as a google.rpc.Status with ErrorInfo. An ApiError is the
caller's business and goes out as it is; anything else is logged with its
traceback here and reaches the caller only as a bare INTERNAL. Every request
is first checked for NUL characters (runyard.api.validation).
Authentication takes its seat in front of these when it lands.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import grpc
from google.protobuf.message import Message
from grpc_status import rpc_status

from runyard.aip.errors import ApiError, internal
from runyard.api.validation import reject_nul

log = logging.getLogger("runyard.rpc")

Handler = grpc.RpcMethodHandler
Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]


async def _abort(context: grpc.aio.ServicerContext[Any, Any], error: ApiError) -> None:
    await context.abort_with_status(  # type: ignore[attr-defined]
        rpc_status.to_status(error.to_status())
    )


def _wrap_unary(method: str, behavior: Behavior) -> Behavior:
    async def handle(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        started = time.perf_counter()
        code = "OK"
        try:
            if isinstance(request, Message):
                reject_nul(request)
            return await behavior(request, context)
        except ApiError as error:
            code = error.code.name
            await _abort(context, error)
        except grpc.aio.AbortError:
            code = "ABORTED_BY_HANDLER"
            raise
        except Exception:
            code = "INTERNAL"
            log.exception("%s failed", method)
            await _abort(context, internal())
        finally:
            level = logging.DEBUG if method.startswith("/grpc.") else logging.INFO
            log.log(level, "%s %s %.1fms", method, code, (time.perf_counter() - started) * 1000)

    return handle


StreamBehavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Any]]


def _wrap_stream(method: str, behavior: StreamBehavior) -> StreamBehavior:
    """The same checks, error mapping and log line for a server-streaming call; an
    error after the first message still ends the stream with its Status."""

    async def handle(
        request: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[Any]:
        started = time.perf_counter()
        code = "OK"
        try:
            if isinstance(request, Message):
                reject_nul(request)
            async for response in behavior(request, context):
                yield response
        except ApiError as error:
            code = error.code.name
            await _abort(context, error)
        except grpc.aio.AbortError:
            code = "ABORTED_BY_HANDLER"
            raise
        except asyncio.CancelledError:
            code = "CANCELLED"
            raise
        except Exception:
            code = "INTERNAL"
            log.exception("%s failed", method)
            await _abort(context, internal())
        finally:
            log.info("%s %s %.1fms (stream)", method, code, (time.perf_counter() - started) * 1000)

    return handle


class ErrorMappingInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler:
        handler = await continuation(handler_call_details)
        if handler is not None and handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(
                    handler_call_details.method, cast(StreamBehavior, handler.unary_stream)
                ),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method
        return grpc.unary_unary_rpc_method_handler(
            _wrap_unary(method, cast(Behavior, handler.unary_unary)),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
