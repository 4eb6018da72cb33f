"""Query-string text → field values: ``application/x-www-form-urlencoded``
pairs, scalars and enums by their text, and the well-known types a query
parameter may carry (see :mod:`.request` for the policies)."""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

import orjson
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from ._json import JsonDecodeError, decode_message
from .descriptors import camel_to_snake
from .httprule import PathDecodeError, percent_decode

FD = FieldDescriptor
_INT = re.compile(r"-?[0-9]+\Z")
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_RANGES: dict[int, tuple[int, int]] = {
    FD.TYPE_INT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FD.TYPE_UINT32: (0, 2**32 - 1),
    FD.TYPE_FIXED32: (0, 2**32 - 1),
    FD.TYPE_UINT64: (0, 2**64 - 1),
    FD.TYPE_FIXED64: (0, 2**64 - 1),
}
_FLOAT_MAX = 3.4028234663852886e38
_BOOLS = {"true": True, "false": False, "1": True, "0": False}
_WRAPPERS = frozenset(
    f"google.protobuf.{n}Value"
    for n in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)
_ANY = "google.protobuf.Any"
_JSON_FORM = frozenset({"google.protobuf.Timestamp", "google.protobuf.Duration"})
_JSON_TEXT = frozenset(
    {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}
)
QUERY_LEAF_MESSAGES = (
    _WRAPPERS
    | _JSON_FORM
    | _JSON_TEXT
    | {
        "google.protobuf.FieldMask",
        "google.protobuf.Empty",
    }
)


# Well-known types whose fields cannot be set one by one from the query (their
# JSON form only); Timestamp, Duration, FieldMask and wrappers can (http.proto
# binds any message's sub-fields: ``startTime.seconds``, ``updateMask.paths``).
NO_SUBFIELDS = _JSON_TEXT | {_ANY, "google.protobuf.Empty"}
_TS_MIN, _TS_MAX = -62135596800, 253402300799  # 0001-01-01 .. 9999-12-31
_DUR_MAX = 315576000000


def wkt_range_error(sub: Any) -> str:
    """Why a Timestamp or Duration is out of its JSON range ("" when fine)."""
    name = sub.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        if not _TS_MIN <= sub.seconds <= _TS_MAX:
            return "timestamp seconds out of range (0001-01-01 to 9999-12-31)"
        if not 0 <= sub.nanos <= 999_999_999:
            return "timestamp nanos out of range (0 to 999999999)"
    elif name == "google.protobuf.Duration":
        if not -_DUR_MAX <= sub.seconds <= _DUR_MAX:
            return "duration seconds out of range (±315576000000)"
        if not -999_999_999 <= sub.nanos <= 999_999_999 or sub.seconds * sub.nanos < 0:
            return "duration nanos out of range or of another sign than seconds"
    return ""


class ValueError400(ValueError):
    """A value that does not fit its field (becomes a 400 with a field violation)."""


def parse_query(query: bytes) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` pairs; ``+`` is a space, a key
    without ``=`` has the empty value. Raises ValueError400 on bad escapes."""
    out: list[tuple[str, str]] = []
    if not query:
        return out
    try:
        text = query.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError400("query string is not ASCII") from None
    for part in text.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        try:
            key = percent_decode(k.replace("+", " "), keep_reserved=False)
            value = percent_decode(v.replace("+", " "), keep_reserved=False)
        except PathDecodeError as e:
            raise ValueError400(str(e)) from None
        out.append((key, value))
    return out


def scalar_value(fd: Any, text: str) -> Any:
    """The Python value of ``text`` for a scalar or enum field."""
    t = fd.type
    if t == FD.TYPE_STRING:
        return text
    if t in _RANGES:
        if not _INT.match(text):
            raise ValueError400(f"invalid integer {text!r}")
        n = int(text)
        lo, hi = _RANGES[t]
        if not lo <= n <= hi:
            raise ValueError400(f"integer {text} out of range")
        return n
    if t in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        if text in ("NaN", "Infinity", "-Infinity"):
            return float(text.replace("Infinity", "inf"))
        if not _FLOAT.match(text):
            raise ValueError400(f"invalid number {text!r}")
        x = float(text)
        if math.isinf(x) or (t == FD.TYPE_FLOAT and abs(x) > _FLOAT_MAX):
            raise ValueError400(f"number {text} out of range")
        return x
    if t == FD.TYPE_BOOL:
        b = _BOOLS.get(text.lower())
        if b is None:
            raise ValueError400(f"invalid boolean {text!r}")
        return b
    if t == FD.TYPE_BYTES:
        s = text.strip()
        s += "=" * (-len(s) % 4)
        try:
            if "-" in s or "_" in s:
                return base64.urlsafe_b64decode(s)
            return base64.b64decode(s, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError400("invalid base64") from None
    if t == FD.TYPE_ENUM:
        et: Any = fd.enum_type
        ev = et.values_by_name.get(text)
        if ev is not None:
            return ev.number
        if _INT.match(text):
            n = int(text)
            if not -(2**31) <= n < 2**31:
                raise ValueError400(f"enum number {text} out of range")
            if et.is_closed and n not in et.values_by_number:
                raise ValueError400(f"unknown {et.full_name} number {text}")
            return n
        raise ValueError400(f"unknown {et.full_name} value {text!r}")
    raise ValueError400(f"unsupported field type {t}")


def set_leaf(parent: Message, fd: FieldDescriptor, text: str) -> None:
    """Sets (or, for repeated fields, appends) ``text`` into ``parent.fd``."""
    if fd.type != FD.TYPE_MESSAGE:
        v = scalar_value(fd, text)
        if fd.is_repeated:
            getattr(parent, fd.name).append(v)
        else:
            setattr(parent, fd.name, v)
        return
    sub = getattr(parent, fd.name).add() if fd.is_repeated else getattr(parent, fd.name)
    _fill_wkt(sub, text)


def _fill_wkt(sub: Message, text: str) -> None:
    name = sub.DESCRIPTOR.full_name
    if name in _WRAPPERS:
        vf = sub.DESCRIPTOR.fields_by_name["value"]
        sub.SetInParent()
        setattr(sub, "value", scalar_value(vf, text))  # noqa: B010
    elif name in _JSON_FORM:
        try:
            decode_message(orjson.dumps(text), sub)
        except JsonDecodeError as e:
            raise ValueError400(e.reason if hasattr(e, "reason") else str(e)) from None
    elif name == "google.protobuf.FieldMask":
        sub.SetInParent()
        paths = [camel_to_snake(p.strip(), allow_snake=True) for p in text.split(",") if p.strip()]
        sub.paths.extend(paths)  # type: ignore[attr-defined]
    elif name in _JSON_TEXT:
        try:
            decode_message(text.encode(), sub)
        except JsonDecodeError as e:
            raise ValueError400(f"invalid JSON for {name}: {e}") from None
    elif name == "google.protobuf.Empty":
        if text not in ("", "{}"):
            raise ValueError400("google.protobuf.Empty takes no value")
        sub.SetInParent()
    else:
        raise ValueError400(f"{name} cannot be set from a query parameter; set its fields")
