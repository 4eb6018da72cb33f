"""The in-process invoker answers as the loopback channel does: the same calls,
through the same server and interceptor, compared outcome by outcome."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf import wrappers_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from runyard.gateway.errors import GatewayError, make_status
from runyard.gateway.framed import Framed
from runyard.gateway.inprocess import HandlerRegistry, InProcessInvoker
from runyard.gateway.invoker import ChannelInvoker, Invoker

S = wrappers_pb2.StringValue
B = wrappers_pb2.BytesValue
Ctx = Any


async def echo_metadata(req: S, ctx: Ctx) -> S:
    await ctx.send_initial_metadata((("x-initial", "1"), ("x-raw-bin", b"\x00\x01")))
    ctx.set_trailing_metadata((("x-trailing", "2"),))
    seen = sorted(f"{k}={v!r}" for k, v in ctx.invocation_metadata() if k != "user-agent")
    assert ctx.time_remaining() is None or ctx.time_remaining() > 0
    return S(value=f"{req.value}|{';'.join(seen)}")


WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


async def sets_context(req: S, ctx: Ctx) -> S:
    WHO.set(req.value)
    return S(value=WHO.get())


async def abort(req: S, ctx: Ctx) -> S:
    await ctx.abort(grpc.StatusCode.PERMISSION_DENIED, "denied", (("x-why", "policy"),))
    raise AssertionError("not reached")


async def abort_with_status(req: S, ctx: Ctx) -> S:
    info = error_details_pb2.ErrorInfo(reason="GONE", domain="test")
    await ctx.abort_with_status(
        rpc_status.to_status(make_status(code_pb2.NOT_FOUND, "no such thing", info))
    )
    raise AssertionError("not reached")


async def abort_swallowed(req: S, ctx: Ctx) -> S:
    try:
        await ctx.abort(grpc.StatusCode.FAILED_PRECONDITION, "first")
    except Exception:
        return S(value="after abort")
    raise AssertionError("not reached")


async def raises(req: S, ctx: Ctx) -> S:
    raise ValueError("boom")


async def code_then_raise(req: S, ctx: Ctx) -> S:
    ctx.set_code(grpc.StatusCode.UNIMPLEMENTED)
    ctx.set_details("Method not implemented!")
    raise NotImplementedError("Method not implemented!")


async def code_then_return(req: S, ctx: Ctx) -> S:
    ctx.set_code(grpc.StatusCode.NOT_FOUND)
    ctx.set_details("nope")
    ctx.set_trailing_metadata((("x-trailing", "3"),))
    return S(value="ignored")


async def returns_none(req: S, ctx: Ctx) -> None:
    return None


async def other_class(req: S, ctx: Ctx) -> B:
    return B(value=b"bytes, read as a StringValue's unknown field")


def _framed(m: Any) -> Framed[Any]:
    data = m.SerializeToString()
    return Framed(type(m), data, 1, [], data)


async def framed(req: S, ctx: Ctx) -> Framed[S]:
    return _framed(S(value=f"framed {req.value}"))


async def framed_other_class(req: S, ctx: Ctx) -> Framed[B]:
    return _framed(B(value=b"framed bytes"))


async def slow(req: S, ctx: Ctx) -> S:
    await asyncio.sleep(5)
    return S(value="late")


async def stream_ok(req: S, ctx: Ctx) -> AsyncIterator[S]:
    await ctx.send_initial_metadata((("x-initial", "s"),))
    for i in range(3):
        yield S(value=f"{req.value}{i}")


async def stream_framed(req: S, ctx: Ctx) -> AsyncIterator[Any]:
    yield _framed(S(value="f1"))
    yield S(value="plain")


async def stream_fails(req: S, ctx: Ctx) -> AsyncIterator[S]:
    yield S(value="one")
    raise ValueError("stream broke")


async def stream_aborts_first(req: S, ctx: Ctx) -> AsyncIterator[S]:
    await ctx.abort(grpc.StatusCode.UNAUTHENTICATED, "who are you")
    yield S(value="never")


async def stream_writes(req: S, ctx: Ctx) -> None:
    await ctx.write(S(value="w1"))
    await ctx.write(S(value="w2"))


async def stream_slow(req: S, ctx: Ctx) -> AsyncIterator[S]:
    yield S(value="first")
    await asyncio.sleep(5)
    yield S(value="late")


UNARY = [
    echo_metadata,
    sets_context,
    abort,
    abort_with_status,
    abort_swallowed,
    raises,
    code_then_raise,
    code_then_return,
    returns_none,
    other_class,
    framed,
    framed_other_class,
    slow,
]
STREAMS = [stream_ok, stream_framed, stream_fails, stream_aborts_first, stream_writes, stream_slow]
SERVICE = "test.Echo"


class Counting(grpc.aio.ServerInterceptor):
    """Counts the calls it sees and tags each with a trailing key."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        self.calls.append(details.method)  # type: ignore[attr-defined]
        return await continuation(details)


