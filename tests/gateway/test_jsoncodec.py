"""proto3 JSON codec of the gateway: equal to json_format, round trips, malformed input.

Property tests draw random messages of every message type of runyard.v1 and
jsontest.v1 (a test-only proto exercising every field kind and well-known
type) from a descriptor-driven strategy, and check that encode_message equals
json_format's output as parsed JSON (with and without emit_unpopulated), that
decode_message reads both its own output and json_format's back to the same
message, and that malformed input only ever raises JsonDecodeError.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import pkgutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from google.protobuf import (
    any_pb2,
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    empty_pb2,
    field_mask_pb2,
    json_format,
    message_factory,
    struct_pb2,
    timestamp_pb2,
    wrappers_pb2,
)
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsontest.v1 import jsontest_pb2

import runyard.v1
from runyard.gateway import jsoncodec
from runyard.gateway.jsoncodec import (
    JsonDecodeError,
    JsonEncodeError,
    decode_message,
    encode_message,
    encode_messages,
    to_json_value,
)
from runyard.v1 import run_pb2, run_service_pb2

# ---- random messages from descriptors ------------------------------------------------------
_FD = FieldDescriptor
MAX_DEPTH = 3
TS_MIN, TS_MAX = -62135596800, 253402300799
DUR_MAX = 315576000000
NAN = float("nan")

_INT_BOUNDS = {
    _FD.TYPE_INT32: (-(2**31), 2**31 - 1),
    _FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    _FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    _FD.TYPE_UINT32: (0, 2**32 - 1),
    _FD.TYPE_FIXED32: (0, 2**32 - 1),
    _FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    _FD.TYPE_SINT64: (-(2**63), 2**63 - 1),
    _FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    _FD.TYPE_UINT64: (0, 2**64 - 1),
    _FD.TYPE_FIXED64: (0, 2**64 - 1),
}


def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    edges = [e for e in {lo, hi, 0, 1, -1, 2**53 + 1, -(2**53) - 1} if lo <= e <= hi]
    return st.one_of(st.sampled_from(sorted(edges)), st.integers(lo, hi))


def _floats(width: int) -> st.SearchStrategy[float]:
    finite = st.floats(width=width, allow_nan=False)  # type: ignore[arg-type]
    edges = st.sampled_from(
        [0.0, -0.0, NAN, math.inf, -math.inf, 0.1, 1e-45 if width == 32 else 5e-324]
    )
    return st.one_of(edges, finite)


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # no surrogates: not valid UTF-8
    max_size=12,
) | st.sampled_from(["", "\U0001f600 \u00fcn\u00efc\u00f6d\u00e9 \U00010348", 'a"b\\c\n\t\x00'])
_BYTES = st.one_of(
    st.binary(max_size=16),
    st.binary(min_size=2000, max_size=3000),
    st.sampled_from([b"", b"\xff\xfe\x00", b"\xfb\xff"]),
)
_NANOS = st.one_of(
    st.just(0),
    st.integers(0, 999).map(lambda n: n * 1_000_000),
    st.integers(0, 999_999).map(lambda n: n * 1000),
    st.integers(0, 999_999_999),
)
_IDENT = st.from_regex(r"[a-z][a-z0-9]{0,4}(_[a-z][a-z0-9]{0,3}){0,2}", fullmatch=True)
_PATH = st.lists(_IDENT, min_size=1, max_size=3).map(".".join)

_JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    _JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)


def scalar_strategy(fd: FieldDescriptor) -> st.SearchStrategy[Any]:
    t = fd.type
    if t in _INT_BOUNDS:
        return _ints(*_INT_BOUNDS[t])
    if t == _FD.TYPE_DOUBLE:
        return _floats(64)
    if t == _FD.TYPE_FLOAT:
        return _floats(32)
    if t == _FD.TYPE_BOOL:
        return st.booleans()
    if t == _FD.TYPE_STRING:
        return _TEXT
    if t == _FD.TYPE_BYTES:
        return _BYTES
    if t == _FD.TYPE_ENUM:
        et = fd.enum_type
        if et.full_name == "google.protobuf.NullValue":
            return st.just(0)
        known = st.sampled_from([v.number for v in et.values])
        if et.is_closed:
            return known
        return st.one_of(known, st.sampled_from([99, -7, 2**31 - 1]))  # unknown numbers
    raise AssertionError(fd.full_name)


def _key_strategy(fd: FieldDescriptor) -> st.SearchStrategy[Any]:
    if fd.type == _FD.TYPE_STRING:
        return _TEXT
    return scalar_strategy(fd)


def set_json_value(msg: Any, v: Any) -> None:
    """Fills a google.protobuf.Value from a Python JSON value."""
    if v is None:
        msg.null_value = 0
    elif isinstance(v, bool):
        msg.bool_value = v
    elif isinstance(v, float | int):
        msg.number_value = v
    elif isinstance(v, str):
        msg.string_value = v
    elif isinstance(v, list):
        msg.list_value.SetInParent()
        for x in v:
            set_json_value(msg.list_value.values.add(), x)
    else:
        msg.struct_value.SetInParent()
        for k, x in v.items():
            set_json_value(msg.struct_value.fields[k], x)


def _is_map(fd: FieldDescriptor) -> bool:
    mt = fd.message_type
    return fd.type == _FD.TYPE_MESSAGE and mt is not None and mt.GetOptions().map_entry


ANY_PAYLOAD_TYPES = [
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.FieldMask",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
    "google.protobuf.Empty",
    "google.protobuf.Int64Value",
    "google.protobuf.BytesValue",
    "google.protobuf.FloatValue",
    "google.protobuf.Any",
    "jsontest.v1.Scalars",
    "jsontest.v1.Maps",
    "jsontest.v1.Oneofs",
]


def fill(draw: Any, msg: Message, desc: Descriptor, depth: int) -> None:
    """Sets a random subset of ``msg``'s fields."""
    m: Any = msg
    full = desc.full_name
    if full == "google.protobuf.Timestamp":
        m.seconds = draw(
            st.one_of(st.sampled_from([TS_MIN, TS_MAX, 0, -1]), st.integers(TS_MIN, TS_MAX))
        )
        m.nanos = draw(_NANOS)
        return
    if full == "google.protobuf.Duration":
        secs = draw(
            st.one_of(st.sampled_from([DUR_MAX, -DUR_MAX, 0]), st.integers(-DUR_MAX, DUR_MAX))
        )
        nanos = draw(_NANOS)
        if secs < 0 or (secs == 0 and draw(st.booleans())):
            nanos = -nanos
        m.seconds, m.nanos = secs, nanos
        return
    if full == "google.protobuf.FieldMask":
        m.paths.extend(draw(st.lists(_PATH, max_size=3)))
        return
    if full == "google.protobuf.Value":
        set_json_value(m, draw(JSON_VALUES))
        return
    if full == "google.protobuf.Struct":
        m.SetInParent()
        for k, x in draw(st.dictionaries(_TEXT, JSON_VALUES, max_size=3)).items():
            set_json_value(m.fields[k], x)
        return
    if full == "google.protobuf.ListValue":
        for x in draw(st.lists(JSON_VALUES, max_size=3)):
            set_json_value(m.values.add(), x)
        return
    if full == "google.protobuf.Any":
        if depth >= MAX_DEPTH or not draw(st.integers(0, 5)):
            return  # an empty Any prints as {}
        name = draw(st.sampled_from(ANY_PAYLOAD_TYPES))
        sub_desc = descriptor_pool.Default().FindMessageTypeByName(name)
        sub = message_factory.GetMessageClass(sub_desc)()
        fill(draw, sub, sub_desc, depth + 1)
        m.Pack(sub, deterministic=True)
        return

    real_oneofs = [
        o for o in desc.oneofs if not (len(o.fields) == 1 and o.name == "_" + o.fields[0].name)
    ]
    in_real_oneof = {f.name for o in real_oneofs for f in o.fields}
    chosen = [f for f in desc.fields if f.name not in in_real_oneof and draw(st.booleans())]
    for o in real_oneofs:
        pick = draw(st.sampled_from([None, *o.fields]))
        if pick is not None:
            chosen.append(pick)
    for fd in chosen:
        is_msg = fd.type in (_FD.TYPE_MESSAGE, _FD.TYPE_GROUP)
        if _is_map(fd):
            kf = fd.message_type.fields_by_name["key"]
            vf = fd.message_type.fields_by_name["value"]
            vmsg = vf.type == _FD.TYPE_MESSAGE
            if vmsg and depth >= MAX_DEPTH:
                continue
            container = getattr(m, fd.name)
            for k in draw(st.lists(_key_strategy(kf), max_size=3, unique=True)):
                if vmsg:
                    fill(draw, container[k], vf.message_type, depth + 1)
                else:
                    container[k] = draw(scalar_strategy(vf))
        elif fd.is_repeated:
            if is_msg:
                if depth >= MAX_DEPTH:
                    continue
                rep = getattr(m, fd.name)
                for _ in range(draw(st.integers(0, 2))):
                    fill(draw, rep.add(), fd.message_type, depth + 1)
            else:
                getattr(m, fd.name).extend(draw(st.lists(scalar_strategy(fd), max_size=4)))
        elif is_msg:
            if depth >= MAX_DEPTH and fd.message_type.fields:
                continue
            sub = getattr(m, fd.name)
            sub.SetInParent()
            fill(draw, sub, fd.message_type, depth + 1)
        else:
            setattr(m, fd.name, draw(scalar_strategy(fd)))


