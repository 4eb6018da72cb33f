"""Every List method sends its page as framed stored bodies: over gRPC the bytes
are those the message path (parse the page, serialize it again) would have
sent, and over REST the JSON is that of the message, page after page."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from google.protobuf import json_format
from google.protobuf.message import Message

from runyard.gateway.jsoncodec import encode_message
from runyard.v1 import automation_pb2, run_pb2, run_service_pb2, workspace_pb2
from tests.api.test_run_lifecycle import AUTO, WS, setup_automation
from tests.plugins.servers import RunyardProcess, Stubs

Run = run_pb2.Run
rs = run_service_pb2


def _raw(stubs: Stubs, method: str, request: Message) -> bytes:
    """The response's bytes as they came over the wire ("Service/Method" or a
    RunService method)."""
    path = method if "/" in method else f"RunService/{method}"
    call = stubs.channel.unary_unary(
        f"/runyard.v1.{path}", request_serializer=type(request).SerializeToString
    )
    return call(request, timeout=30)  # type: ignore[no-any-return]


def _walk(fetch: Callable[[str], Any], token: Callable[[Any], str]) -> list[Any]:
    pages, next_token = [], ""
    for _ in range(20):  # bounded: the data spans a handful of pages
        page = fetch(next_token)
        pages.append(page)
        next_token = token(page)
        if not next_token:
            return pages
    raise AssertionError("more pages than runs")


def _http(server: RunyardProcess) -> httpx.Client:
    return httpx.Client(
        base_url=server.http_base + "/v1/", timeout=30, headers=server.auth_headers("acme")
    )


def _check(
    stubs: Stubs,
    http: httpx.Client,
    method: str,
    request: Message,
    path: str,
    cls: type[Message],
    items: str,
) -> int:
    """Walks the pages over gRPC and REST; returns how many items they held."""

    def grpc_page(token: str) -> tuple[bytes, Message]:
        req = type(request)()
        req.CopyFrom(request)
        req.page_token = token  # type: ignore[attr-defined]
        data = _raw(stubs, method, req)
        return data, cls.FromString(data)

    grpc_pages = _walk(grpc_page, lambda p: p[1].next_page_token)
    for data, message in grpc_pages:
        # No run here has a map of two entries or more (whose order upb may
        # change when it serializes a parsed message), so the bytes are equal.
        assert data == message.SerializeToString()

    page_size = request.page_size  # type: ignore[attr-defined]

    def rest_page(token: str) -> bytes:
        params: dict[str, Any] = {"pageSize": page_size}
        if token:
            params["pageToken"] = token
        response = http.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.content

    rest_pages = _walk(rest_page, lambda body: json.loads(body).get("nextPageToken", ""))
    assert len(rest_pages) == len(grpc_pages)
    count = 0
    for body, (_, message) in zip(rest_pages, grpc_pages, strict=True):
        count += len(getattr(message, items))
        assert body == encode_message(message)
        assert json.loads(body) == json.loads(json_format.MessageToJson(message))
    return count


def test_pages_over_grpc_and_rest_are_those_of_the_message(
    stubs: Stubs, runyard_server: RunyardProcess
) -> None:
    setup_automation(stubs)
    names = []
    for i in range(7):
        labels = {"team": f"t{i}"} if i % 2 else {}
        run = Run(trigger=Run.SCHEDULE, caller="tests", labels=labels)
        names.append(stubs.runs.CreateRun(rs.CreateRunRequest(parent=AUTO, run=run)).name)
    busy = names[0]
    stubs.runs.PauseRun(rs.PauseRunRequest(name=busy, reason="wait"))
    stubs.runs.ContinueRun(rs.ContinueRunRequest(name=busy))
    stubs.runs.CancelRun(rs.CancelRunRequest(name=busy, reason="enough"))

    with _http(runyard_server) as http:
        runs = _check(
            stubs,
            http,
            "ListRuns",
            rs.ListRunsRequest(parent=AUTO, page_size=3),
            f"{AUTO}/runs",
            rs.ListRunsResponse,
            "runs",
        )
        assert runs == len(names)
        events = _check(
            stubs,
            http,
            "ListRunEvents",
            rs.ListRunEventsRequest(parent=busy, page_size=2),
            f"{busy}/events",
            rs.ListRunEventsResponse,
            "run_events",
        )
        assert events >= 4
    # A filtered page through the client's message path reads the same runs.
    failed = stubs.runs.ListRuns(rs.ListRunsRequest(parent=AUTO, filter="state = CANCELLED"))
    assert [r.name for r in failed.runs] == [busy]


def test_automation_and_workspace_pages_are_those_of_the_message(
    stubs: Stubs, runyard_server: RunyardProcess
) -> None:
    setup_automation(stubs)
    for i in range(4):
        stubs.automations.CreateAutomation(
            automation_pb2.CreateAutomationRequest(
                parent=WS,
                automation_id=f"job-{i}",
                automation=automation_pb2.Automation(
                    display_name=f"Job {i}", kind=automation_pb2.Automation.FUNCTION
                ),
            )
        )
        stubs.workspaces.CreateWorkspace(
            workspace_pb2.CreateWorkspaceRequest(
                parent="organizations/acme",
                workspace_id=f"ws-{i}",
                workspace=workspace_pb2.Workspace(display_name=f"WS {i}"),
            )
        )
    with _http(runyard_server) as http:
        automations = _check(
            stubs,
            http,
            "AutomationService/ListAutomations",
            automation_pb2.ListAutomationsRequest(parent=WS, page_size=2),
            f"{WS}/automations",
            automation_pb2.ListAutomationsResponse,
            "automations",
        )
        assert automations == 5
        workspaces = _check(
            stubs,
            http,
            "WorkspaceService/ListWorkspaces",
            workspace_pb2.ListWorkspacesRequest(parent="organizations/acme", page_size=2),
            "organizations/acme/workspaces",
            workspace_pb2.ListWorkspacesResponse,
            "workspaces",
        )
        assert workspaces == 5
