"""A failed call as one readable line on stderr, and the exit code scripts see.

The line is ``runyard: CODE: message [reason REASON] [field: description; …]``
from the google.rpc.Status the server sent (its ErrorInfo reason, BadRequest
field violations and ResourceInfo); the code table is in docs/cli.md.
"""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

__all__ = ["EXIT", "ExitCode", "describe", "exit_code_for"]


class ExitCode:
    OK = 0
    ERROR = 1  # the server failed (INTERNAL, UNKNOWN, DATA_LOSS, …) or anything else
    USAGE = 2  # bad command-line usage or config file (argparse's own code)
    NOT_FOUND = 3
    INVALID_ARGUMENT = 4  # INVALID_ARGUMENT, OUT_OF_RANGE: e.g. a bad filter
    DENIED = 5  # UNAUTHENTICATED, PERMISSION_DENIED
    CONFLICT = 6  # FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS: e.g. an illegal transition
    UNAVAILABLE = 7  # UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED: try again later


EXIT: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.NOT_FOUND: ExitCode.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT: ExitCode.INVALID_ARGUMENT,
    grpc.StatusCode.OUT_OF_RANGE: ExitCode.INVALID_ARGUMENT,
    grpc.StatusCode.UNAUTHENTICATED: ExitCode.DENIED,
    grpc.StatusCode.PERMISSION_DENIED: ExitCode.DENIED,
    grpc.StatusCode.FAILED_PRECONDITION: ExitCode.CONFLICT,
    grpc.StatusCode.ABORTED: ExitCode.CONFLICT,
    grpc.StatusCode.ALREADY_EXISTS: ExitCode.CONFLICT,
    grpc.StatusCode.UNAVAILABLE: ExitCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: ExitCode.UNAVAILABLE,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ExitCode.UNAVAILABLE,
}


def exit_code_for(code: grpc.StatusCode) -> int:
    return EXIT.get(code, ExitCode.ERROR)


def _details(status: status_pb2.Status, message: str) -> list[str]:
    parts: list[str] = []
    for any_msg in status.details:
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        if any_msg.Unpack(info):
            parts.insert(0, f"[reason {info.reason}]")
        elif any_msg.Unpack(bad):
            parts.extend(
                f"[{v.field}: {v.description}]"
                for v in bad.field_violations
                if v.description not in message  # already said
            )
    return parts


def describe(err: grpc.RpcError) -> tuple[str, int]:
    """``(line, exit code)`` for a failed call."""
    code: grpc.StatusCode = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    message = (err.details() if hasattr(err, "details") else str(err)) or ""
    parts = [f"{code.name}: {message or '(no message)'}"]
    try:
        status = rpc_status.from_call(err)  # type: ignore[arg-type]
    except ValueError:
        status = None
    if status is not None:
        parts.extend(_details(status, message))
    line = " ".join(parts).replace("\n", " ")
    return line, exit_code_for(code)
