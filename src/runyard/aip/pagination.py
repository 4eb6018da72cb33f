"""AIP-158 pagination: page sizes and keyset page tokens (runyard.aip.sql
turns a token's values into the keyset predicate).

A token carries the sort-key values of the last row returned, a fingerprint of
the request's other parameters, and an HMAC-SHA256 signature with a server
secret; it is base64url, opaque, and cannot be forged or moved to another
request. Seeking past the last row (keyset) makes every page cost the same at
any depth, and rows inserted meanwhile are neither repeated nor skipped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Sequence
from typing import Any, Protocol

from runyard.aip.errors import ApiError, invalid_argument

VERSION = 1
_SIG_BYTES = 16


def page_size(value: int, default: int, maximum: int, field_path: str = "page_size") -> int:
    """0 → default; above maximum → maximum (AIP-158 coerces); negative → INVALID_ARGUMENT."""
    if value < 0:
        raise invalid_argument(field_path, "must not be negative", "INVALID_PAGE_SIZE")
    return min(value or default, maximum)


def fingerprint(*parts: str) -> str:
    """A digest of the request parameters a token is bound to (JSON-encoded
    first, so no choice of parts can run into the next one)."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def _bad(why: str) -> ApiError:
    return invalid_argument(
        "page_token",
        "is not a page token of this request; start again without one",
        "INVALID_PAGE_TOKEN",
        why=why,
    )


class PageTokens(Protocol):
    """Signs and checks page tokens (PageTokenCodec is the implementation)."""

    def encode(self, request_fingerprint: str, values: Sequence[Any]) -> str: ...

    def decode(self, token: str, request_fingerprint: str, arity: int) -> list[Any]: ...


class PageTokenCodec:
    """Signs and checks page tokens with a server secret (at least 16 bytes,
    the same on every replica; changing it invalidates outstanding tokens).

    A token is base64url (no padding) of a 128-bit HMAC-SHA256 tag followed by
    the JSON `[VERSION, request_fingerprint, [sort-key values…]]`. Anything
    else — not base64, a bad tag, another version, another request's
    fingerprint, the wrong number or type of values — is INVALID_ARGUMENT on
    `page_token` (reason INVALID_PAGE_TOKEN, metadata["why"])."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the page-token secret must be at least 16 bytes")
        self._secret = secret

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_SIG_BYTES]

    def encode(self, request_fingerprint: str, values: Sequence[Any]) -> str:
        """The token continuing after the row whose sort keys are `values` (ints,
        floats or strings, in the order's terms), for the request `fingerprint()`
        describes."""
        payload = json.dumps(
            [VERSION, request_fingerprint, list(values)], separators=(",", ":")
        ).encode()
        raw = self._sign(payload) + payload
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def decode(self, token: str, request_fingerprint: str, arity: int) -> list[Any]:
        """The cursor values of `token`; INVALID_ARGUMENT on anything else."""
        if len(token) > 4096:
            raise _bad("too long")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise _bad("malformed") from None
        signature, payload = raw[:_SIG_BYTES], raw[_SIG_BYTES:]
        if len(signature) != _SIG_BYTES or not hmac.compare_digest(signature, self._sign(payload)):
            raise _bad("bad signature")
        try:
            version, fp, values = json.loads(payload)
        except (ValueError, TypeError):
            raise _bad("malformed") from None
        if version != VERSION:
            raise _bad("unknown version")
        if fp != request_fingerprint:
            raise _bad("the request's filter, order_by or parent changed")
        if not isinstance(values, list) or len(values) != arity:
            raise _bad("malformed")
        if not all(isinstance(v, int | str | float) and not isinstance(v, bool) for v in values):
            raise _bad("malformed")
        # Only a holder of the secret can sign values, but a signed token must still
        # never take a database to values it cannot compare (64-bit, finite).
        if not all(_in_range(v) for v in values):
            raise _bad("cursor value out of range")
        return values


_INT64 = (-(2**63), 2**63 - 1)


def _in_range(v: Any) -> bool:
    if isinstance(v, int):
        return _INT64[0] <= v <= _INT64[1]
    if isinstance(v, float):
        return math.isfinite(v)
    return True
