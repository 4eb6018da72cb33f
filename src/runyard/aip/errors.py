"""AIP-193 errors: one exception type that knows how to become a google.rpc.Status.

Every error carries an ErrorInfo (reason, domain, metadata); argument errors add
BadRequest field violations, not-found adds ResourceInfo, throttling and
unavailability add RetryInfo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

DOMAIN = "runyard.dev"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str
    reason: str = ""


@dataclass
class ApiError(Exception):
    """An error meant for the caller: its message and details are safe to show."""

    code: grpc.StatusCode
    message: str
    reason: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    field_violations: Sequence[FieldViolation] = ()
    resource_type: str = ""
    resource_name: str = ""
    retry_delay: float | None = None
    # QuotaFailure violations: (subject, description).
    quota_violations: Sequence[tuple[str, str]] = ()

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message} ({self.reason})"

    def to_status(self) -> status_pb2.Status:
        details: list[any_pb2.Any] = []

        def add(msg: object) -> None:
            packed = any_pb2.Any()
            packed.Pack(msg)  # type: ignore[arg-type]
            details.append(packed)

        add(
            error_details_pb2.ErrorInfo(
                reason=self.reason, domain=DOMAIN, metadata=dict(self.metadata)
            )
        )
        if self.field_violations:
            add(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description, reason=v.reason
                        )
                        for v in self.field_violations
                    ]
                )
            )
        if self.resource_type or self.resource_name:
            add(
                error_details_pb2.ResourceInfo(
                    resource_type=self.resource_type,
                    resource_name=self.resource_name,
                    description=self.message,
                )
            )
        if self.retry_delay is not None:
            delay = duration_pb2.Duration()
            delay.FromNanoseconds(int(self.retry_delay * 1e9))
            add(error_details_pb2.RetryInfo(retry_delay=delay))
        if self.quota_violations:
            add(
                error_details_pb2.QuotaFailure(
                    violations=[
                        error_details_pb2.QuotaFailure.Violation(subject=s, description=d)
                        for s, d in self.quota_violations
                    ]
                )
            )
        return status_pb2.Status(
            code=_CODE_NUMBER[self.code], message=self.message, details=details
        )


_CODE_NUMBER: dict[grpc.StatusCode, int] = {c: c.value[0] for c in grpc.StatusCode}
assert _CODE_NUMBER[grpc.StatusCode.NOT_FOUND] == code_pb2.NOT_FOUND


def invalid_argument(
    field_path: str,
    description: str,
    reason: str = "INVALID_ARGUMENT",
    **metadata: str,
) -> ApiError:
    """A caller's bad argument, pointing at the offending field."""
    return ApiError(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"{field_path}: {description}" if field_path else description,
        reason,
        {"field": field_path, **metadata} if field_path else dict(metadata),
        (FieldViolation(field_path, description, reason),) if field_path else (),
    )


def required(field_path: str) -> ApiError:
    return invalid_argument(field_path, "is required", "REQUIRED_FIELD_MISSING")


def not_found(resource_type: str, name: str) -> ApiError:
    return ApiError(
        grpc.StatusCode.NOT_FOUND,
        f"{resource_type} {name!r} was not found",
        "RESOURCE_NOT_FOUND",
        {"resource_type": resource_type, "name": name},
        resource_type=resource_type,
        resource_name=name,
    )


def already_exists(resource_type: str, name: str) -> ApiError:
    return ApiError(
        grpc.StatusCode.ALREADY_EXISTS,
        f"{resource_type} {name!r} already exists",
        "RESOURCE_ALREADY_EXISTS",
        {"resource_type": resource_type, "name": name},
        resource_type=resource_type,
        resource_name=name,
    )


def failed_precondition(reason: str, message: str, **metadata: str) -> ApiError:
    return ApiError(grpc.StatusCode.FAILED_PRECONDITION, message, reason, metadata)


def aborted(reason: str, message: str, **metadata: str) -> ApiError:
    return ApiError(grpc.StatusCode.ABORTED, message, reason, metadata)


def unavailable(message: str, retry_delay: float = 1.0) -> ApiError:
    return ApiError(
        grpc.StatusCode.UNAVAILABLE, message, "SERVICE_UNAVAILABLE", retry_delay=retry_delay
    )


def resource_exhausted(
    message: str,
    retry_delay: float,
    quota: Sequence[tuple[str, str]] = (),
    **metadata: str,
) -> ApiError:
    return ApiError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        message,
        "RATE_LIMITED",
        metadata,
        retry_delay=retry_delay,
        quota_violations=quota,
    )


def unauthenticated(
    message: str = "a valid bearer token is required", reason: str = "UNAUTHENTICATED"
) -> ApiError:
    return ApiError(grpc.StatusCode.UNAUTHENTICATED, message, reason)


def permission_denied(
    resource_name: str, reason: str = "PERMISSION_DENIED", **metadata: str
) -> ApiError:
    # AIP-211: the same answer whether or not the resource exists; the message and
    # details are built from the request alone.
    return ApiError(
        grpc.StatusCode.PERMISSION_DENIED,
        f"permission denied on {resource_name!r} (or it does not exist)",
        reason,
        {"name": resource_name, **metadata},
        resource_name=resource_name,
    )


def internal() -> ApiError:
    """What an unexpected failure becomes: no detail of it reaches the caller."""
    return ApiError(grpc.StatusCode.INTERNAL, "internal error", "INTERNAL")
