"""Reading AIP-193 details back out of a failed call."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass
class Details:
    code: grpc.StatusCode
    message: str
    error_info: error_details_pb2.ErrorInfo | None = None
    field_violations: list[str] = field(default_factory=list)
    resource_info: error_details_pb2.ResourceInfo | None = None


def details_of(err: grpc.RpcError) -> Details:
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert status is not None, f"no google.rpc.Status on {err}"
    out = Details(err.code(), status.message)  # type: ignore[attr-defined]
    for detail in status.details:
        for cls in (
            error_details_pb2.ErrorInfo,
            error_details_pb2.BadRequest,
            error_details_pb2.ResourceInfo,
        ):
            if detail.Is(cls.DESCRIPTOR):
                msg = cls()
                detail.Unpack(msg)
                if isinstance(msg, error_details_pb2.ErrorInfo):
                    out.error_info = msg
                elif isinstance(msg, error_details_pb2.BadRequest):
                    out.field_violations = [v.field for v in msg.field_violations]
                else:
                    out.resource_info = msg
    return out
