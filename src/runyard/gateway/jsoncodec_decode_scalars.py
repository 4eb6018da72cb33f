"""Proto3 JSON decoding, part 1: errors, JSON text and scalar values.

Private to :mod:`runyard.gateway.jsoncodec`: the converters from a parsed JSON
value to a field's Python value (integers in range, floats, bools, strings,
base64 bytes, enums by name or number, map keys), and strict JSON parsing.
Messages are in :mod:`.jsoncodec_decode`, well-known types in
:mod:`.jsoncodec_decode_wkt`.
"""

from __future__ import annotations

import binascii
import json
import re
import struct
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

# Descriptors are typed loosely: the stubs' Optional attributes (message_type, enum_type)
# are always set where these modules read them, and upb's descriptor classes differ from
# the stubs' ones.
Descriptor = Any
FieldDesc = Any

MAX_DEPTH = 100  # nesting limit, as json_format's default max_recursion_depth

_FD = FieldDescriptor
_F32 = struct.Struct("<f")


class JsonDecodeError(ValueError):
    """Malformed proto3 JSON. ``path`` locates the offending field (JSON keys as sent,
    ``[i]`` for list indexes and ``["k"]`` for map keys); ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self._segments: list[str] = []  # innermost first, added while unwinding

    def prepend(self, segment: str) -> None:
        self._segments.append(segment)

    @property
    def path(self) -> str:
        out = ""
        for seg in reversed(self._segments):
            out += seg if seg.startswith("[") or not out else "." + seg
        return out

    def __str__(self) -> str:
        path = self.path
        if len(path) > 120:  # deep nesting: keep the message readable
            path = path[:50] + "..." + path[-50:]
        return f"{path}: {self.reason}" if path else self.reason


class UnknownEnumName(JsonDecodeError):
    """An enum name the schema does not know; skipped when unknown fields are ignored."""


Converter = Callable[[Any], Any]
# handler(message, json_value, ignore_unknown_fields, depth)
Handler = Callable[[Any, Any, bool, int], None]
# decoder(message, json_value, ignore_unknown_fields, depth)
MessageDecoder = Callable[[Any, Any, bool, int], None]


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int | float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list | tuple):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


# ---- scalar converters ------------------------------------------------------------------

_INT_RE = re.compile(r"-?\d{1,40}", re.ASCII)
_NUMBER_RE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?", re.ASCII)
_B64_RE = re.compile(r"[A-Za-z0-9+/\-_]*={0,2}", re.ASCII)
_URLSAFE = str.maketrans("-_", "+/")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")

_INT_RANGES = {
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


def _int_from_str(v: str) -> int:
    if _INT_RE.fullmatch(v):
        return int(v)
    if _NUMBER_RE.fullmatch(v):
        try:
            d = Decimal(v)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
            raise JsonDecodeError(f"invalid integer {_short(v)}") from None
        if d.adjusted() > 40:
            raise JsonDecodeError(f"integer {_short(v)} is out of range")
        if d == d.to_integral_value():
            return int(d)
        raise JsonDecodeError(f"expected an integer, got {_short(v)}")
    raise JsonDecodeError(f"invalid integer {_short(v)}")


def _int_converter(lo: int, hi: int) -> Converter:
    def conv(v: Any) -> int:
        t = type(v)
        if t is int:
            n = v
        elif t is str:
            n = _int_from_str(v)
        elif t is float:
            if not v.is_integer():
                raise JsonDecodeError(f"expected an integer, got {_short(v)}")
            n = int(v)
        else:
            raise JsonDecodeError(f"expected an integer, got {_kind(v)}")
        if not lo <= n <= hi:
            raise JsonDecodeError(f"integer {n} is out of range [{lo}, {hi}]")
        return n

    return conv


_SPECIAL_FLOATS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _float_converter(single: bool) -> Converter:
    def conv(v: Any) -> float:
        t = type(v)
        if t is float:
            x = v
            if x - x != 0.0:
                raise JsonDecodeError('non-finite number; write "NaN", "Infinity" or "-Infinity"')
        elif t is int:
            try:
                x = float(v)
            except OverflowError:
                raise JsonDecodeError(f"number {_short(v)} is out of range") from None
        elif t is str:
            special = _SPECIAL_FLOATS.get(v)
            if special is not None:
                return special
            if not _NUMBER_RE.fullmatch(v):
                raise JsonDecodeError(f"invalid number {_short(v)}")
            x = float(v)
            if x - x != 0.0:
                raise JsonDecodeError(f"number {_short(v)} is out of range")
        else:
            raise JsonDecodeError(f"expected a number, got {_kind(v)}")
        if single:
            try:
                _F32.pack(x)
            except OverflowError:
                raise JsonDecodeError(f"number {x!r} is out of range for float") from None
        return x

    return conv


def _bool(v: Any) -> bool:
    if type(v) is bool:
        return v
    raise JsonDecodeError(f"expected true or false, got {_kind(v)}")


def _string(v: Any) -> str:
    if type(v) is not str:
        raise JsonDecodeError(f"expected a string, got {_kind(v)}")
    if _SURROGATE_RE.search(v):
        raise JsonDecodeError("string holds an unpaired surrogate")
    return v


def _bytes(v: Any) -> bytes:
    if type(v) is not str:
        raise JsonDecodeError(f"expected a base64 string, got {_kind(v)}")
    if not _B64_RE.fullmatch(v):
        raise JsonDecodeError("invalid base64")
    core = v.rstrip("=").translate(_URLSAFE)
    if len(core) % 4 == 1:
        raise JsonDecodeError("invalid base64 length")
    try:
        return binascii.a2b_base64(core + "=" * (-len(core) % 4))
    except binascii.Error:  # pragma: no cover - validated above
        raise JsonDecodeError("invalid base64") from None


def _enum_converter(fd: FieldDesc) -> Converter:
    et = fd.enum_type
    if et.full_name == "google.protobuf.NullValue":

        def null_conv(v: Any) -> int:
            if v is None or v == "NULL_VALUE" or (type(v) is int and v == 0):
                return 0
            raise JsonDecodeError(f"expected null, got {_short(v)}")

        return null_conv
    by_name = {v.name: v.number for v in et.values}
    numbers = frozenset(v.number for v in et.values)
    closed = bool(et.is_closed)
    full = et.full_name

    def conv(v: Any) -> int:
        t = type(v)
        if t is str:
            n = by_name.get(v)
            if n is not None:
                return n
            if not _INT_RE.fullmatch(v):
                raise UnknownEnumName(f"unknown value {_short(v)} of enum {full}")
            n = int(v)
        elif t is int:
            n = v
        else:
            raise JsonDecodeError(f"expected an enum name or number, got {_kind(v)}")
        if closed and n not in numbers:
            raise JsonDecodeError(f"unknown number {n} of enum {full}")
        if not -(2**31) <= n < 2**31:
            raise JsonDecodeError(f"enum number {n} is out of range")
        return n

    return conv


def _scalar_converter(fd: FieldDesc) -> Converter:
    t = fd.type
    if t in _INT_RANGES:
        return _int_converter(*_INT_RANGES[t])
    if t == _FD.TYPE_DOUBLE:
        return _float_converter(False)
    if t == _FD.TYPE_FLOAT:
        return _float_converter(True)
    if t == _FD.TYPE_BOOL:
        return _bool
    if t == _FD.TYPE_STRING:
        return _string
    if t == _FD.TYPE_BYTES:
        return _bytes
    if t == _FD.TYPE_ENUM:
        return _enum_converter(fd)
    raise TypeError(f"not a scalar field: {fd.full_name}")  # pragma: no cover


def _key_converter(fd: FieldDesc) -> Converter:
    t = fd.type
    if t == _FD.TYPE_STRING:
        return _string
    if t == _FD.TYPE_BOOL:

        def bool_key(k: str) -> bool:
            if k == "true":
                return True
            if k == "false":
                return False
            raise JsonDecodeError(f'map key must be "true" or "false", got {_short(k)}')

        return bool_key
    lo, hi = _INT_RANGES[t]

    def int_key(k: str) -> int:
        if type(k) is not str or not _INT_RE.fullmatch(k):
            raise JsonDecodeError(f"map key must be an integer, got {_short(k)}")
        n = int(k)
        if not lo <= n <= hi:
            raise JsonDecodeError(f"map key {n} is out of range [{lo}, {hi}]")
        return n

    return int_key


# ---- JSON text --------------------------------------------------------------------------


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise JsonDecodeError(f"duplicate key {_short(k)}")
            seen.add(k)
    return d


def _reject_constant(name: str) -> Any:
    raise JsonDecodeError(f'{name} is not JSON; quote it ("{name}")')


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parses JSON text strictly: no duplicate keys, no bare NaN/Infinity."""
    if isinstance(data, memoryview):
        data = data.tobytes()
    try:
        return json.loads(
            data, object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant
        )
    except JsonDecodeError as e:
        raise JsonDecodeError(f"malformed JSON: {e.reason}") from None
    except RecursionError:
        raise JsonDecodeError("malformed JSON: nested too deeply") from None
    except (ValueError, TypeError) as e:
        raise JsonDecodeError(f"malformed JSON: {e}") from None
