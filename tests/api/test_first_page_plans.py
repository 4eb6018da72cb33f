"""A List request's first page is planned once and reused for the same request,
collection and token codec; pages after it are planned every time."""

from __future__ import annotations

import pytest

from runyard.aip.errors import ApiError
from runyard.aip.pagination import PageTokenCodec
from runyard.api.context import list_plan
from runyard.store import listing
from runyard.v1 import run_service_pb2

PARENT = "organizations/o/workspaces/w/automations/a"


def test_first_pages_reused_only_for_the_same_request_and_codec() -> None:
    codec = PageTokenCodec(b"k" * 32)
    request = run_service_pb2.ListRunsRequest(parent=PARENT, page_size=2, filter="state = FAILED")
    first = list_plan(request, listing.RUNS, codec)
    assert list_plan(request, listing.RUNS, codec) is first
    again = run_service_pb2.ListRunsRequest()
    again.CopyFrom(request)
    assert list_plan(again, listing.RUNS, codec) is first  # equal request, same plan
    other = PageTokenCodec(b"j" * 32)
    assert list_plan(request, listing.RUNS, other).codec is other
    bigger = run_service_pb2.ListRunsRequest(parent=PARENT, page_size=3, filter="state = FAILED")
    assert list_plan(bigger, listing.RUNS, codec).page_size == 3
    token = codec.encode(first.fingerprint, list(range(len(first.order.terms))))
    request.page_token = token
    assert list_plan(request, listing.RUNS, codec).cursor is not None


def test_bad_requests_are_refused_every_time() -> None:
    codec = PageTokenCodec(b"k" * 32)
    bad = run_service_pb2.ListRunsRequest(parent=PARENT, filter="state = ")
    for _ in range(2):
        with pytest.raises(ApiError):
            list_plan(bad, listing.RUNS, codec)
