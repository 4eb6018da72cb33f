"""Strict HTTP input over both gateways (in-process and stand-alone): unknown
query parameters, JSON fields and enum names are 400 naming them; sub-fields of
well-known types bind from the query; HEAD works wherever GET does."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from tests.plugins.servers import RunyardProcess

WS = "organizations/demo/workspaces/main"
_ids = itertools.count()


def violations(r: httpx.Response) -> list[str]:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == 3
    return [
        v["field"]
        for d in body["details"]
        if d["@type"].endswith("google.rpc.BadRequest")
        for v in d["fieldViolations"]
    ]


@pytest.fixture
def http(gateway_base: str, demo_server: RunyardProcess) -> Any:
    auth = demo_server.auth_headers("demo")
    with httpx.Client(base_url=gateway_base, timeout=30, headers=auth) as client:
        yield client


def _automation(http: httpx.Client) -> str:
    aid = f"strict-{next(_ids)}-{http.base_url.port}"
    r = http.post(
        f"/v1/{WS}/automations",
        params={"automationId": aid},
        json={"displayName": "before", "description": "kept", "labels": {"a": "1"}},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["name"])


def test_unknown_query_parameter_is_400_naming_it(http: httpx.Client) -> None:
    r = http.get(f"/v1/{WS}/automations/-/runs", params={"filtre": "state = FAILED"})
    assert violations(r) == ["filtre"]
    assert "filtre" in r.json()["message"]


def test_unknown_json_field_and_wrong_case_enum_are_400(http: httpx.Client) -> None:
    name = _automation(http)
    r = http.post(f"/v1/{name}/runs", json={"trigger": "MANUAL", "colour": "red"})
    assert violations(r) == ["colour"]
    r = http.post(f"/v1/{name}/runs", json={"trigger": "manual"})
    assert violations(r) == ["trigger"]
    r = http.post(f"/v1/{name}/runs", json={"trigger": "MANUAL"})
    assert r.status_code == 200, r.text


def test_well_known_sub_fields_bind_from_the_query(http: httpx.Client) -> None:
    url = f"/v1/{WS}:automationRunAggregates"
    assert _total_runs(http.get(url)) > 0
    # nothing was created after 9999-01-01: an ignored parameter would count everything
    assert _total_runs(http.get(url, params={"startTime.seconds": "253370764800"})) == 0
    assert violations(http.get(url, params={"startTime.seconds": "253402300800"})) == ["start_time"]
    assert violations(http.get(url, params={"startTime.nanos": "x"})) == ["startTime.nanos"]


def _total_runs(r: httpx.Response) -> int:
    assert r.status_code == 200, r.text
    return sum(int(a.get("totalRuns", 0)) for a in r.json().get("automationRunAggregates", []))


@pytest.mark.parametrize(
    "mask",
    [
        "update_mask.paths=display_name",
        "updateMask.paths=displayName",
        "updateMask=displayName",
        "update_mask=display_name",
    ],
)
def test_update_mask_changes_only_the_masked_fields(http: httpx.Client, mask: str) -> None:
    name = _automation(http)
    r = http.patch(
        f"/v1/{name}?{mask}",
        json={"displayName": "after", "description": "", "labels": {}},
    )
    assert r.status_code == 200, r.text
    got = http.get(f"/v1/{name}").json()
    assert got["displayName"] == "after"
    assert got["description"] == "kept"
    assert got["labels"] == {"a": "1"}


def test_no_update_mask_writes_only_the_fields_sent(http: httpx.Client) -> None:
    # AIP-134: without a mask, the implied mask is the fields populated in the body.
    name = _automation(http)
    r = http.patch(f"/v1/{name}", json={"displayName": "after"})
    assert r.status_code == 200, r.text
    got = http.get(f"/v1/{name}").json()
    assert (got["displayName"], got["description"], got["labels"]) == ("after", "kept", {"a": "1"})


def test_update_mask_paths_repeated(http: httpx.Client) -> None:
    name = _automation(http)
    r = http.patch(
        f"/v1/{name}?update_mask.paths=display_name&update_mask.paths=description",
        json={"displayName": "after", "description": "new", "labels": {}},
    )
    assert r.status_code == 200, r.text
    got = http.get(f"/v1/{name}").json()
    assert (got["displayName"], got["description"], got["labels"]) == ("after", "new", {"a": "1"})


@pytest.mark.parametrize(
    "path",
    [f"/v1/{WS}", f"/v1/{WS}/automations?pageSize=1", "/openapi.json", "/docs"],
)
def test_head_answers_as_get_without_body(http: httpx.Client, path: str) -> None:
    get = http.get(path)
    head = http.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


def test_head_errors_and_allow(http: httpx.Client) -> None:
    r = http.head("/v1/nothing")
    assert r.status_code == 404 and r.content == b""
    r = http.put(f"/v1/{WS}")
    assert r.status_code == 405
    assert "HEAD" in r.headers["allow"].split(", ")


def test_long_uri_and_many_headers_are_status_json(http: httpx.Client) -> None:
    r = http.get(f"/v1/{WS}/automations", params={"filter": "x" * 20_000})
    assert r.status_code == 414 and r.json()["code"] == 3
    many = {f"x-h{i}": "v" for i in range(70)}
    r = http.get(f"/v1/{WS}", headers=many)
    assert r.status_code == 431 and r.json()["code"] == 3
    r = http.get(f"/v1/{WS}", headers={"x-big": "v" * 40_000})
    assert r.status_code == 431 and r.json()["details"]
