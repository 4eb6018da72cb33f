"""Responses known by their wire bytes, parsed only when something reads them.

A handler that already holds a response's serialized form (a List page framed
from stored message bodies) returns a :class:`Framed` instead of a message.
grpc sends its bytes as they are: :func:`framed_handler` wraps a method
handler's response serializer, generically, where the servicers are
registered. The in-process gateway encodes its JSON from the serialized
elements of its repeated field (the JSON memo is keyed by them) and anyone
else reads :attr:`Framed.message`, an ordinary message parsed once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import grpc
from google.protobuf.message import Message

__all__ = ["Framed", "FramedGenericHandler", "framed_handler", "unframed"]

M = TypeVar("M", bound=Message)


class Framed(Generic[M]):
    """A ``cls`` message as the bytes it serializes to.

    ``data`` is the whole message: the elements of repeated message field
    number ``field``, each serialized (``items``), and the other fields'
    serialized bytes (``rest``), in any order the wire allows."""

    __slots__ = ("_message", "cls", "data", "field", "items", "rest")

    def __init__(
        self, cls: type[M], data: bytes, field: int, items: Sequence[bytes], rest: bytes
    ) -> None:
        self.cls = cls
        self.data = data
        self.field = field
        self.items = items
        self.rest = rest
        self._message: M | None = None

    @property
    def message(self) -> M:
        """The message, parsed on first read."""
        m = self._message
        if m is None:
            m = self._message = self.cls.FromString(self.data)
        return m


def unframed(response: Any) -> Any:
    """``response`` as a message (a :class:`Framed` one parsed)."""
    return response.message if type(response) is Framed else response


Serializer = Callable[[Any], bytes]


def _serializer(inner: Serializer | None) -> Serializer:
    def serialize(response: Any) -> bytes:
        if type(response) is Framed:
            return response.data
        return inner(response) if inner is not None else response  # type: ignore[no-any-return]

    return serialize


def framed_handler(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """``handler`` with a response serializer that sends a :class:`Framed`'s bytes
    as they are and serializes anything else as before."""
    if getattr(handler.response_serializer, "framed", False):
        return handler
    serialize: Any = _serializer(handler.response_serializer)
    serialize.framed = True
    kinds = (
        (handler.unary_unary, grpc.unary_unary_rpc_method_handler),
        (handler.unary_stream, grpc.unary_stream_rpc_method_handler),
        (handler.stream_unary, grpc.stream_unary_rpc_method_handler),
        (handler.stream_stream, grpc.stream_stream_rpc_method_handler),
    )
    for behavior, make in kinds:
        if behavior is not None:
            return make(  # type: ignore[no-any-return]
                behavior,
                request_deserializer=handler.request_deserializer,
                response_serializer=serialize,
            )
    return handler


class FramedGenericHandler(grpc.ServiceRpcHandler):
    """A generic handler whose method handlers are :func:`framed_handler` ones."""

    def __init__(self, inner: grpc.GenericRpcHandler) -> None:
        self.inner = inner
        self._known: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def service_name(self) -> str:
        name = getattr(self.inner, "service_name", None)
        return str(name()) if name is not None else ""

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        found = self.inner.service(details)
        if found is None:
            return None
        method: str = details.method  # type: ignore[attr-defined]
        known = self._known.get(method)
        if known is not None and known[0] is found:
            return known[1]
        wrapped = framed_handler(found)
        self._known[method] = (found, wrapped)
        return wrapped