def _handlers() -> dict[str, grpc.RpcMethodHandler]:
    out: dict[str, grpc.RpcMethodHandler] = {}
    for f in UNARY:
        out[f.__name__] = grpc.unary_unary_rpc_method_handler(
            f, request_deserializer=S.FromString, response_serializer=_serialize
        )
    for g in STREAMS:
        out[g.__name__] = grpc.unary_stream_rpc_method_handler(
            g, request_deserializer=S.FromString, response_serializer=_serialize
        )
    return out


def _serialize(m: Any) -> bytes:
    return bytes(m.SerializeToString())


async def _outcome(invoker: Invoker, name: str, request: S, timeout: float | None) -> Any:
    md = (("authorization", "Bearer t"), ("x-key-bin", b"\xff\x00"))
    try:
        r = await invoker.unary(f"/{SERVICE}/{name}", request, S, md, timeout)
    except GatewayError as e:
        return ("error", e.status.SerializeToString(deterministic=True))
    return ("ok", r.response, tuple(r.initial_metadata), tuple(r.trailing_metadata))


async def _stream_outcome(invoker: Invoker, name: str, timeout: float | None) -> Any:
    call = invoker.server_stream(f"/{SERVICE}/{name}", S(value="m"), S, (), timeout)
    got: list[Any] = []
    try:
        m: Any
        async for m in call.messages():
            got.append(m.value)
            if len(got) == 1:
                got.append(tuple(await call.initial_metadata()))
    except GatewayError as e:
        got.append(e.status.SerializeToString(deterministic=True))
    finally:
        call.cancel()
    return got


@pytest.fixture
async def invokers() -> AsyncIterator[tuple[Invoker, Invoker, Counting]]:
    counting = Counting()
    server = grpc.aio.server(interceptors=[counting])
    registry = HandlerRegistry(server, [counting])
    registry.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, _handlers()),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield ChannelInvoker(channel), InProcessInvoker(registry), counting
    finally:
        await channel.close(None)
        await server.stop(None)


async def test_unary_outcomes_match_the_channel(
    invokers: tuple[Invoker, Invoker, Counting],
) -> None:
    channel, inproc, counting = invokers
    for f in UNARY:
        timeout = 0.2 if f is slow else 10.0
        want = await _outcome(channel, f.__name__, S(value="hi"), timeout)
        got = await _outcome(inproc, f.__name__, S(value="hi"), timeout)
        assert got == want, f.__name__
    missing = await _outcome(inproc, "missing", S(), None)
    assert missing == await _outcome(channel, "missing", S(), None)
    assert WHO.get() == "nobody"  # a handler's context variables stay with its call
    # Every call went through the interceptor, both ways.
    assert counting.calls.count(f"/{SERVICE}/raises") == 2
    # A framed response reaches the gateway as it is, its message parsed when read.
    result = await inproc.unary(f"/{SERVICE}/framed", S(value="x"), S, (), None)
    assert type(result.payload) is Framed and result.response == S(value="framed x")


