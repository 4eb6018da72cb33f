"""Shared cases of the JSON codec tests: random messages of every message type drawn
from descriptors, the message types under test, the reference (json_format) and the
table of encodings; used by test_jsoncodec*.py and test_jsoncodec_wire.py.
"""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
from typing import Any

import orjson
from google.protobuf import (
    any_pb2,
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
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from jsontest.v1 import jsontest_pb2

import runyard.v1
from runyard.gateway.jsoncodec import (
    decode_message,
    encode_message,
)

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
