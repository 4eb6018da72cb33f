"""Who is calling, and may they: bearer token -> Principal, Principal x RPC x
resource name -> allowed or an AIP-193 error.

Tokens found by their secret's hash are cached for `cache_seconds` (positive
and negative answers alike), so a call costs a dict look-up, not a query. A
token revoked through this process is forgotten at once; one revoked through
another replica stops working here within `cache_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import grpc

from runyard.aip.errors import ApiError, resource_exhausted, unauthenticated
from runyard.auth import policy, secrets
from runyard.auth.ratelimit import DEFAULT_LIMITS, Limit, RateLimiter
from runyard.store.refs import TOKEN, WORKSPACE
from runyard.store.tokens import TokenRecord, TokenStore
from runyard.v1 import token_pb2

log = logging.getLogger("runyard.auth")

Role = token_pb2.Token.Role
TOUCH_INTERVAL_US = 60_000_000
MAX_CACHED = 100_000


@dataclass(frozen=True)
class Principal:
    """The caller: a token's name, its organization and workspace ("" for the
    whole organization), role and rate limit."""

    name: str
    organization: str
    workspace: str
    role: int
    limit: Limit

    @property
    def token_id(self) -> str:
        return self.name.rsplit("/", 1)[1]


class Authenticator:
    def __init__(
        self,
        tokens: TokenStore,
        pepper: bytes,
        limits: dict[int, Limit] | None = None,
        *,
        cache_seconds: float = 5.0,
    ) -> None:
        self._tokens = tokens
        self._pepper = pepper
        self._limits = {**DEFAULT_LIMITS, **(limits or {})}
        self._cache_seconds = cache_seconds
        # secret hash -> (the record and its principal, or None; when the entry expires)
        self._cache: dict[bytes, tuple[tuple[TokenRecord, Principal] | None, float]] = {}
        self._touched: dict[str, int] = {}
        self._lock = threading.Lock()
        self._limiter = RateLimiter()

    # -- who ------------------------------------------------------------------

    async def authenticate(self, metadata: Iterable[tuple[str, Any]]) -> Principal:
        secret = bearer(metadata)
        if not secret:
            raise unauthenticated(
                "this call needs a token: send `authorization: Bearer <secret>`",
                "TOKEN_MISSING",
            )
        if not secrets.well_formed(secret):
            raise unauthenticated("the bearer token is malformed", "TOKEN_MALFORMED")
        found = await self._find(secrets.digest(self._pepper, secret))
        if found is None:
            raise unauthenticated("the bearer token is not known", "TOKEN_UNKNOWN")
        record, principal = found
        now_us = time.time_ns() // 1000
        if record.revoke_us is not None:
            raise unauthenticated("the bearer token was revoked", "TOKEN_REVOKED")
        if record.expire_us is not None and record.expire_us <= now_us:
            raise unauthenticated("the bearer token has expired", "TOKEN_EXPIRED")
        self._touch(principal, record.last_use_us, now_us)
        return principal

    def _principal(self, token: token_pb2.Token) -> Principal:
        """What every call of `token` needs, derived once per cached look-up."""
        ids = TOKEN.parse(token.name)
        workspace = WORKSPACE.parse(token.workspace)["workspace"] if token.workspace else ""
        limit = self._limits.get(token.role, DEFAULT_LIMITS[Role.VIEWER])
        if token.rate_limit > 0:
            limit = Limit.of(token.rate_limit, token.rate_burst)
        return Principal(token.name, ids["organization"], workspace, token.role, limit)

    async def _find(self, digest: bytes) -> tuple[TokenRecord, Principal] | None:
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        record = await asyncio.to_thread(self._tokens.find_token, digest)
        found = None if record is None else (record, self._principal(record.token))
        # Unknown secrets are remembered briefly, so guessing costs no queries.
        ttl = self._cache_seconds if record is not None else min(1.0, self._cache_seconds)
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[digest] = (found, now + ttl)
        return found

    def forget(self, token_name: str) -> None:
        """Drops a token from the cache (after it was revoked here)."""
        with self._lock:
            for key, (record, _) in list(self._cache.items()):
                if record is not None and record[1].name == token_name:
                    del self._cache[key]

    def _touch(self, principal: Principal, stored_us: int | None, now_us: int) -> None:
        name = principal.name
        last = max(self._touched.get(name, 0), stored_us or 0)
        if now_us - last < TOUCH_INTERVAL_US:
            return
        self._touched[name] = now_us

        def touch() -> None:
            try:
                self._tokens.touch_token(principal.organization, principal.token_id, now_us)
            except Exception as exc:  # best effort: a missed last_use_time is harmless
                log.info("last_use_time of %s not recorded: %s", name, type(exc).__name__)

        asyncio.get_running_loop().run_in_executor(None, touch)

    # -- how much ---------------------------------------------------------------

    def throttle(self, principal: Principal) -> None:
        wait = self._limiter.take(principal.name, principal.limit)
        if wait > 0:
            limit = principal.limit
            raise resource_exhausted(
                f"rate limit of {limit.rate:g} requests/s (burst {limit.burst}) exceeded; "
                f"retry in {wait:.2f}s",
                retry_delay=wait,
                quota=[(principal.name, f"{limit.rate:g} requests/s, burst {limit.burst}")],
                token=principal.name,
            )


def bearer(metadata: Iterable[tuple[str, Any]]) -> str:
    """The secret of an `authorization: Bearer …` entry, or ""."""
    for key, value in metadata:
        if key == "authorization" and isinstance(value, str):
            scheme, _, secret = value.strip().partition(" ")
            if scheme.lower() == "bearer":
                return secret.strip()
            return "\0"  # another scheme: malformed, not missing
    return ""


def authorize(principal: Principal, method: str, request: Any) -> None:
    """Raises PERMISSION_DENIED unless `principal` may call `method` on the
    resource `request` names. Decided from the request alone, before anything
    is read, so the answer is the same whether or not the resource exists."""
    rule = policy.METHODS.get(method)
    if rule is None or not policy.allows(principal.role, rule.permission):
        raise denied(method, "ROLE_NOT_ALLOWED")
    parts = resource_name(request, rule.field).split("/")
    if len(parts) < 2 or parts[0] != "organizations" or not parts[1]:
        return  # not a name at all: the servicer refuses it as INVALID_ARGUMENT
    if parts[1] != principal.organization:
        raise denied(method, "OUTSIDE_TOKEN_SCOPE")
    if principal.workspace and (
        rule.scope is policy.Scope.ORGANIZATION
        or len(parts) < 4
        or parts[2] != "workspaces"
        or parts[3] != principal.workspace
    ):
        raise denied(method, "OUTSIDE_TOKEN_SCOPE")


def denied(method: str, reason: str) -> ApiError:
    """PERMISSION_DENIED that names neither the resource nor anything read
    about it (AIP-211): calls on an existing and on a missing resource outside
    the token's scope get byte-identical answers."""
    return ApiError(
        grpc.StatusCode.PERMISSION_DENIED,
        "the token does not allow this call on the resource it names, "
        "or the resource does not exist",
        reason,
        {"method": method.rsplit("/", 1)[-1]},
    )


def resource_name(request: Any, path: str) -> str:
    value: Any = request
    for part in path.split("."):
        value = getattr(value, part, "")
    return value if isinstance(value, str) else ""
