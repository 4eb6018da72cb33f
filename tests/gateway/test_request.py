"""Request building: path, query and body → request message (no network)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from gatewaytest.v1 import gatewaytest_pb2 as pb
from google.protobuf import json_format
from google.protobuf.message import Message

from runyard.gateway.errors import GatewayError
from runyard.gateway.request import RequestBuilder, parse_query
from runyard.gateway.routes import Binding, RuleError, read_bindings
from runyard.v1 import run_service_pb2

BINDINGS = {(b.rpc, b.index): b for b in read_bindings([pb.DESCRIPTOR])}


def build(
    rpc: str,
    query: str = "",
    body: bytes = b"",
    path: dict[str, str] | None = None,
    *,
    index: int = 0,
    content_type: str = "application/json",
    **opts: Any,
) -> Message:
    b: Binding = BINDINGS[(rpc, index)]
    builder = RequestBuilder(b, domain="test", **opts)
    values = {tuple(k.split(".")): v for k, v in (path or {}).items()}
    for v in b.template.variables:
        values.setdefault(v.field_path, "x")
    return builder.build(values, parse_query(query.encode()), body, content_type)


def as_dict(msg: Message) -> dict[str, Any]:
    return json_format.MessageToDict(msg)


ECHO_QUERY = [
    ("i32=-5", {"i32": -5}),
    ("u32=4294967295", {"u32": 4294967295}),
    ("u64=18446744073709551615", {"u64": "18446744073709551615"}),
    ("s64=-9223372036854775808", {"s64": "-9223372036854775808"}),
    ("f32=7&f64=8&sf32=-9&sf64=-10", {"f32": 7, "f64": "8", "sf32": -9, "sf64": "-10"}),
    ("fl=1.5&db=-2e3", {"fl": 1.5, "db": -2000.0}),
    ("db=NaN", {"db": "NaN"}),
    ("db=-Infinity", {"db": "-Infinity"}),
    ("flag=true", {"flag": True}),
    ("flag=0", {}),
    ("text=a+b%20c%2Bd", {"text": "a b c+d"}),
    ("text=", {}),
    ("data=aGk%3D", {"data": "aGk="}),
    ("data=aGk", {"data": "aGk="}),
    ("data=_-8", {"data": "/+8="}),
    ("color=GREEN", {"color": "GREEN"}),
    ("color=1", {"color": "RED"}),
    ("color=7", {"color": 7}),  # open enum: unknown numbers kept
    ("tags=a&tags=b,c", {"tags": ["a", "b,c"]}),
    ("colors=RED&colors=2", {"colors": ["RED", "GREEN"]}),
    ("numbers=1&numbers=-2", {"numbers": ["1", "-2"]}),
    ("nested.note=n&nested.child.level=3", {"nested": {"note": "n", "child": {"level": 3}}}),
    ("time=2024-01-02T03:04:05.123Z", {"time": "2024-01-02T03:04:05.123Z"}),
    ("time=2024-01-02T05:04:05%2B02:00", {"time": "2024-01-02T03:04:05Z"}),
    ("wait=1.5s", {"wait": "1.500s"}),
    ("wait=-3s", {"wait": "-3s"}),
    ("mask=displayName,nested.childNote", {"mask": "displayName,nested.childNote"}),
    ("mask=display_name", {"mask": "displayName"}),
    ("strValue=", {"strValue": ""}),
    ("i32Value=0", {"i32Value": 0}),
    ("i64Value=-7&u64Value=8&u32Value=9", {"i64Value": "-7", "u64Value": "8", "u32Value": 9}),
    ("floatValue=0.5&doubleValue=2", {"floatValue": 0.5, "doubleValue": 2.0}),
    ("boolValue=false", {"boolValue": False}),
    ("bytesValue=AAE%3D", {"bytesValue": "AAE="}),
    ("value=%7B%22a%22%3A%5B1%2Cnull%5D%7D", {"value": {"a": [1.0, None]}}),
    ("value=%22s%22", {"value": "s"}),
    ("struct=%7B%22k%22%3Atrue%7D", {"struct": {"k": True}}),
    ("list=%5B1%2C%22a%22%5D", {"list": [1.0, "a"]}),
    ("empty=", {"empty": {}}),
    (
        "times=2024-01-01T00:00:00Z&times=2025-01-01T00:00:00Z",
        {"times": ["2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"]},
    ),
    ("maybe=0", {"maybe": 0}),
    ("choiceNumber=4", {"choiceNumber": 4}),
    ("renamed=r", {"renamed": "r"}),
    ("custom=r", {"renamed": "r"}),  # proto name and json name both work
    # http.proto binds sub-fields of well-known types too
    ("time.seconds=1&time.nanos=5", {"time": "1970-01-01T00:00:01.000000005Z"}),
    ("wait.seconds=-3", {"wait": "-3s"}),
    ("mask.paths=a_b&mask.paths=cD", {"mask": "aB,cD"}),
    ("strValue.value=s&i64_value.value=-9", {"strValue": "s", "i64Value": "-9"}),
    ("boolValue.value=true", {"boolValue": True}),
]


@pytest.mark.parametrize(("query", "want"), ECHO_QUERY)
def test_echo_query(query: str, want: dict[str, Any]) -> None:
    got = as_dict(build("Echo", query, path={"id": "1"}))
    got.pop("id")
    if want.get("db") == "NaN":
        assert got == {"db": "NaN"} or math.isnan(got["db"])
        return
    assert got == want


ECHO_BAD_QUERY = [
    ("i32=2147483648", "i32"),
    ("i32=1.0", "i32"),
    ("i32=1e3", "i32"),
    ("i32=0x10", "i32"),
    ("i32=%205", "i32"),
    ("u32=-1", "u32"),
    ("u64=18446744073709551616", "u64"),
    ("fl=1e39", "fl"),
    ("db=inf", "db"),
    ("flag=yes", "flag"),
    ("flag=", "flag"),
    ("data=a$b", "data"),
    ("color=green", "color"),
    ("color=BLUE", "color"),
    ("i32=1&i32=2", "i32"),
    ("i32=1&i32=1", "i32"),
    ("renamed=a&custom=b", "custom"),
    ("time=2024-01-02", "time"),
    ("wait=90m", "wait"),
    ("i64Value=x", "i64Value"),
    ("value=%7Bbad", "value"),
    ("nested=x", "nested"),  # a message is not a leaf
    ("any=x", "any"),
    ("counts=1", "counts"),  # maps cannot be set from the query
    ("empty=x", "empty"),
    ("id=3", "id"),  # path-bound
    ("choiceText=a&choiceNumber=1", None),
]


@pytest.mark.parametrize(("query", "field"), ECHO_BAD_QUERY)
def test_echo_bad_query_is_400(query: str, field: str | None) -> None:
    with pytest.raises(GatewayError) as info:
        build("Echo", query, path={"id": "1"})
    err = info.value
    assert err.http_status == 400
    assert err.status.code == 3
    if field is not None:
        assert f"'{field}'" in err.status.message


@pytest.mark.parametrize("query", ["a=%zz", "a=%", "%C3=1", "a=\xff"])
def test_malformed_query_strings(query: str) -> None:
    with pytest.raises(ValueError):
        parse_query(query.encode("latin-1"))


def test_query_pairs() -> None:
    assert parse_query(b"a=1&&b&c=x+y&d=%2B&e=1=2") == [
        ("a", "1"),
        ("b", ""),
        ("c", "x y"),
        ("d", "+"),
        ("e", "1=2"),
    ]


UNKNOWN_QUERY = ["page_size=4", "nested.nope=2", "any.type_url=x", "struct.fields=1", "COLOR=RED"]


@pytest.mark.parametrize("query", UNKNOWN_QUERY)
def test_unknown_query_parameters_are_refused_unless_relaxed(query: str) -> None:
    with pytest.raises(GatewayError) as info:
        build("Echo", query, path={"id": "1"})
    assert "unknown parameter" in info.value.status.message
    key = query.split("=")[0]
    assert _violations(info.value) == [key]
    assert as_dict(build("Echo", query, path={"id": "1"}, strict_query=False)) == {"id": "1"}


def _violations(err: GatewayError) -> list[str]:
    from google.rpc import error_details_pb2

    out: list[str] = []
    for d in err.status.details:
        if d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            br = error_details_pb2.BadRequest()
            d.Unpack(br)
            out += [v.field for v in br.field_violations]
    return out


@pytest.mark.parametrize(
    "query",
    [
        "time=1970-01-01T00:00:01Z&time.seconds=2",  # one value set both ways
        "mask=a&mask.paths=b",
        "time.seconds=253402300800",  # past 9999-12-31
        "time.nanos=-1",
        "wait.seconds=1&wait.nanos=-1",  # signs differ
        "color=red",  # enum names are case-sensitive
        "time.seconds=x",
    ],
)
def test_bad_well_known_sub_fields_and_enum_case_are_400(query: str) -> None:
    with pytest.raises(GatewayError) as info:
        build("Echo", query, path={"id": "1"})
    assert info.value.http_status == 400
    assert _violations(info.value)


def test_path_values_are_typed_and_nested() -> None:
    assert build("Echo", path={"id": "-42"}).id == -42  # type: ignore[attr-defined]
    with pytest.raises(GatewayError) as info:
        build("Echo", path={"id": "abc"})
    assert info.value.http_status == 400
    msg = build("UpdateItem", path={"item.name": "shelves/s/items/i"}, body=b'{"title":"t"}')
    assert as_dict(msg) == {"item": {"name": "shelves/s/items/i", "title": "t"}}


def test_path_wins_over_body_and_query_cannot_touch_path_or_body() -> None:
    msg = build(
        "ArchiveItem", body=b'{"name":"evil","reason":"r"}', path={"name": "shelves/s/items/i"}
    )
    assert as_dict(msg) == {"name": "shelves/s/items/i", "reason": "r"}
    msg = build("UpdateItem", body=b'{"name":"evil"}', path={"item.name": "shelves/s/items/i"})
    assert msg.item.name == "shelves/s/items/i"  # type: ignore[attr-defined]
    for rpc, query in [
        ("ArchiveItem", "reason=fromquery"),  # body "*" covers every field
        ("CreateItem", "item.title=x"),  # body field
        ("CreateItem", "parent=shelves/evil"),  # path-bound
        ("UpdateItem", "item.name=x"),
    ]:
        with pytest.raises(GatewayError):
            build(rpc, query, body=b"{}", path={})


def test_body_field_and_remaining_query() -> None:
    msg = build(
        "CreateItem",
        "itemId=i7",
        b'{"title":"T","size":"5","tags":["a"]}',
        path={"parent": "shelves/s"},
    )
    assert as_dict(msg) == {
        "parent": "shelves/s",
        "itemId": "i7",
        "item": {"title": "T", "size": "5", "tags": ["a"]},
    }
    # The wrapped form is an unknown field of Item: refused, or ignored when relaxed.
    with pytest.raises(GatewayError) as info:
        build("CreateItem", body=b'{"item":{"title":"T"}}', path={"parent": "p"})
    assert _violations(info.value) == ["item"]
    relaxed = build(
        "CreateItem",
        body=b'{"item":{"title":"T"}}',
        path={"parent": "p"},
        ignore_unknown_body_fields=True,
    )
    assert as_dict(relaxed) == {"parent": "p", "item": {}}
    # update_mask from the query, camelCase paths stored snake_case
    msg = build("UpdateItem", "updateMask=title,createTime", b"{}", path={"item.name": "n"})
    assert list(msg.update_mask.paths) == ["title", "create_time"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "body",
    [
        b"[1]",
        b'{"title":1',
        b'{"title":"a"} x',
        b'"str"',
        b'{"size":"abc"}',
        b'{"tags":"a"}',
        b"\xff",
    ],
)
def test_bad_bodies_are_400(body: bytes) -> None:
    with pytest.raises(GatewayError) as info:
        build("CreateItem", body=body, path={"parent": "p"})
    assert info.value.http_status == 400


def test_unknown_body_fields_and_enum_names_rejected_or_ignored() -> None:
    relaxed = {"ignore_unknown_body_fields": True}
    got = build("ArchiveItem", body=b'{"nope":1}', path={"name": "n"}, **relaxed)
    assert as_dict(got) == {"name": "n"}
    with pytest.raises(GatewayError) as info:
        build("ArchiveItem", body=b'{"nope":1}', path={"name": "n"})
    assert _violations(info.value) == ["nope"]
    assert "nope" in info.value.status.message


def test_empty_body_gives_defaults_and_no_body_rule_ignores_body() -> None:
    assert as_dict(build("ArchiveItem", path={"name": "n"})) == {"name": "n"}
    assert as_dict(build("GetItem", body=b'{"name":"evil"}', path={"name": "n"})) == {"name": "n"}


def test_http_body_request_field_takes_raw_bytes() -> None:
    msg = build(
        "UploadBlob", body=b"\x00raw,csv", path={"name": "blobs/a/b"}, content_type="text/csv"
    )
    assert msg.payload.data == b"\x00raw,csv"  # type: ignore[attr-defined]
    assert msg.payload.content_type == "text/csv"  # type: ignore[attr-defined]


def test_runyard_bindings_build() -> None:
    bindings = {(b.rpc, b.index): b for b in read_bindings([run_service_pb2.DESCRIPTOR])}
    b = bindings[("ListRuns", 0)]
    msg = RequestBuilder(b, domain="t").build(
        {("parent",): "organizations/o/workspaces/w/automations/-"},
        parse_query(b"pageSize=10&filter=state+%3D+FAILED&orderBy=start_time+desc&showTotalSize=1"),
        b"",
        "",
    )
    assert as_dict(msg) == {
        "parent": "organizations/o/workspaces/w/automations/-",
        "pageSize": 10,
        "filter": "state = FAILED",
        "orderBy": "start_time desc",
        "showTotalSize": True,
    }
    b = bindings[("QueryDailyRunAggregates", 0)]
    msg = RequestBuilder(b, domain="t").build(
        {("parent",): "organizations/o/workspaces/w"},
        parse_query(
            b"timeZone=Europe%2FBerlin&startDate.year=2026&startDate.month=3&startDate.day=1"
        ),
        b"",
        "",
    )
    assert as_dict(msg)["startDate"] == {"year": 2026, "month": 3, "day": 1}


@pytest.mark.parametrize(
    ("rule_proto", "message"),
    [
        ("/v1/{nope}", "no field"),
        ("/v1/{nested}", "not a scalar"),
        ("/v1/{tags}", "repeated"),
    ],
)
def test_bad_rules_stop_startup(rule_proto: str, message: str) -> None:
    from google.api import http_pb2

    from runyard.gateway.routes import _binding

    method = pb.DESCRIPTOR.services_by_name["Library"].methods_by_name["Echo"]
    with pytest.raises(RuleError, match=message):
        _binding("s", method, http_pb2.HttpRule(get=rule_proto), 0)
    with pytest.raises(RuleError, match="body field"):
        _binding("s", method, http_pb2.HttpRule(get="/v1/x", body="tags"), 0)
    with pytest.raises(RuleError, match="response_body"):
        _binding("s", method, http_pb2.HttpRule(get="/v1/x", response_body="nope"), 0)
