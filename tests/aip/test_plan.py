"""plan_list, the validated page (runyard.aip.listing), without a database:
which argument is refused first, what a plan holds, and what binds its token."""

from __future__ import annotations

import dataclasses
from typing import Any

import grpc
import pytest

from runyard.aip.errors import ApiError
from runyard.aip.listing import ListRequest, plan_list
from runyard.v1 import run_service_pb2
from tests.aip.test_pagination import CODEC, COLLECTION

BAD_FILTER = {"filter": "nope = 1"}
BAD_ORDER = {"order_by": "nope"}
BAD_TOKEN = {"page_token": "x"}


@pytest.mark.parametrize(
    ("request_fields", "reason", "field"),
    [
        ({"page_size": -1, **BAD_FILTER, **BAD_TOKEN}, "INVALID_PAGE_SIZE", "page_size"),
        ({"skip": -1, **BAD_ORDER}, "INVALID_SKIP", "skip"),
        ({"skip": COLLECTION.max_skip + 1}, "INVALID_SKIP", "skip"),
        ({**BAD_ORDER, **BAD_FILTER, **BAD_TOKEN}, "INVALID_ORDER_BY", "order_by"),
        ({**BAD_FILTER, **BAD_TOKEN}, "INVALID_FILTER", "filter"),
        ({"filter": "state >"}, "INVALID_FILTER", "filter"),
        (BAD_TOKEN, "INVALID_PAGE_TOKEN", "page_token"),
    ],
)
def test_the_first_bad_argument_is_refused(
    request_fields: dict[str, Any], reason: str, field: str
) -> None:
    with pytest.raises(ApiError) as info:
        plan_list(COLLECTION, ListRequest("a", **request_fields), CODEC)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.reason == reason
    assert [v.field for v in info.value.field_violations] == [field]


@pytest.mark.parametrize(
    ("request_fields", "expected"),
    [
        ({}, {"page_size": 7, "offset": 0, "cursor": None, "filter": None}),
        ({"page_size": 500, "skip": 3}, {"page_size": 40, "offset": 3, "limit": 41}),
        ({"filter": "  state = 1 "}, {"filter_text": "state = 1"}),
        ({"order_by": "state"}, {"order.normalized": "state asc, id asc"}),
        ({"show_total_size": True}, {"show_total_size": True}),
    ],
)
def test_what_a_plan_holds(request_fields: dict[str, Any], expected: dict[str, Any]) -> None:
    plan = plan_list(COLLECTION, ListRequest("a", **request_fields), CODEC)
    for name, value in expected.items():
        got: Any = plan
        for part in name.split("."):
            got = getattr(got, part)
        assert got == value, name


def test_a_checked_filter_is_shared_between_plans() -> None:
    first = plan_list(COLLECTION, ListRequest("a", filter="state = 1"), CODEC)
    second = plan_list(COLLECTION, ListRequest("b", filter="state = 1"), CODEC)
    assert first.filter is not None and first.filter is second.filter


def test_page_trims_and_signs_from_the_last_row_kept() -> None:
    plan = plan_list(COLLECTION, ListRequest("a", page_size=2), CODEC)
    rows = [(b"x", 30, 3), (b"y", 20, 2), (b"z", 10, 1)]
    kept, token = plan.page(rows)
    assert kept == rows[:2]
    assert CODEC.decode(token, plan.fingerprint, 2) == [20, 2]
    assert plan.page(rows[:2]) == (rows[:2], "")
    small = dataclasses.replace(plan, collection=dataclasses.replace(COLLECTION, max_page_bytes=1))
    kept, token = small.page(rows)
    assert kept == rows[:1] and CODEC.decode(token, plan.fingerprint, 2) == [30, 3]


def message(**fields: Any) -> run_service_pb2.ListRunsRequest:
    return run_service_pb2.ListRunsRequest(parent="p", **fields)


def test_a_token_is_bound_to_the_whole_request_but_its_paging_fields() -> None:
    def plan(**fields: Any) -> Any:
        return plan_list(COLLECTION, ListRequest.of(message(**fields), COLLECTION), CODEC)

    token = CODEC.encode(plan(filter="state = 1").fingerprint, [1, 2])
    same = {"page_size": 3, "skip": 2, "show_total_size": True}
    assert plan(filter="state = 1", page_token=token, **same).cursor == (1, 2)
    for other in ({"filter": "state = 2"}, {"filter": "state = 1", "order_by": "state"}):
        with pytest.raises(ApiError, match="page token"):
            plan(page_token=token, **other)


def test_options_come_from_the_request() -> None:
    flagged = dataclasses.replace(COLLECTION, options=("show_total_size",))
    request = ListRequest.of(message(show_total_size=True), flagged)
    assert plan_list(flagged, request, CODEC).option("show_total_size") is True
    with pytest.raises(KeyError):
        plan_list(COLLECTION, request, CODEC).option("show_total_size")
