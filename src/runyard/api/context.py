"""What every servicer needs from a call: who is asking, when, and the request key."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from runyard.aip.errors import invalid_argument
from runyard.aip.listing import ListRequest
from runyard.domain.runs import Actor

T = TypeVar("T")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ACTOR_HEADER = "x-runyard-actor"


def now_us() -> int:
    return time.time_ns() // 1000


def actor(context: grpc.aio.ServicerContext[Any, Any]) -> Actor:
    """The caller's identity. Until token authentication lands, an optional
    `x-runyard-actor` header names the caller; unnamed callers are `anonymous`."""
    name = "anonymous"
    for key, value in context.invocation_metadata() or ():
        if key == ACTOR_HEADER and isinstance(value, str) and value.strip():
            name = value.strip()[:200]
    return Actor(name, now_us())


def request_key(
    method: str, resource: str, request_id: str, request: Message | None = None
) -> str:
    """The idempotency key of an AIP-155 request_id, scoped to its method and resource.

    With ``request`` the key carries a fingerprint of the request (everything but
    its request_id) after a ``#``: the store keeps it with the first answer and
    refuses the same request_id with another request (REQUEST_ID_REUSED)."""
    if not request_id:
        return ""
    if not _UUID.match(request_id):
        raise invalid_argument(
            "request_id", "must be a UUID, e.g. 5f1b2c3d-…", "INVALID_REQUEST_ID"
        )
    key = f"{method}:{resource}:{request_id.lower()}"
    if request is None:
        return key
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField("request_id")  # type: ignore[arg-type]
    digest = hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()
    return f"{key}#{digest}"


def list_params(request: Any) -> ListRequest:
    """The AIP list parameters of a List request; runyard.aip.listing validates them."""
    return ListRequest(
        parent=request.parent,
        filter=request.filter,
        order_by=getattr(request, "order_by", ""),
        page_size=request.page_size,
        page_token=request.page_token,
        skip=getattr(request, "skip", 0),
        show_total_size=getattr(request, "show_total_size", False),
    )


async def blocking(fn: Callable[..., T], *args: Any) -> T:
    """Runs a store call on a worker thread so the event loop keeps serving."""
    return await asyncio.to_thread(fn, *args)
