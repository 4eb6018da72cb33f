"""proto3 JSON codec of the gateway, decoding: both field names, null and well-known
forms, errors with the path of the offending value, and malformed input only ever
raising JsonDecodeError (a ValueError).
"""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import (
    timestamp_pb2,
)
from google.protobuf.message import Message
from hypothesis import given, settings
from hypothesis import strategies as st
from jsontest.v1 import jsontest_pb2

from runyard.gateway import jsoncodec
from runyard.gateway.jsoncodec import (
    JsonDecodeError,
    decode_message,
)
from runyard.v1 import run_pb2, run_service_pb2
from tests.gateway.jsoncodec_cases import (
    _dur,
    _ts,
)


def test_decode_accepts_both_names_enum_numbers_and_string_numbers() -> None:
    m = jsontest_pb2.Scalars()
    decode_message(
        b'{"f_int64": 5, "fUint64": "18446744073709551615", "f_enum": 2, "customName": "c",'
        b' "fDouble": "1e3", "fFloat": "-Infinity", "fInt32": 1e2, "fSint32": "-7",'
        b' "fBytes": "-_8", "fBool": null}',
        m,
    )
    assert m == jsontest_pb2.Scalars(
        f_int64=5,
        f_uint64=2**64 - 1,
        f_enum=2,
        renamed="c",
        f_double=1000.0,
        f_float=-math.inf,
        f_int32=100,
        f_sint32=-7,
        f_bytes=b"\xfb\xff",
    )
    m2 = jsontest_pb2.Scalars()
    decode_message({"renamed": "p", "f_enum": "COLOR_BLUE"}, m2)
    assert m2.renamed == "p" and m2.f_enum == -3


def test_decode_null_means_default_and_wkt_forms() -> None:
    m = jsontest_pb2.WellKnown()
    decode_message(
        {
            "timestamp": "2026-01-01T01:00:00.5+01:00",
            "duration": "-0.25s",
            "fieldMask": "aB.cD,e",
            "value": None,
            "struct": {"a": [1, "x", None, {"b": True}]},
            "wInt64": "-9",
            "wFloat": None,
            "nullValue": None,
            "empty": {},
            "any": {
                "@type": "type.googleapis.com/google.protobuf.Timestamp",
                "value": "1970-01-01T00:00:01Z",
            },
        },
        m,
    )
    assert m.timestamp == _ts(1767225600, 500_000_000)
    assert m.duration == _dur(0, -250_000_000)
    assert list(m.field_mask.paths) == ["a_b.c_d", "e"]
    assert m.value.WhichOneof("kind") == "null_value"
    assert m.struct.fields["a"].list_value.values[3].struct_value.fields["b"].bool_value
    assert m.w_int64.value == -9 and not m.HasField("w_float") and m.HasField("empty")
    assert m.any.Unpack(timestamp_pb2.Timestamp()) and m.any.value == _ts(1).SerializeToString()


def test_decode_ignores_or_rejects_unknown_fields_and_enum_names() -> None:
    m = jsontest_pb2.Repeateds()
    decode_message('{"nope": 1, "rEnum": ["COLOR_RED", "NOPE", 7]}', m)
    assert list(m.r_enum) == [1, 7]
    with pytest.raises(JsonDecodeError, match="nope"):
        decode_message('{"nope": 1}', jsontest_pb2.Repeateds(), ignore_unknown_fields=False)
    with pytest.raises(JsonDecodeError) as e:
        decode_message('{"rEnum": ["NOPE"]}', jsontest_pb2.Repeateds(), ignore_unknown_fields=False)
    assert e.value.path == "rEnum[0]"
    s = jsontest_pb2.Scalars(f_enum=1)
    decode_message('{"fEnum": "NOPE"}', s)
    assert s.f_enum == 1


def test_decode_replaces_repeated_and_merges_messages() -> None:
    m = jsontest_pb2.Nested(label="a", children=[jsontest_pb2.Nested(label="old")])
    m.scalars.f_int32 = 1
    decode_message('{"children": [{"label": "new"}], "scalars": {"fInt64": "2"}}', m)
    assert [c.label for c in m.children] == ["new"]
    assert m.scalars.f_int32 == 1 and m.scalars.f_int64 == 2 and m.label == "a"


def test_decode_error_reports_path() -> None:
    page = run_service_pb2.ListRunsResponse()
    with pytest.raises(JsonDecodeError) as e:
        decode_message('{"runs": [{}, {"createTime": "yesterday"}]}', page)
    assert e.value.path == "runs[1].createTime"
    assert str(e.value).startswith("runs[1].createTime: ")
    with pytest.raises(JsonDecodeError) as e:
        decode_message('{"labels": {"a": 1}}', run_pb2.Run())
    assert e.value.path == 'labels["a"]'


