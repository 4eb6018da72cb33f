"""Every List RPC validates its page (filter, order_by, page_token) before the
store looks for the parent: a bad argument under a parent that does not exist
is INVALID_ARGUMENT, a good one NOT_FOUND."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest

from runyard.v1 import (
    automation_pb2,
    execution_pb2,
    operation_pb2,
    operation_pb2_grpc,
    run_service_pb2,
    token_pb2,
)
from tests.errors import details_of
from tests.plugins.servers import Stubs

WS = "organizations/acme/workspaces/nowhere"


def cases(stubs: Stubs) -> list[tuple[str, Callable[..., Any], Any, str]]:
    """(what, call, request class, parent that does not exist)."""
    ops = operation_pb2_grpc.OperationServiceStub(stubs.channel)
    return [
        ("ListRuns", stubs.runs.ListRuns, run_service_pb2.ListRunsRequest, f"{WS}/automations/a"),
        ("ListRuns -", stubs.runs.ListRuns, run_service_pb2.ListRunsRequest, f"{WS}/automations/-"),
        (
            "ListRunEvents",
            stubs.runs.ListRunEvents,
            run_service_pb2.ListRunEventsRequest,
            f"{WS}/automations/a/runs/r",
        ),
        (
            "ListAutomations",
            stubs.automations.ListAutomations,
            automation_pb2.ListAutomationsRequest,
            WS,
        ),
        (
            "ListExecutions",
            stubs.executions.ListExecutions,
            execution_pb2.ListExecutionsRequest,
            WS,
        ),
        ("ListOperations", ops.ListOperations, operation_pb2.ListOperationsRequest, WS),
        (
            "ListOperationFailures",
            ops.ListOperationFailures,
            operation_pb2.ListOperationFailuresRequest,
            f"{WS}/operations/o",
        ),
    ]


def code_and_reason(call: Callable[..., Any], request: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=30)
    d = details_of(info.value)
    return d.code, d.error_info.reason if d.error_info is not None else ""


def test_arguments_are_checked_before_the_parent(stubs: Stubs) -> None:
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    for what, call, request_type, parent in cases(stubs):
        bad_filter = request_type(parent=parent, filter="no_such_field = 1")
        assert code_and_reason(call, bad_filter) == (invalid, "INVALID_FILTER"), what
        bad_token = request_type(parent=parent, page_token="bm90IGEgdG9rZW4")
        assert code_and_reason(call, bad_token) == (invalid, "INVALID_PAGE_TOKEN"), what
        if "order_by" in request_type.DESCRIPTOR.fields_by_name:
            bad_order = request_type(parent=parent, order_by="no_such_field")
            assert code_and_reason(call, bad_order) == (invalid, "INVALID_ORDER_BY"), what
        code, _ = code_and_reason(call, request_type(parent=parent, filter=""))
        assert code == grpc.StatusCode.NOT_FOUND, what
    bad_token = token_pb2.ListTokensRequest(parent="organizations/acme", page_token="x")
    assert code_and_reason(stubs.tokens.ListTokens, bad_token) == (invalid, "INVALID_PAGE_TOKEN")