@st.composite
def messages(draw: Any, desc: Descriptor) -> Message:
    msg = message_factory.GetMessageClass(desc)()
    fill(draw, msg, desc, 0)
    return msg


# ---- the message types under test ---------------------------------------------------------


def _all_messages(file_desc: Any) -> list[Descriptor]:
    out: list[Descriptor] = []

    def walk(d: Descriptor) -> None:
        if d.GetOptions().map_entry:
            return
        out.append(d)
        for n in d.nested_types:
            walk(n)

    for d in file_desc.message_types_by_name.values():
        walk(d)
    return out


_FILES = [
    *(
        importlib.import_module(f"runyard.v1.{m.name}").DESCRIPTOR
        for m in pkgutil.iter_modules(runyard.v1.__path__)
        if m.name.endswith("_pb2")
    ),
    jsontest_pb2.DESCRIPTOR,
]
ALL_TYPES = sorted({d.full_name: d for f in _FILES for d in _all_messages(f)}.items())


def _same(a: Message, b: Message) -> bool:
    # Deterministic bytes compare NaN and -0.0 exactly, unlike ==.
    return a.SerializeToString(deterministic=True) == b.SerializeToString(deterministic=True)


def _reference(msg: Message, emit: bool) -> Any:
    return json.loads(json_format.MessageToJson(msg, always_print_fields_with_no_presence=emit))