async def test_size_limit_matches_the_server(invokers: tuple[Invoker, Invoker, Counting]) -> None:
    channel, inproc, _ = invokers
    big = S(value="x" * (4 * 1024 * 1024))
    want = await _outcome(channel, "echo_metadata", big, 10.0)
    got = await _outcome(inproc, "echo_metadata", big, 10.0)
    assert got == want and got[0] == "error"
    st = status_pb2.Status.FromString(got[1])
    assert st.code == code_pb2.RESOURCE_EXHAUSTED
    # The channel's limit on responses, only when asked for.
    assert isinstance(inproc, InProcessInvoker)
    capped = InProcessInvoker(inproc.registry, max_response_bytes=8)
    for method in ("echo_metadata", "framed"):
        refused = await _outcome(capped, method, S(value="more than eight bytes"), None)
        assert status_pb2.Status.FromString(refused[1]).code == code_pb2.RESOURCE_EXHAUSTED


async def test_stream_outcomes_match_the_channel(
    invokers: tuple[Invoker, Invoker, Counting],
) -> None:
    channel, inproc, _ = invokers
    for g in STREAMS:
        timeout = 0.3 if g is stream_slow else 10.0
        want = await _stream_outcome(channel, g.__name__, timeout)
        got = await _stream_outcome(inproc, g.__name__, timeout)
        if g is stream_slow:
            # A client reads a deadline mid-stream as "Stream removed (Deadline
            # Exceeded)", a transport's wording: the code is what counts.
            assert status_pb2.Status.FromString(got.pop()).code == code_pb2.DEADLINE_EXCEEDED
            assert status_pb2.Status.FromString(want.pop()).code == code_pb2.DEADLINE_EXCEEDED
        assert got == want, g.__name__


async def test_cancelling_a_stream_cancels_its_handler(
    invokers: tuple[Invoker, Invoker, Counting],
) -> None:
    _, inproc, _ = invokers
    call = inproc.server_stream(f"/{SERVICE}/stream_slow", S(), S, (), None)
    messages = call.messages().__aiter__()
    first: Any = await messages.__anext__()
    assert first.value == "first"
    call.cancel()
    task = call._task  # type: ignore[attr-defined]
    await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 5)
    assert task.cancelled()


async def test_messages_pass_without_serialising(
    invokers: tuple[Invoker, Invoker, Counting],
) -> None:
    """Same classes on both sides: the handler gets the gateway's request object
    and the gateway the handler's response object."""
    _, inproc, _ = invokers
    request = S(value="same")
    seen: list[Any] = []
    answer = S(value="answer")

    async def keep(req: S, ctx: Ctx) -> S:
        seen.append(req)
        return answer

    registry = inproc.registry  # type: ignore[attr-defined]
    registry.methods["/test.Echo/keep"] = grpc.unary_unary_rpc_method_handler(
        keep, request_deserializer=S.FromString, response_serializer=_serialize
    )
    result = await inproc.unary("/test.Echo/keep", request, S, (), None)
    assert seen == [request] and seen[0] is request and result.response is answer


async def test_closing_ends_streams_with_unavailable(
    invokers: tuple[Invoker, Invoker, Counting],
) -> None:
    _, inproc, _ = invokers
    assert isinstance(inproc, InProcessInvoker)
    call = inproc.server_stream(f"/{SERVICE}/stream_slow", S(), S, (), None)
    messages = call.messages().__aiter__()
    first: Any = await messages.__anext__()
    assert first.value == "first"
    inproc.close()
    with pytest.raises(GatewayError) as err:
        await asyncio.wait_for(messages.__anext__(), 5)
    assert err.value.status.code == code_pb2.UNAVAILABLE
    task = call._task  # type: ignore[attr-defined]
    await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 5)
    assert task.cancelled() and not inproc._streams
