"""At most one retry per run, also under concurrent RetryRun calls; a request_id
reused with another request is refused, the same request repeated replays."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from runyard.v1 import run_service_pb2
from tests.api.test_run_lifecycle import create_run, setup_automation
from tests.errors import details_of
from tests.plugins.servers import Stubs

CALLERS = 12


def cancelled_run(stubs: Stubs) -> str:
    run = create_run(stubs)
    stubs.runs.CancelRun(run_service_pb2.CancelRunRequest(name=run.name))
    return run.name


def test_second_retry_is_failed_precondition_naming_the_first(stubs: Stubs) -> None:
    setup_automation(stubs)
    name = cancelled_run(stubs)
    retry = stubs.runs.RetryRun(run_service_pb2.RetryRunRequest(name=name))
    with pytest.raises(grpc.RpcError) as info:
        stubs.runs.RetryRun(run_service_pb2.RetryRunRequest(name=name))
    d = details_of(info.value)
    assert d.code == grpc.StatusCode.FAILED_PRECONDITION
    assert d.error_info is not None and d.error_info.reason == "ALREADY_RETRIED"
    assert d.error_info.metadata["retry"] == retry.name
    assert retry.name in d.message
    # the retry itself can be retried once more
    stubs.runs.CancelRun(run_service_pb2.CancelRunRequest(name=retry.name))
    again = stubs.runs.RetryRun(run_service_pb2.RetryRunRequest(name=retry.name))
    assert again.attempt == 3


def test_concurrent_retries_make_one_run(stubs: Stubs) -> None:
    setup_automation(stubs)
    name = cancelled_run(stubs)

    def retry(_: int) -> str:
        try:
            return stubs.runs.RetryRun(run_service_pb2.RetryRunRequest(name=name), timeout=60).name
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.FAILED_PRECONDITION, e.details()
            return ""

    with ThreadPoolExecutor(CALLERS) as pool:
        made = [n for n in pool.map(retry, range(CALLERS)) if n]
    assert len(made) == 1
    runs = stubs.runs.ListRuns(
        run_service_pb2.ListRunsRequest(parent=name.rsplit("/runs/", 1)[0], page_size=100)
    ).runs
    assert [r.name for r in runs if r.retried_run == name] == made


def test_request_id_reused_with_another_request(stubs: Stubs) -> None:
    setup_automation(stubs)
    rid = str(uuid.uuid4())
    first = create_run(stubs, request_id=rid)
    assert create_run(stubs, request_id=rid).name == first.name  # same request: replayed
    with pytest.raises(grpc.RpcError) as info:
        create_run(stubs, request_id=rid, run_id="another")
    d = details_of(info.value)
    assert d.code == grpc.StatusCode.INVALID_ARGUMENT
    assert d.error_info is not None and d.error_info.reason == "REQUEST_ID_REUSED"
    assert d.field_violations == ["request_id"]
    pause = str(uuid.uuid4())
    req = run_service_pb2.PauseRunRequest(name=first.name, reason="r", request_id=pause)
    assert stubs.runs.PauseRun(req).etag == stubs.runs.PauseRun(req).etag
    with pytest.raises(grpc.RpcError) as info:
        stubs.runs.PauseRun(
            run_service_pb2.PauseRunRequest(name=first.name, reason="other", request_id=pause)
        )
    assert details_of(info.value).error_info.reason == "REQUEST_ID_REUSED"  # type: ignore[union-attr]