def _check_roundtrips(msg: Message) -> None:
    cls = type(msg)
    for emit in (False, True):
        ours = encode_message(msg, emit_unpopulated=emit)
        ref = _reference(msg, emit)
        assert _json_equal(orjson.loads(ours), ref), (emit, ours, ref)
        back = cls()
        decode_message(ours, back)
        assert _same(back, msg), (emit, ours)
        back = cls()
        decode_message(json.dumps(ref), back, ignore_unknown_fields=False)
        assert _same(back, msg), (emit, ref)


def _json_equal(a: Any, b: Any) -> bool:
    """Equality of parsed JSON values that tells -0.0 from 0.0 and true from 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
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


def _ts(seconds: int, nanos: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def _dur(seconds: int, nanos: int = 0) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=seconds, nanos=nanos)


ENCODE_CASES: list[tuple[str, Message, Any]] = [
    ("ts-0", _ts(0), "1970-01-01T00:00:00Z"),
    ("ts-3", _ts(1767225600, 500_000_000), "2026-01-01T00:00:00.500Z"),
    ("ts-6", _ts(1767225600, 1000), "2026-01-01T00:00:00.000001Z"),
    ("ts-9", _ts(1767225600, 1), "2026-01-01T00:00:00.000000001Z"),
    ("ts-min", _ts(-62135596800), "0001-01-01T00:00:00Z"),
    ("ts-max", _ts(253402300799, 999_999_999), "9999-12-31T23:59:59.999999999Z"),
    ("ts-neg", _ts(-1, 0), "1969-12-31T23:59:59Z"),
    ("dur", _dur(90, 500_000_000), "90.500s"),
    ("dur-int", _dur(30), "30s"),
    ("dur-neg", _dur(-1, -500_000_000), "-1.500s"),
    ("dur-neg-frac", _dur(0, -1000), "-0.000001s"),
    ("dur-zero", _dur(0), "0s"),
    ("fm", field_mask_pb2.FieldMask(paths=["a_b.c_d", "x"]), "aB.cD,x"),
    ("fm-empty", field_mask_pb2.FieldMask(), ""),
    ("empty", empty_pb2.Empty(), {}),
    ("wrapper-i64", wrappers_pb2.Int64Value(value=-(2**63)), str(-(2**63))),
    ("wrapper-f", wrappers_pb2.FloatValue(value=0.1), 0.1),
    ("wrapper-nan", wrappers_pb2.DoubleValue(value=math.nan), "NaN"),
    ("wrapper-bytes", wrappers_pb2.BytesValue(value=b"\xfb\xff"), "+/8="),
    ("value-unset", struct_pb2.Value(), None),
    ("struct", struct_pb2.Struct(fields={"a": struct_pb2.Value(number_value=1)}), {"a": 1.0}),
    ("any-empty", any_pb2.Any(), {}),
    (
        "scalars",
        jsontest_pb2.Scalars(
            f_double=-0.0,
            f_float=1.1,
            f_int64=2**63 - 1,
            f_uint64=2**64 - 1,
            f_bytes=b"\x00",
            f_enum=99,
            renamed="x",
            f_bool=True,
        ),
        {
            "fDouble": -0.0,
            "fFloat": 1.1,
            "fInt64": str(2**63 - 1),
            "fUint64": str(2**64 - 1),
            "fBytes": "AA==",
            "fEnum": 99,
            "customName": "x",
            "fBool": True,
        },
    ),
    (
        "maps",
        jsontest_pb2.Maps(m_bool={True: False}, m_int64={-5: 7}, m_enum={"a": 2}),
        {"mBool": {"true": False}, "mInt64": {"-5": "7"}, "mEnum": {"a": "COLOR_GREEN"}},
    ),
    (
        "optional-zero",
        jsontest_pb2.Optionals(o_int32=0, o_string="", o_null=0),
        {"oInt32": 0, "oString": "", "oNull": None},
    ),
    ("oneof-null", jsontest_pb2.Oneofs(o_null=0), {"oNull": None}),
]


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


# ---- table-driven decoding --------------------------------------------------------------------


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