MALFORMED: list[tuple[str, type[Message], Any, str]] = [
    ("not json", jsontest_pb2.Scalars, b"{", ""),
    ("invalid utf-8", jsontest_pb2.Scalars, b'{"fString": "\xff"}', ""),
    ("top array", jsontest_pb2.Scalars, b"[]", ""),
    ("duplicate key", jsontest_pb2.Scalars, b'{"fInt32": 1, "fInt32": 2}', ""),
    ("both names", jsontest_pb2.Scalars, b'{"fInt32": 1, "f_int32": 2}', ""),
    ("bare NaN", jsontest_pb2.Scalars, b'{"fDouble": NaN}', ""),
    ("string for int", jsontest_pb2.Scalars, {"fInt32": "abc"}, "fInt32"),
    ("bool for int", jsontest_pb2.Scalars, {"fInt32": True}, "fInt32"),
    ("fraction for int", jsontest_pb2.Scalars, {"fInt64": 1.5}, "fInt64"),
    ("fraction string", jsontest_pb2.Scalars, {"fInt64": "1.5"}, "fInt64"),
    ("int32 overflow", jsontest_pb2.Scalars, {"fInt32": 2**31}, "fInt32"),
    ("uint negative", jsontest_pb2.Scalars, {"fUint32": -1}, "fUint32"),
    ("uint64 overflow", jsontest_pb2.Scalars, {"fUint64": str(2**64)}, "fUint64"),
    ("int64 huge exponent", jsontest_pb2.Scalars, {"fInt64": "1e999999"}, "fInt64"),
    ("int64 huge digits", jsontest_pb2.Scalars, {"fInt64": "9" * 5000}, "fInt64"),
    ("float overflow", jsontest_pb2.Scalars, {"fFloat": 1e39}, "fFloat"),
    ("double overflow string", jsontest_pb2.Scalars, {"fDouble": "1e400"}, "fDouble"),
    ("double garbage", jsontest_pb2.Scalars, {"fDouble": "nan"}, "fDouble"),
    ("double list", jsontest_pb2.Scalars, {"fDouble": []}, "fDouble"),
    ("int for bool", jsontest_pb2.Scalars, {"fBool": 1}, "fBool"),
    ("int for string", jsontest_pb2.Scalars, {"fString": 1}, "fString"),
    ("lone surrogate", jsontest_pb2.Scalars, b'{"fString": "\\ud800"}', "fString"),
    ("bad base64 char", jsontest_pb2.Scalars, {"fBytes": "a!b="}, "fBytes"),
    ("bad base64 length", jsontest_pb2.Scalars, {"fBytes": "abcde"}, "fBytes"),
    ("bytes as number", jsontest_pb2.Scalars, {"fBytes": 5}, "fBytes"),
    ("enum as bool", jsontest_pb2.Scalars, {"fEnum": False}, "fEnum"),
    ("enum out of range", jsontest_pb2.Scalars, {"fEnum": 2**40}, "fEnum"),
    ("unknown enum strict", jsontest_pb2.Scalars, {"fEnum": "PURPLE"}, "fEnum"),
    ("repeated not list", jsontest_pb2.Repeateds, {"rInt32": 1}, "rInt32"),
    ("repeated null elem", jsontest_pb2.Repeateds, {"rInt32": [1, None]}, "rInt32[1]"),
    ("repeated msg null", jsontest_pb2.Repeateds, {"rMessage": [None]}, "rMessage[0]"),
    ("repeated msg scalar", jsontest_pb2.Repeateds, {"rMessage": [3]}, "rMessage[0]"),
    ("map not object", jsontest_pb2.Maps, {"mInt32": [1]}, "mInt32"),
    ("map bad int key", jsontest_pb2.Maps, {"mInt32": {"x": 1}}, 'mInt32["x"]'),
    ("map key overflow", jsontest_pb2.Maps, {"mUint32": {"-1": 1}}, 'mUint32["-1"]'),
    ("map bad bool key", jsontest_pb2.Maps, {"mBool": {"yes": True}}, 'mBool["yes"]'),
    ("map null value", jsontest_pb2.Maps, {"mString": {"a": None}}, 'mString["a"]'),
    ("map msg value type", jsontest_pb2.Maps, {"mMessage": {"a": 1}}, 'mMessage["a"]'),
    ("nested type", jsontest_pb2.Nested, {"child": {"child": {"label": 5}}}, "child.child.label"),
    ("nested not object", jsontest_pb2.Nested, {"child": "x"}, "child"),
    ("oneof twice", jsontest_pb2.Oneofs, {"oString": "a", "oInt64": "1"}, ""),
    ("ts not string", jsontest_pb2.WellKnown, {"timestamp": 0}, "timestamp"),
    ("ts garbage", jsontest_pb2.WellKnown, {"timestamp": "2026-13-01T00:00:00Z"}, "timestamp"),
    ("ts no zone", jsontest_pb2.WellKnown, {"timestamp": "2026-01-01T00:00:00"}, "timestamp"),
    ("ts lowercase t", jsontest_pb2.WellKnown, {"timestamp": "2026-01-01t00:00:00Z"}, "timestamp"),
    (
        "ts 10 digits",
        jsontest_pb2.WellKnown,
        {"timestamp": "2026-01-01T00:00:00.0123456789Z"},
        "timestamp",
    ),
    (
        "ts out of range",
        jsontest_pb2.WellKnown,
        {"timestamp": "0001-01-01T00:00:00+01:00"},
        "timestamp",
    ),
    ("ts hour 24", jsontest_pb2.WellKnown, {"timestamp": "2026-01-01T24:00:00Z"}, "timestamp"),
    ("dur no s", jsontest_pb2.WellKnown, {"duration": "1.5"}, "duration"),
    ("dur range", jsontest_pb2.WellKnown, {"duration": "315576000001s"}, "duration"),
    ("dur number", jsontest_pb2.WellKnown, {"duration": 1.5}, "duration"),
    ("fm underscore", jsontest_pb2.WellKnown, {"fieldMask": "a_b"}, "fieldMask"),
    ("fm list", jsontest_pb2.WellKnown, {"fieldMask": ["a"]}, "fieldMask"),
    ("struct list", jsontest_pb2.WellKnown, {"struct": [1]}, "struct"),
    ("list_value object", jsontest_pb2.WellKnown, {"listValue": {}}, "listValue"),
    ("value nan", jsontest_pb2.WellKnown, {"value": math.nan}, "value"),
    ("wrapper type", jsontest_pb2.WellKnown, {"wInt32": "x"}, "wInt32"),
    ("wrapper null elem", jsontest_pb2.WellKnown, {"rWInt64": [None]}, "rWInt64[0]"),
    ("any no type", jsontest_pb2.WellKnown, {"any": {"value": 1}}, "any"),
    ("any unknown type", jsontest_pb2.WellKnown, {"any": {"@type": "x/y.Z"}}, "any"),
    (
        "any wkt no value",
        jsontest_pb2.WellKnown,
        {"any": {"@type": "type.googleapis.com/google.protobuf.Duration"}},
        "any",
    ),
    (
        "any bad payload",
        jsontest_pb2.WellKnown,
        {"any": {"@type": "type.googleapis.com/jsontest.v1.Scalars", "fInt32": "x"}},
        "any.fInt32",
    ),
    ("any not object", jsontest_pb2.WellKnown, {"any": "x"}, "any"),
    ("null value enum", jsontest_pb2.WellKnown, {"nullValue": "x"}, "nullValue"),
    ("too deep", jsontest_pb2.Nested, json.loads('{"child":' * 150 + "{}" + "}" * 150), ""),
    ("deep struct", jsontest_pb2.WellKnown, {"value": json.loads("[" * 200 + "]" * 200)}, ""),
    (
        "very deep text",
        jsontest_pb2.WellKnown,
        b'{"value":' + b"[" * 100000 + b"]" * 100000 + b"}",
        "",
    ),
]


