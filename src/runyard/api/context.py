"""What every servicer needs from a call: who is asking, when, and the request key."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from runyard.aip.errors import invalid_argument
from runyard.aip.listing import Collection, ListPlan, ListRequest, plan_list
from runyard.aip.pagination import PageTokens
from runyard.api.threads import READ_THREADS, STORE_THREADS
from runyard.auth.authenticator import Principal
from runyard.domain.runs import Actor
from runyard.store.interface import LoopWriter

T = TypeVar("T")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# The authenticated caller of the RPC being served (set by the interceptor).
PRINCIPAL: ContextVar[Principal | None] = ContextVar("runyard_principal", default=None)
ANONYMOUS = "anonymous"


def now_us() -> int:
    return time.time_ns() // 1000


def principal() -> Principal | None:
    return PRINCIPAL.get()


def actor(context: grpc.aio.ServicerContext[Any, Any]) -> Actor:
    """Who is making this change: the token's name (`organizations/o/tokens/t`),
    or `anonymous` when the server runs with --insecure-no-auth. Clients cannot
    choose it."""
    who = PRINCIPAL.get()
    return Actor(who.name if who is not None else ANONYMOUS, now_us())


def request_key(method: str, resource: str, request_id: str, request: Message | None = None) -> str:
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


# First pages' plans by request: a dashboard asks for the same first page again
# and again, and planning it (copy, serialize, fingerprint) costs ~15 µs.
_FIRST_PAGES: dict[tuple[str, bytes], ListPlan] = {}
_MAX_FIRST_PAGES = 1024


def list_plan(request: Message, collection: Collection, tokens: PageTokens) -> ListPlan:
    """The validated page a List request asks for (INVALID_ARGUMENT on a bad
    filter, order_by, page_size, skip or page_token), built before the store is
    called so that no argument error waits for, or hides behind, a read."""
    if getattr(request, "page_token", ""):
        return plan_list(collection, ListRequest.of(request, collection), tokens)
    # A plan is immutable and, without a page token, a function of the request,
    # the collection and the token codec alone.
    key = (request.DESCRIPTOR.full_name, request.SerializeToString(deterministic=True))
    plan = _FIRST_PAGES.get(key)
    if plan is not None and plan.collection is collection and plan.codec is tokens:
        return plan
    plan = plan_list(collection, ListRequest.of(request, collection), tokens)
    if len(_FIRST_PAGES) >= _MAX_FIRST_PAGES:
        _FIRST_PAGES.clear()
    _FIRST_PAGES[key] = plan
    return plan


async def blocking(fn: Callable[..., T], *args: Any) -> T:
    """Runs a store call on a store thread (runyard.api.threads) so the event
    loop keeps serving."""
    return await STORE_THREADS.run(fn, *args)


async def writing(writes: LoopWriter | None, fn: Callable[..., T], *args: Any) -> T:
    """A store write on the event loop where the store takes it (`writes`:
    SQLite's in the process's commit group, whose statements take
    microseconds; PostgreSQL's in a greenlet whose round trips are awaited
    there), answered once durable; otherwise on a store thread."""
    if writes is not None and writes.serves(asyncio.get_running_loop()):
        return await writes.run(fn, *args)
    return await STORE_THREADS.run(fn, *args)


async def reading(fn: Callable[..., T], *args: Any) -> T:
    """`blocking` for a store call that only reads (on the read threads, or
    on the loop when that is cheaper: runyard.api.threads)."""
    if READ_THREADS.inline(fn):
        return READ_THREADS.call(fn, *args)
    return await READ_THREADS.run(fn, *args)
