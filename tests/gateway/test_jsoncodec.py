"""proto3 JSON codec of the gateway, encoding: equal to json_format, round trips.

Property tests draw random messages of every message type of runyard.v1 and
jsontest.v1 (a test-only proto exercising every field kind and well-known
type) from a descriptor-driven strategy (jsoncodec_cases.py), and check that
encode_message equals json_format's output as parsed JSON (with and without
emit_unpopulated) and that decode_message reads both its own output and
json_format's back to the same message; then a table of encodings.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pytest
from google.protobuf import (
    any_pb2,
    descriptor_pb2,
    descriptor_pool,
    field_mask_pb2,
    json_format,
    message_factory,
    struct_pb2,
    wrappers_pb2,
)
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from jsontest.v1 import jsontest_pb2

from runyard.gateway import jsoncodec
from runyard.gateway.jsoncodec import (
    JsonEncodeError,
    decode_message,
    encode_message,
    encode_messages,
    to_json_value,
)
from runyard.v1 import run_pb2, run_service_pb2
from tests.gateway.jsoncodec_cases import (
    _SETTINGS,
    ALL_TYPES,
    ENCODE_CASES,
    _check_roundtrips,
    _dur,
    _json_equal,
    _reference,
    _same,
    _ts,
    messages,
)


@pytest.mark.parametrize(("name", "desc"), ALL_TYPES, ids=[n for n, _ in ALL_TYPES])
def test_random_messages_match_json_format(name: str, desc: Descriptor) -> None:
    @_SETTINGS
    @given(messages(desc))
    def check(msg: Message) -> None:
        _check_roundtrips(msg)

    check()


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(messages(jsontest_pb2.Everything.DESCRIPTOR))
def test_everything_matches_json_format(msg: Message) -> None:
    _check_roundtrips(msg)


def test_every_file_type_is_covered() -> None:
    names = {n for n, _ in ALL_TYPES}
    assert {"runyard.v1.Run", "runyard.v1.ListRunsResponse", "jsontest.v1.Everything"} <= names


# ---- table-driven encoding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "msg", "expected"), ENCODE_CASES, ids=[c[0] for c in ENCODE_CASES]
)
def test_encode_table(name: str, msg: Message, expected: Any) -> None:
    assert _json_equal(orjson.loads(encode_message(msg)), expected)
    assert _json_equal(_reference(msg, False), expected)
    back = type(msg)()
    decode_message(encode_message(msg), back)
    if name != "value-unset":  # an unset Value prints as null, which reads back as null_value
        assert _same(back, msg)


def test_any_with_well_known_and_nested_any() -> None:
    inner = any_pb2.Any()
    inner.Pack(_dur(-3, -100_000_000))
    outer = jsontest_pb2.WellKnown()
    outer.any.Pack(inner)
    outer.r_any.add().Pack(jsontest_pb2.Scalars(f_int32=3))
    outer.m_any["k"].Pack(wrappers_pb2.StringValue(value="s"))
    got = orjson.loads(encode_message(outer))
    assert got["any"] == {
        "@type": "type.googleapis.com/google.protobuf.Any",
        "value": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "-3.100s"},
    }
    assert got["rAny"] == [{"@type": "type.googleapis.com/jsontest.v1.Scalars", "fInt32": 3}]
    assert got["mAny"] == {
        "k": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": "s"}
    }
    _check_roundtrips(outer)


def test_encode_messages_is_an_array() -> None:
    runs = [run_pb2.Run(name=f"r{i}", config_version=i) for i in range(3)]
    assert orjson.loads(encode_messages(runs)) == [
        {"name": "r0"},
        {"name": "r1", "configVersion": "1"},
        {"name": "r2", "configVersion": "2"},
    ]
    assert orjson.loads(encode_messages(runs, emit_unpopulated=True))[0]["configVersion"] == "0"
    assert encode_messages([]) == b"[]"
    assert to_json_value(runs[1]) == {"name": "r1", "configVersion": "1"}


@pytest.mark.parametrize(
    "msg",
    [
        _ts(253402300800),
        _ts(0, -1),
        _dur(315576000001),
        _dur(1, -1),
        struct_pb2.Value(number_value=math.nan),
        struct_pb2.Value(number_value=math.inf),
        field_mask_pb2.FieldMask(paths=["fooBar"]),
        field_mask_pb2.FieldMask(paths=["foo_"]),
        any_pb2.Any(type_url="type.googleapis.com/no.such.Type", value=b""),
        any_pb2.Any(type_url="type.googleapis.com/jsontest.v1.Scalars", value=b"\xff\xff"),
    ],
    ids=repr,
)
def test_encode_rejects_values_without_json_form(msg: Message) -> None:
    with pytest.raises(JsonEncodeError):
        encode_message(msg)


def test_encode_rejects_messages_nested_too_deeply() -> None:
    deep = jsontest_pb2.Nested()
    node = deep
    for _ in range(400):
        node = node.child
    node.label = "bottom"
    with pytest.raises(JsonEncodeError):
        encode_message(deep)
    value = struct_pb2.Value()
    v = value
    for _ in range(300):
        v = v.list_value.values.add()
    with pytest.raises(JsonEncodeError):
        encode_message(value)


def test_page_elements_memoised_by_their_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from runyard.gateway import jsoncodec_encode_wire
    from runyard.gateway.jsoncodec_encode import MEMO, ElementMemo

    # The memo serves the Python encoder (the compiled printer prints pages whole).
    monkeypatch.setattr(jsoncodec_encode_wire, "ENABLED", False)

    def page(tag: str) -> run_service_pb2.ListRunsResponse:
        runs = [
            run_pb2.Run(name=f"r{i}", caller=tag, labels={"k": tag}, config_version=i)
            for i in range(3)
        ]
        for i, r in enumerate(runs):
            r.create_time.FromSeconds(1_700_000_000 + i)
        return run_service_pb2.ListRunsResponse(runs=runs, next_page_token=tag)

    MEMO.clear()
    first = page("a")
    cold = encode_message(first)
    assert MEMO.entries  # the runs were kept…
    warm = encode_message(page("a"))  # …and a page with the same runs reads them back
    assert warm == cold
    assert orjson.loads(warm) == _reference(first, False)
    changed = page("b")  # other bytes: encoded afresh, never the kept JSON
    assert orjson.loads(encode_message(changed)) == _reference(changed, False)
    for emit in (False, True):  # kept apart per emit_unpopulated
        assert orjson.loads(encode_message(first, emit_unpopulated=emit)) == _reference(first, emit)
    # to_json_value gives plain values, never memoised fragments.
    assert to_json_value(first) == _reference(first, False)

    small = ElementMemo(max_bytes=200)
    enc = jsoncodec.encoder_for(run_pb2.Run.DESCRIPTOR, False)
    for r in page("c").runs:
        assert orjson.loads(orjson.dumps(small.encode(enc, r))) == enc(r)
    assert 0 < small.size <= 200 and len(small.entries) < 3  # oldest out first


def test_field_names_that_are_python_keywords() -> None:
    fdp = descriptor_pb2.FileDescriptorProto(name="kwtest.proto", package="kwtest", syntax="proto3")
    msg = fdp.message_type.add(name="K")
    for number, name in enumerate(["from", "class", "lambda_value", "None"], start=1):
        msg.field.add(
            name=name,
            number=number,
            type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
            label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
        )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("kwtest.K"))
    m = cls()
    setattr(m, "from", "a")
    setattr(m, "class", "b")
    setattr(m, "None", "c")
    assert orjson.loads(encode_message(m)) == json.loads(json_format.MessageToJson(m))
    back = cls()
    decode_message(encode_message(m, emit_unpopulated=True), back)
    assert back == m
