"""The few ASGI pieces the gateway's responders share: types, headers, a whole
response in one go, and HEAD's body-less sending."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class HeadDone(Exception):
    """Stops a streamed response to a HEAD request once its headers are sent."""


def without_body(send: Send) -> Send:
    """``send`` for a HEAD request: the HTTP server drops a final body itself
    (keeping its Content-Length); a stream ends after its headers."""

    async def head_send(event: dict[str, Any]) -> None:
        if event["type"] == "http.response.body" and event.get("more_body", False):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            raise HeadDone
        await send(event)

    return head_send


def encode_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


async def respond(send: Send, status: int, headers: Sequence[tuple[str, str]], body: bytes) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": encode_headers(headers)}
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
