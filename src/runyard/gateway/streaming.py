"""A server-streaming call relayed over HTTP: as Server-Sent Events when the
client asks for them, else one encoded message per line (NDJSON-style)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from . import sse
from .asgi import Send, encode_headers
from .errors import GatewayError
from .metadata import response_headers
from .response import ResponseEncoder


async def relay(
    call: Any,
    encoder: ResponseEncoder,
    rule: sse.ResumeRule | None,
    accept: str,
    send: Send,
    refuse: Callable[[GatewayError], Awaitable[None]],
) -> None:
    """Relays ``call``'s messages to ``send``; an error before the response has
    started goes to ``refuse`` (it still gets its own HTTP status), one after is
    written into the stream (or raised, for SSE). The call is cancelled at the end."""
    messages = call.messages().__aiter__()
    started = False
    try:
        # Headers wait for the first message (or the end), so that an error
        # before it still gets its own HTTP status.
        try:
            first = await messages.__anext__()
        except StopAsyncIteration:
            first = None
        initial = await call.initial_metadata()
        extra, _ = response_headers(initial, None)
        if sse.wants_sse(accept):
            started = True
            emit = encoder.emit_unpopulated
            await sse.stream(
                send, messages, first, encode_headers(extra), rule, emit_unpopulated=emit
            )
            return
        ctype = encoder.stream_content_type(first)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": encode_headers([("content-type", ctype), *extra]),
            }
        )
        started = True
        if first is not None:
            await _lines(send, encoder, first, messages)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except GatewayError as e:
        if started:
            raise
        await refuse(e)
    finally:
        call.cancel()


async def _lines(
    send: Send, encoder: ResponseEncoder, first: Any, messages: AsyncIterator[Any]
) -> None:
    """Each message as a line; an error from upstream becomes the last line."""
    await send(
        {"type": "http.response.body", "body": encoder.stream_line(first), "more_body": True}
    )
    try:
        async for msg in messages:
            await send(
                {
                    "type": "http.response.body",
                    "body": encoder.stream_line(msg),
                    "more_body": True,
                }
            )
    except GatewayError as e:
        await send({"type": "http.response.body", "body": encoder.error_line(e), "more_body": True})
