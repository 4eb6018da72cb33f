"""The servicer context of an in-process call (see :mod:`.inprocess`): what
handlers and interceptors use of ``grpc.aio.ServicerContext``, and the status
a call ends with, as a gRPC client would have read it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.rpc import code_pb2

from .errors import GatewayError, make_status, status_from_parts

__all__ = ["PEER", "ServicerContext", "deadline_exceeded", "status", "within"]

log = logging.getLogger("runyard.gateway")

# The peer a handler sees, as gRPC's in-process transport names it.
PEER = "inproc"


class ServicerContext:
    """What handlers and interceptors use of ``grpc.aio.ServicerContext``."""

    def __init__(
        self,
        metadata: tuple[Any, ...],
        timeout: float | None,
        write: Callable[[Any], Awaitable[None]] | None = None,
    ) -> None:
        self._metadata = metadata
        self._deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        self._write = write
        self._code: grpc.StatusCode | None = None
        self._details: str | None = None
        self.initial: tuple[Any, ...] = ()
        self.trailing: tuple[Any, ...] = ()
        self.aborted = False
        self._cancelled = False

    def invocation_metadata(self) -> tuple[Any, ...]:
        return self._metadata

    def peer(self) -> str:
        return PEER

    def time_remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - asyncio.get_running_loop().time())

    def cancelled(self) -> bool:
        return self._cancelled

    def done(self) -> bool:
        return self._cancelled or self.aborted

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def set_details(self, details: str) -> None:
        self._details = details

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def details(self) -> str | None:
        return self._details

    def set_trailing_metadata(self, metadata: Sequence[tuple[str, Any]]) -> None:
        self.trailing = tuple(metadata)

    def trailing_metadata(self) -> tuple[Any, ...]:
        return self.trailing

    async def send_initial_metadata(self, metadata: Sequence[tuple[str, Any]]) -> None:
        self.initial = tuple(metadata)

    async def abort(
        self,
        code: grpc.StatusCode,
        details: str = "",
        trailing_metadata: Sequence[tuple[str, Any]] = (),
    ) -> None:
        if self.aborted:
            raise grpc.aio.UsageError("Abort was already called!")
        self.aborted = True
        self._code, self._details = code, details
        if trailing_metadata:
            self.trailing = tuple(trailing_metadata)
        raise grpc.aio.AbortError()

    async def abort_with_status(self, status: grpc.Status) -> None:
        await self.abort(status.code, status.details, status.trailing_metadata)

    async def write(self, message: Any) -> None:
        if self._write is None:
            raise grpc.aio.UsageError("write() is for streaming responses")
        await self._write(message)

    def error(self) -> GatewayError | None:
        """The call's failure, once the handler is done: an abort or a code set."""
        code = self._code
        if code is None or code == grpc.StatusCode.OK:
            return None
        return GatewayError(status_from_parts(code.value[0], self._details or "", self.trailing))

    def failed(self, exc: BaseException) -> GatewayError:
        """The status of a handler that raised ``exc`` (what grpc.aio sends)."""
        if isinstance(exc, grpc.aio.AbortError) or self.aborted:
            return self.error() or status(code_pb2.UNKNOWN, "")
        log.error("Unexpected [%s] raised by servicer method", type(exc).__name__, exc_info=exc)
        code = self._code if self._code not in (None, grpc.StatusCode.OK) else None
        number = code.value[0] if code is not None else code_pb2.UNKNOWN
        return status(number, f"Unexpected {type(exc)}: {exc}", self.trailing)


def status(code: int, message: str, trailing: Sequence[tuple[str, Any]] = ()) -> GatewayError:
    return GatewayError(status_from_parts(code, message, trailing))


def deadline_exceeded() -> GatewayError:
    return GatewayError(make_status(code_pb2.DEADLINE_EXCEEDED, "Deadline Exceeded"))


async def within(timeout: float, work: Awaitable[Any]) -> Any:
    """``work``, cancelled at the deadline as grpc.aio cancels a handler's task."""
    try:
        async with asyncio.timeout(timeout) as scope:
            return await work
    except TimeoutError:
        if scope.expired():
            raise deadline_exceeded() from None
        raise
