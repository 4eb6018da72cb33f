"""HTTP headers ↔ gRPC metadata (grpc-gateway's header rules, minus the surprises).

Request direction: ``Authorization`` goes as ``authorization``;
``Grpc-Metadata-<Key>`` as ``<key>`` (``-bin`` keys base64-decoded, a bad value
is 400); ``Grpc-Timeout`` becomes the call deadline (a bad value is 400);
``X-Forwarded-For`` gets the client address appended and ``X-Forwarded-Host``
is set from ``Host``; ``X-Request-Id`` is passed on. Everything else —
hop-by-hop and connection headers in particular — is dropped, as are values
that are not printable ASCII (gRPC metadata cannot carry them).

Response direction: initial metadata as ``Grpc-Metadata-<Key>`` headers,
trailing metadata as ``Grpc-Trailer-<Key>`` (``-bin`` values base64-encoded).
A server may set ``x-http-code`` in its initial metadata to choose the HTTP
status of a successful response; it is not sent on as a header.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "HOP_BY_HOP",
    "RequestHeaders",
    "metadata_from_headers",
    "parse_grpc_timeout",
    "response_headers",
]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
_PREFIX = "grpc-metadata-"
_TIMEOUT = re.compile(r"([0-9]{1,8})([HMSmun])\Z")
_UNIT_SECONDS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
# Metadata keys gRPC reserves for itself; never forwarded either way.
_RESERVED = frozenset(
    {
        "content-type",
        "user-agent",
        "te",
        "grpc-timeout",
        "grpc-encoding",
        "grpc-accept-encoding",
        "grpc-status",
        "grpc-message",
        "grpc-status-details-bin",
        "grpc-previous-rpc-attempts",
        "grpc-retry-pushback-ms",
    }
)
_KEY = re.compile(r"[0-9a-z_.\-]+\Z")
HTTP_CODE_KEY = "x-http-code"


class HeaderError(ValueError):
    """A header the gateway cannot forward (bad base64, bad Grpc-Timeout)."""

    def __init__(self, header: str, reason: str) -> None:
        super().__init__(f"header {header}: {reason}")
        self.header = header
        self.reason = reason


@dataclass(frozen=True)
class RequestHeaders:
    """What the gateway takes from a request's headers."""

    metadata: tuple[tuple[str, str | bytes], ...]
    timeout: float | None
    content_type: str
    accept: str


def parse_grpc_timeout(value: str) -> float:
    """Seconds of a ``Grpc-Timeout`` value (``100m`` = 100 ms); raises HeaderError."""
    m = _TIMEOUT.match(value.strip())
    if not m:
        raise HeaderError("grpc-timeout", f"invalid value {value!r}")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def _printable_ascii(v: str) -> bool:
    return v.isascii() and all(32 <= ord(c) < 127 for c in v)


def metadata_from_headers(
    headers: Iterable[tuple[bytes, bytes]], client: str | None = None
) -> RequestHeaders:
    """Metadata, deadline and content negotiation from raw ASGI headers."""
    md: list[tuple[str, str | bytes]] = []
    timeout: float | None = None
    content_type = ""
    accept = ""
    xff: list[str] = []
    host = ""
    for raw_k, raw_v in headers:
        k = raw_k.decode("latin-1").lower()
        v = raw_v.decode("latin-1")
        if k == "content-type":
            content_type = v
        elif k == "accept":
            accept = v if not accept else f"{accept}, {v}"
        elif k == "host":
            host = v
        elif k in HOP_BY_HOP:
            continue
        elif k == "authorization":
            if _printable_ascii(v):
                md.append(("authorization", v))
        elif k == "grpc-timeout":
            timeout = parse_grpc_timeout(v)
        elif k == "x-forwarded-for":
            xff.append(v)
        elif k == "x-request-id":
            if _printable_ascii(v):
                md.append((k, v))
        elif k.startswith(_PREFIX):
            key = k[len(_PREFIX) :]
            if not key or not _KEY.match(key) or key in _RESERVED or key in HOP_BY_HOP:
                continue
            if key.endswith("-bin"):
                md.append((key, _b64(raw_k.decode("latin-1"), v)))
            elif _printable_ascii(v):
                md.append((key, v))
    if client:
        xff.append(client)
    if xff:
        md.append(("x-forwarded-for", ", ".join(xff)))
    if host and _printable_ascii(host):
        md.append(("x-forwarded-host", host))
    return RequestHeaders(tuple(md), timeout, content_type, accept)


_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")
_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}\Z")


def _b64(header: str, v: str) -> bytes:
    # Standard or URL-safe alphabet, padding optional; anything else is 400.
    v = _pad(v)
    try:
        if _B64.match(v):
            return base64.b64decode(v, validate=True)
        if _B64URL.match(v):
            return base64.urlsafe_b64decode(v)
    except (binascii.Error, ValueError):
        pass
    raise HeaderError(header, "invalid base64")


def _pad(v: str) -> str:
    v = v.strip()
    return v + "=" * (-len(v) % 4)


def response_headers(
    initial: Sequence[tuple[str, str | bytes]] | None,
    trailing: Sequence[tuple[str, str | bytes]] | None,
) -> tuple[list[tuple[str, str]], int | None]:
    """Headers for response metadata, and the status an ``x-http-code`` asks for."""
    out: list[tuple[str, str]] = []
    code: int | None = None
    for prefix, md in (("grpc-metadata-", initial), ("grpc-trailer-", trailing)):
        for k, v in md or ():
            k = k.lower()
            if k in _RESERVED or k in HOP_BY_HOP:
                continue
            if k == HTTP_CODE_KEY and prefix == "grpc-metadata-":
                if isinstance(v, str) and v.isdigit() and 200 <= int(v) <= 599:
                    code = int(v)
                continue
            if isinstance(v, bytes):
                value = base64.b64encode(v).decode()
            else:
                value = v
                if not _printable_ascii(value):
                    continue
            out.append((prefix + k, value))
    return out, code
