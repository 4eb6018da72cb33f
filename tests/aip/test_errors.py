"""AIP-193 errors: every error is a google.rpc.Status with the right details."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2

from runyard.aip import errors


def _details(error: errors.ApiError) -> dict[str, object]:
    status = error.to_status()
    out: dict[str, object] = {"code": status.code}
    for any_detail in status.details:
        for cls in (
            error_details_pb2.ErrorInfo,
            error_details_pb2.BadRequest,
            error_details_pb2.ResourceInfo,
            error_details_pb2.RetryInfo,
        ):
            if any_detail.Is(cls.DESCRIPTOR):
                msg = cls()
                any_detail.Unpack(msg)
                out[cls.__name__] = msg
    return out


@pytest.mark.parametrize(
    ("error", "code", "reason", "extra"),
    [
        (
            errors.invalid_argument("filter", "bad"),
            code_pb2.INVALID_ARGUMENT,
            "INVALID_ARGUMENT",
            "BadRequest",
        ),
        (
            errors.required("reason"),
            code_pb2.INVALID_ARGUMENT,
            "REQUIRED_FIELD_MISSING",
            "BadRequest",
        ),
        (
            errors.not_found("runyard.dev/Run", "x"),
            code_pb2.NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "ResourceInfo",
        ),
        (
            errors.already_exists("runyard.dev/Run", "x"),
            code_pb2.ALREADY_EXISTS,
            "RESOURCE_ALREADY_EXISTS",
            "ResourceInfo",
        ),
        (
            errors.failed_precondition("ILLEGAL", "no"),
            code_pb2.FAILED_PRECONDITION,
            "ILLEGAL",
            None,
        ),
        (errors.aborted("ETAG_MISMATCH", "stale"), code_pb2.ABORTED, "ETAG_MISMATCH", None),
        (
            errors.unavailable("db down", 2.0),
            code_pb2.UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "RetryInfo",
        ),
        (
            errors.resource_exhausted("slow down", 1.5),
            code_pb2.RESOURCE_EXHAUSTED,
            "RATE_LIMITED",
            "RetryInfo",
        ),
        (errors.unauthenticated(), code_pb2.UNAUTHENTICATED, "UNAUTHENTICATED", None),
        (
            errors.permission_denied("organizations/x"),
            code_pb2.PERMISSION_DENIED,
            "PERMISSION_DENIED",
            "ResourceInfo",
        ),
        (errors.internal(), code_pb2.INTERNAL, "INTERNAL", None),
    ],
)
def test_status_details(error: errors.ApiError, code: int, reason: str, extra: str | None) -> None:
    found = _details(error)
    assert found["code"] == code
    info = found["ErrorInfo"]
    assert isinstance(info, error_details_pb2.ErrorInfo)
    assert info.reason == reason and info.domain == errors.DOMAIN
    if extra:
        assert extra in found


def test_retry_delay_is_carried() -> None:
    found = _details(errors.unavailable("db down", 2.5))
    retry = found["RetryInfo"]
    assert isinstance(retry, error_details_pb2.RetryInfo)
    assert retry.retry_delay.ToMilliseconds() == 2500


def test_internal_says_nothing_of_the_cause() -> None:
    error = errors.internal()
    assert error.message == "internal error" and error.code == grpc.StatusCode.INTERNAL
