"""Request bodies that fail to decode become INVALID_ARGUMENT, not UNKNOWN.

grpc.aio answers a deserializer's exception with UNKNOWN and the exception's
text ("Unexpected <class '...DecodeError'>"). :func:`guarded` wraps a
method's ``request_deserializer`` so that malformed bytes, invalid UTF-8 in a
string field or nesting beyond protobuf's recursion limit hand the handler an
:class:`Undecodable` instead; the interceptor turns it into a plain
INVALID_ARGUMENT (:func:`check_decoded`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runyard.aip.errors import ApiError, invalid_argument

__all__ = ["Undecodable", "check_decoded", "guarded"]

Deserializer = Callable[[bytes], Any]


class Undecodable:
    """Stands in for a request whose bytes did not decode."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def error(self) -> ApiError:
        return invalid_argument(
            "",
            f"the request is not a valid {self.type_name}: malformed protobuf, "
            "invalid UTF-8 in a string field or nested too deeply",
            "MALFORMED_REQUEST",
        )


def guarded(deserializer: Deserializer | None) -> Deserializer | None:
    """``deserializer`` returning :class:`Undecodable` instead of raising."""
    if deserializer is None:
        return None
    inner = deserializer
    owner = getattr(inner, "__self__", None)  # Message.FromString is bound to the class
    type_name = getattr(getattr(owner, "DESCRIPTOR", None), "full_name", "request message")

    def decode(data: bytes) -> Any:
        try:
            return inner(data)
        except Exception:  # DecodeError, RecursionError, UnicodeDecodeError alike
            return Undecodable(type_name)

    return decode


def check_decoded(request: Any) -> None:
    """Raises the INVALID_ARGUMENT of an :class:`Undecodable` request."""
    if isinstance(request, Undecodable):
        raise request.error()
