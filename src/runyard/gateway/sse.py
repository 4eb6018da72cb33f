"""Server-Sent Events for server-streaming methods (``Accept: text/event-stream``).

Each response message is one event whose ``data:`` is the message's proto3
JSON. Which part of a method's messages is its resume point, and which request
field takes it back, is the caller's knowledge, given to the gateway as a
:class:`ResumeRule` per method (the gateway knows nothing of the API):

- ``id:`` is the value at ``ResumeRule.response_path`` (a dotted field path,
  e.g. ``event.sequence``) when the message has it;
- a ``Last-Event-ID`` request header is decoded into ``ResumeRule.request_field``
  (an integer or string field), overriding the query parameter of that name;
- a message whose ``ResumeRule.heartbeat_field`` is set goes out as an SSE
  comment (``: heartbeat``), which keeps proxies from timing the stream out;
- an error before the first message is an ordinary HTTP error response; an
  error after it is a final ``event: error`` whose data is the google.rpc.Status
  JSON, so a client never mistakes a failed stream for a finished one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.rpc import code_pb2

from ._json import encode_message
from .errors import GatewayError, gateway_error, status_json

__all__ = ["EVENT_STREAM", "ResumeRule", "apply_last_event_id", "stream", "wants_sse"]

EVENT_STREAM = "text/event-stream"
Send = Callable[[dict[str, Any]], Awaitable[None]]

_INTS = (
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED64,
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_SFIXED32,
)


@dataclass(frozen=True)
class ResumeRule:
    """How one streaming method resumes: see the module docstring."""

    request_field: str
    response_path: str
    heartbeat_field: str = "heartbeat"


ResumeRules = Mapping[str, ResumeRule]


def wants_sse(accept: str) -> bool:
    return any(part.split(";")[0].strip() == EVENT_STREAM for part in accept.split(","))


def last_event_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    for k, v in headers:
        if k == b"last-event-id":
            return v.decode("latin-1").strip()
    return None


def apply_last_event_id(request: Message, rule: ResumeRule | None, value: str, domain: str) -> None:
    """Sets the rule's request field from a Last-Event-ID header value."""
    if rule is None or not value:
        return
    fd = request.DESCRIPTOR.fields_by_name.get(rule.request_field)
    if fd is None:
        return
    try:
        if fd.type in _INTS:
            setattr(request, fd.name, int(value))
        elif fd.type == FieldDescriptor.TYPE_STRING:
            setattr(request, fd.name, value)
    except (ValueError, TypeError):
        raise gateway_error(
            code_pb2.INVALID_ARGUMENT,
            f"Last-Event-ID {value!r} is not a resume point of this stream",
            "INVALID_LAST_EVENT_ID",
            domain,
        ) from None


def _event_id(msg: Message, path: str) -> str | None:
    node: Any = msg
    parts = path.split(".")
    for i, name in enumerate(parts):
        fd = node.DESCRIPTOR.fields_by_name.get(name)
        if fd is None:
            return None
        last = i == len(parts) - 1
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            if last or not node.HasField(name):
                return None
            node = getattr(node, name)
        elif last:
            value = getattr(node, name)
            return str(value) if value not in ("", 0) else None
    return None


def _is_heartbeat(msg: Message, rule: ResumeRule | None) -> bool:
    name = rule.heartbeat_field if rule is not None else "heartbeat"
    fd = msg.DESCRIPTOR.fields_by_name.get(name)
    return fd is not None and fd.type == FieldDescriptor.TYPE_MESSAGE and msg.HasField(name)


def frame(msg: Message, rule: ResumeRule | None, *, emit_unpopulated: bool) -> bytes:
    """One SSE event (or comment) for a response message."""
    if _is_heartbeat(msg, rule):
        return b": heartbeat\n\n"
    data = encode_message(msg, emit_unpopulated=emit_unpopulated)
    ident = _event_id(msg, rule.response_path) if rule is not None else None
    head = f"id: {ident}\n".encode() if ident is not None else b""
    return head + b"data: " + data + b"\n\n"


def error_frame(err: GatewayError) -> bytes:
    return b"event: error\ndata: " + orjson.dumps(status_json(err.status)) + b"\n\n"


async def stream(
    send: Send,
    messages: AsyncIterator[Message],
    first: Message | None,
    extra_headers: list[tuple[bytes, bytes]],
    rule: ResumeRule | None,
    *,
    emit_unpopulated: bool,
) -> None:
    """Sends the headers, `first` and every later message as events; a GatewayError
    from `messages` becomes the final `event: error`."""
    headers = [
        (b"content-type", EVENT_STREAM.encode()),
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),
        *extra_headers,
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})

    async def body(chunk: bytes) -> None:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})

    if first is not None:
        await body(frame(first, rule, emit_unpopulated=emit_unpopulated))
        try:
            async for msg in messages:
                await body(frame(msg, rule, emit_unpopulated=emit_unpopulated))
        except GatewayError as e:
            await body(error_frame(e))
    await send({"type": "http.response.body", "body": b"", "more_body": False})
