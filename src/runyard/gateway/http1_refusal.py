"""The answers runyard's HTTP/1.1 server gives itself (see
:mod:`runyard.gateway.http1`): a :class:`Refusal` carries the HTTP status, gRPC
code, ErrorInfo reason and message of one; :func:`malformed` names what llhttp
found wrong in bytes that are not HTTP/1.1."""

from __future__ import annotations

import httptools

__all__ = ["Refusal", "malformed"]


class Refusal(Exception):
    """A request the server answers itself: HTTP status, gRPC code, reason, message."""

    def __init__(self, http_status: int, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.reason = reason
        self.message = message


def malformed(exc: Exception) -> Refusal:
    text = str(exc).lower()
    if isinstance(exc, httptools.HttpParserInvalidMethodError) or "method" in text:
        what = "an invalid request method"
    elif isinstance(exc, httptools.HttpParserInvalidURLError) or "url" in text:
        what = "an invalid request target"
    elif "header" in text:
        what = "invalid bytes in a request header"
    elif "version" in text:
        what = "an invalid HTTP version"
    else:
        what = "a malformed request line, header or body framing"
    return Refusal(400, 3, "MALFORMED_REQUEST", f"malformed HTTP/1.1 request: {what}")