@pytest.mark.parametrize(("name", "cls", "data", "path"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_decode_malformed_raises_value_error(
    name: str, cls: type[Message], data: Any, path: str
) -> None:
    with pytest.raises(JsonDecodeError) as e:
        decode_message(data, cls(), ignore_unknown_fields=False)
    assert isinstance(e.value, ValueError)
    assert e.value.path.startswith(path), str(e.value)
    assert e.value.reason and len(str(e.value)) < 300


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "fInt32",
                        "f_string",
                        "rMessage",
                        "mInt64",
                        "child",
                        "struct",
                        "any",
                        "@type",
                        "value",
                        "x",
                        "1",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=10,
    )
)
def test_decode_random_json_only_raises_value_error(value: Any) -> None:
    for cls in (
        jsontest_pb2.Scalars,
        jsontest_pb2.Repeateds,
        jsontest_pb2.Maps,
        jsontest_pb2.Nested,
        jsontest_pb2.WellKnown,
    ):
        for ignore in (True, False):
            with contextlib.suppress(JsonDecodeError):
                decode_message(value, cls(), ignore_unknown_fields=ignore)
            with contextlib.suppress(JsonDecodeError):
                decode_message(json.dumps(value), cls(), ignore_unknown_fields=ignore)


def test_gateway_imports_nothing_else_of_runyard() -> None:
    root = Path(jsoncodec.__file__).parent
    for path in root.glob("jsoncodec*.py"):
        for line in path.read_text().splitlines():
            if line.startswith(("import runyard", "from runyard")):
                assert line.startswith(("from runyard.gateway", "import runyard.gateway")), line
