"""Errors as google.rpc.Status: the gateway's own and the upstream's.

Every error leaves the gateway as a ``google.rpc.Status`` in proto3 JSON with
the HTTP status from google/rpc/code.proto (CANCELLED 499, FAILED_PRECONDITION
400, DEADLINE_EXCEEDED 504…), or — when the client asks with ``Accept:
application/problem+json`` — as RFC 9457 problem details of the same status.
``Retry-After`` comes from a RetryInfo detail, ``WWW-Authenticate`` is set on
401, and 405 carries ``Allow``.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import grpc
import orjson
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from ._json import to_json_value

__all__ = [
    "GRPC_TO_HTTP",
    "GatewayError",
    "bad_request",
    "error_response",
    "http_status_for",
    "status_from_parts",
    "status_from_rpc_error",
]

# google/rpc/code.proto's HTTP mapping; identical in Envoy and grpc-gateway v2.
GRPC_TO_HTTP: dict[int, int] = {
    code_pb2.OK: 200,
    code_pb2.CANCELLED: 499,
    code_pb2.UNKNOWN: 500,
    code_pb2.INVALID_ARGUMENT: 400,
    code_pb2.DEADLINE_EXCEEDED: 504,
    code_pb2.NOT_FOUND: 404,
    code_pb2.ALREADY_EXISTS: 409,
    code_pb2.PERMISSION_DENIED: 403,
    code_pb2.RESOURCE_EXHAUSTED: 429,
    code_pb2.FAILED_PRECONDITION: 400,
    code_pb2.ABORTED: 409,
    code_pb2.OUT_OF_RANGE: 400,
    code_pb2.UNIMPLEMENTED: 501,
    code_pb2.INTERNAL: 500,
    code_pb2.UNAVAILABLE: 503,
    code_pb2.DATA_LOSS: 500,
    code_pb2.UNAUTHENTICATED: 401,
}

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


def http_status_for(code: int) -> int:
    """The HTTP status of a gRPC code; 500 for codes outside the table."""
    return GRPC_TO_HTTP.get(code, 500)


class GatewayError(Exception):
    """An error with its google.rpc.Status; ``http_status`` overrides the table
    (405 for a wrong method, 413 for a body too large), ``headers`` are added to
    the response (``Allow``)."""

    def __init__(
        self,
        status: status_pb2.Status,
        *,
        http_status: int | None = None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(status.message)
        self.status = status
        self.http_status = http_status if http_status is not None else http_status_for(status.code)
        self.headers = list(headers)


def make_status(code: int, message: str, *details: Any) -> status_pb2.Status:
    st = status_pb2.Status(code=code, message=message)
    for d in details:
        a = any_pb2.Any()
        a.Pack(d)
        st.details.append(a)
    return st


def gateway_error(
    code: int,
    message: str,
    reason: str,
    domain: str,
    *extra: Any,
    http_status: int | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> GatewayError:
    """An error raised by the gateway itself, with an ErrorInfo detail."""
    info = error_details_pb2.ErrorInfo(reason=reason, domain=domain)
    return GatewayError(
        make_status(code, message, info, *extra), http_status=http_status, headers=headers
    )


def bad_request(
    message: str, field: str, description: str, domain: str, reason: str = "INVALID_REQUEST"
) -> GatewayError:
    """400 INVALID_ARGUMENT with a BadRequest field violation."""
    violation = error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
    return gateway_error(
        code_pb2.INVALID_ARGUMENT,
        message,
        reason,
        domain,
        error_details_pb2.BadRequest(field_violations=[violation]),
    )


def status_from_rpc_error(err: grpc.aio.AioRpcError) -> status_pb2.Status:
    """The full status of a failed call: from ``grpc-status-details-bin`` when the
    server sent one (it carries the details), else from code and message."""
    code = err.code()
    number = code.value[0] if code is not None else code_pb2.UNKNOWN
    trailing: Any = err.trailing_metadata() or ()
    return status_from_parts(number, err.details() or "", trailing)


def status_from_parts(
    code: int, message: str, trailing: Sequence[tuple[str, Any]]
) -> status_pb2.Status:
    """A call's status from its code, message and trailing metadata, whose
    ``grpc-status-details-bin`` (when it is there and of the same code) carries
    the details."""
    for key, value in trailing:
        if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                st = status_pb2.Status.FromString(value)
            except Exception:  # a broken detail blob must not hide the error itself
                break
            if st.code == code:
                return st
            break
    return status_pb2.Status(code=code, message=message)


def status_json(status: status_pb2.Status) -> dict[str, Any]:
    """``status`` as a proto3 JSON value; details of types this process does not
    know are rendered as ``{"@type": …, "value": base64}`` instead of failing."""
    out: dict[str, Any] = {"code": status.code, "message": status.message}
    details: list[Any] = []
    for d in status.details:
        try:
            details.append(to_json_value(d))
        except Exception:
            details.append({"@type": d.type_url, "value": base64.b64encode(d.value).decode()})
    out["details"] = details
    return out


def _retry_after(status: status_pb2.Status) -> str | None:
    for d in status.details:
        if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            d.Unpack(info)
            secs = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
            return str(max(0, math.ceil(secs)))
    return None


def _quote(text: str) -> str:
    # An auth-param quoted-string: no quotes, backslashes or control characters.
    return "".join(c for c in text if c.isprintable() and c not in '"\\')[:200]


def _code_name(code: int) -> str:
    try:
        return str(code_pb2.Code.Name(code))
    except ValueError:
        return "UNKNOWN"


def wants_problem_json(accept: str) -> bool:
    """Whether an Accept header asks for RFC 9457 problem details."""
    for part in accept.split(","):
        media, *params = part.split(";")
        if media.strip().lower() != "application/problem+json":
            continue
        for p in params:
            k, _, v = p.strip().partition("=")
            if k.strip().lower() == "q":
                try:
                    return float(v) > 0
                except ValueError:
                    return False
        return True
    return False


def error_response(
    err: GatewayError, *, accept: str = "", instance: str = ""
) -> tuple[int, list[tuple[str, str]], bytes]:
    """HTTP status, headers and body for ``err``."""
    st = err.status
    headers = list(err.headers)
    if err.http_status == 401 or st.code == code_pb2.UNAUTHENTICATED:
        headers.append(
            (
                "www-authenticate",
                f'Bearer error="invalid_token", error_description="{_quote(st.message)}"',
            )
        )
    retry = _retry_after(st)
    if retry is not None:
        headers.append(("retry-after", retry))
    body = status_json(st)
    if wants_problem_json(accept):
        try:
            title = HTTPStatus(err.http_status).phrase
        except ValueError:
            title = "Client Closed Request" if err.http_status == 499 else "Error"
        problem: dict[str, Any] = {
            "type": "about:blank",
            "title": title,
            "status": err.http_status,
            "detail": st.message,
        }
        if instance:
            problem["instance"] = instance
        problem["code"] = _code_name(st.code)
        problem["grpcCode"] = st.code
        problem["details"] = body["details"]
        headers.append(("content-type", "application/problem+json"))
        return err.http_status, headers, orjson.dumps(problem)
    headers.append(("content-type", "application/json"))
    return err.http_status, headers, orjson.dumps(body)
