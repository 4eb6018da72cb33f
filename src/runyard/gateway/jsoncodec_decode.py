"""Descriptor-driven proto3 JSON → message decoding.

Private to :mod:`runyard.gateway.jsoncodec`. Each message type gets, once, a
table from JSON key (json_name and proto name) to a small handler closure that
converts and assigns the value. Errors are :class:`JsonDecodeError`; the field
path is added while the exception unwinds, so the happy path never builds
path strings.
"""

from __future__ import annotations

import binascii
import json
import re
import struct
import threading
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from .jsoncodec_encode import has_special_json, is_map_field, is_repeated, resolve_type_url
from .jsoncodec_wkt import camel_to_snake, parse_duration, parse_timestamp

# Descriptors are typed loosely: the stubs' Optional attributes (message_type, enum_type)
# are always set where this module reads them, and upb's descriptor classes differ from
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


class _UnknownEnumName(JsonDecodeError):
    """An enum name the schema does not know; skipped when unknown fields are ignored."""


Converter = Callable[[Any], Any]
# handler(message, json_value, ignore_unknown_fields, depth)
Handler = Callable[[Any, Any, bool, int], None]


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
                raise _UnknownEnumName(f"unknown value {_short(v)} of enum {full}")
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


# ---- message decoders -------------------------------------------------------------------

MessageDecoder = Callable[[Any, Any, bool, int], None]

_lock = threading.RLock()
_decoders: dict[Descriptor, MessageDecoder] = {}


def decoder_for(desc: Descriptor) -> MessageDecoder:
    dec = _decoders.get(desc)
    if dec is None:
        with _lock:
            dec = _decoders.get(desc)
            if dec is None:
                dec = _build_decoder(desc)
                _decoders[desc] = dec
    return dec


def _too_deep() -> JsonDecodeError:
    return JsonDecodeError(f"nesting deeper than {MAX_DEPTH} levels")


def _timestamp(msg: Any, v: Any, ignore: bool, depth: int) -> None:
    if type(v) is not str:
        raise JsonDecodeError(f"expected an RFC 3339 timestamp string, got {_kind(v)}")
    try:
        seconds, nanos = parse_timestamp(v)
    except ValueError as e:
        raise JsonDecodeError(str(e)) from None
    msg.seconds = seconds
    msg.nanos = nanos


def _duration(msg: Any, v: Any, ignore: bool, depth: int) -> None:
    if type(v) is not str:
        raise JsonDecodeError(f'expected a duration string like "1.5s", got {_kind(v)}')
    try:
        seconds, nanos = parse_duration(v)
    except ValueError as e:
        raise JsonDecodeError(str(e)) from None
    msg.seconds = seconds
    msg.nanos = nanos


def _field_mask(msg: Any, v: Any, ignore: bool, depth: int) -> None:
    if type(v) is not str:
        raise JsonDecodeError(f"expected a comma-separated field mask string, got {_kind(v)}")
    try:
        paths = [camel_to_snake(p) for p in v.split(",")] if v else []
    except ValueError as e:
        raise JsonDecodeError(str(e)) from None
    msg.ClearField("paths")
    msg.paths.extend(paths)


def _value(msg: Any, v: Any, ignore: bool, depth: int) -> None:
    t = type(v)
    if v is None:
        msg.null_value = 0
    elif t is str:
        msg.string_value = _string(v)
    elif t is bool:
        msg.bool_value = v
    elif t is float or t is int:
        msg.number_value = _DOUBLE(v)
    elif t is dict:
        sv = msg.struct_value
        sv.SetInParent()
        _struct(sv, v, ignore, depth)
    elif t is list or t is tuple:
        lv = msg.list_value
        lv.SetInParent()
        _list_value(lv, v, ignore, depth)
    else:
        raise JsonDecodeError(f"unsupported JSON value {_kind(v)}")


def _struct(msg: Any, v: Any, ignore: bool, depth: int) -> None:
    if type(v) is not dict:
        raise JsonDecodeError(f"expected a JSON object, got {_kind(v)}")
    if depth > MAX_DEPTH:
        raise _too_deep()
    msg.Clear()
    fields = msg.fields
    for k, x in v.items():
        try:
            _value(fields[_string(k)], x, ignore, depth + 1)
        except JsonDecodeError as e:
            e.prepend(k if type(k) is str else repr(k))
            raise


def _list_value(msg: Any, v: Any, ignore: bool, depth: int) -> None:
    if type(v) is not list and type(v) is not tuple:
        raise JsonDecodeError(f"expected a JSON array, got {_kind(v)}")
    if depth > MAX_DEPTH:
        raise _too_deep()
    msg.ClearField("values")
    values = msg.values
    for i, x in enumerate(v):
        try:
            _value(values.add(), x, ignore, depth + 1)
        except JsonDecodeError as e:
            e.prepend(f"[{i}]")
            raise


def _any(msg: Any, v: Any, ignore: bool, depth: int) -> None:
    if type(v) is not dict:
        raise JsonDecodeError(f'expected a JSON object with "@type", got {_kind(v)}')
    if not v:
        return
    if depth > MAX_DEPTH:
        raise _too_deep()
    type_url = v.get("@type")
    if type(type_url) is not str:
        raise JsonDecodeError('Any needs a string "@type"')
    try:
        cls = resolve_type_url(type_url)
    except ValueError as e:
        raise JsonDecodeError(str(e)) from None
    sub = cls()
    desc = sub.DESCRIPTOR
    dec = decoder_for(desc)
    if has_special_json(desc):
        if "value" not in v:
            raise JsonDecodeError(f'Any of type {type_url} needs a "value"')
        if not ignore:
            for k in v:
                if k not in ("@type", "value"):
                    raise JsonDecodeError(f"unknown field {_short(k)}")
        try:
            dec(sub, v["value"], ignore, depth + 1)
        except JsonDecodeError as e:
            e.prepend("value")
            raise
    else:
        dec(sub, {k: x for k, x in v.items() if k != "@type"}, ignore, depth + 1)
    msg.type_url = type_url
    # Deterministic, so that map entries inside come out in a stable order.
    msg.value = sub.SerializeToString(deterministic=True)


def _wrapper_decoder(desc: Descriptor) -> MessageDecoder:
    conv = _scalar_converter(desc.fields_by_name["value"])

    def dec(msg: Any, v: Any, ignore: bool, depth: int) -> None:
        if v is None:
            raise JsonDecodeError("null is not allowed here")
        msg.value = conv(v)

    return dec


_SPECIAL: dict[str, MessageDecoder] = {
    "google.protobuf.Timestamp": _timestamp,
    "google.protobuf.Duration": _duration,
    "google.protobuf.FieldMask": _field_mask,
    "google.protobuf.Value": _value,
    "google.protobuf.Struct": _struct,
    "google.protobuf.ListValue": _list_value,
    "google.protobuf.Any": _any,
}
_DOUBLE = _float_converter(False)


def _build_decoder(desc: Descriptor) -> MessageDecoder:
    special = _SPECIAL.get(desc.full_name)
    if special is not None:
        return special
    if has_special_json(desc):
        return _wrapper_decoder(desc)
    return _regular_decoder(desc)


# (handler, field number, oneof name or None for real oneofs)
_Entry = tuple[Handler, int, str | None]


def _regular_decoder(desc: Descriptor) -> MessageDecoder:
    table: dict[str, _Entry] = {}
    for fd in desc.fields:
        oneof = fd.containing_oneof
        oneof_name = None
        if oneof is not None and not (len(oneof.fields) == 1 and oneof.name == "_" + fd.name):
            oneof_name = oneof.name
        entry = (_field_handler(fd), fd.number, oneof_name)
        table[fd.name] = entry
        table[fd.json_name] = entry
    full = desc.full_name

    def dec(msg: Any, js: Any, ignore: bool, depth: int) -> None:
        if type(js) is not dict:
            raise JsonDecodeError(f"expected a JSON object for {full}, got {_kind(js)}")
        if depth > MAX_DEPTH:
            raise _too_deep()
        seen: set[int | str] | None = set() if len(js) > 1 else None
        for key, val in js.items():
            entry = table.get(key)
            if entry is None:
                if ignore:
                    continue
                err = JsonDecodeError(f"unknown field {_short(key)} in {full}")
                err.prepend(key)  # the path names the unknown field itself
                raise err
            handler, number, oneof = entry
            if seen is not None:
                if number in seen:
                    raise JsonDecodeError(f"field {_short(key)} given more than once")
                seen.add(number)
                if oneof is not None and val is not None:
                    if oneof in seen:
                        raise JsonDecodeError(
                            f"more than one field of oneof {oneof!r} given (at {_short(key)})"
                        )
                    seen.add(oneof)
            try:
                handler(msg, val, ignore, depth)
            except JsonDecodeError as e:
                e.prepend(key)
                raise

    return dec


def _null_element() -> JsonDecodeError:
    return JsonDecodeError("null is not allowed as an element")


def _field_handler(fd: FieldDesc) -> Handler:
    name = fd.name
    if is_map_field(fd):
        return _map_handler(fd)
    if fd.type in (_FD.TYPE_MESSAGE, _FD.TYPE_GROUP):
        sub_desc = fd.message_type
        is_value = sub_desc.full_name == "google.protobuf.Value"
        if is_repeated(fd):

            def rep_msg(msg: Any, v: Any, ignore: bool, depth: int) -> None:
                if v is None:
                    msg.ClearField(name)
                    return
                if type(v) is not list and type(v) is not tuple:
                    raise JsonDecodeError(f"expected a JSON array, got {_kind(v)}")
                msg.ClearField(name)
                rep = getattr(msg, name)
                dec = decoder_for(sub_desc)
                for i, x in enumerate(v):
                    try:
                        if x is None and not is_value:
                            raise _null_element()
                        dec(rep.add(), x, ignore, depth + 1)
                    except JsonDecodeError as e:
                        e.prepend(f"[{i}]")
                        raise

            return rep_msg

        def one_msg(msg: Any, v: Any, ignore: bool, depth: int) -> None:
            if v is None:
                if is_value:
                    getattr(msg, name).null_value = 0
                else:
                    msg.ClearField(name)
                return
            sub = getattr(msg, name)
            sub.SetInParent()
            decoder_for(sub_desc)(sub, v, ignore, depth + 1)

        return one_msg

    conv = _scalar_converter(fd)
    null_ok = fd.type == _FD.TYPE_ENUM and fd.enum_type.full_name == "google.protobuf.NullValue"
    if is_repeated(fd):

        def rep_scalar(msg: Any, v: Any, ignore: bool, depth: int) -> None:
            if v is None:
                msg.ClearField(name)
                return
            if type(v) is not list and type(v) is not tuple:
                raise JsonDecodeError(f"expected a JSON array, got {_kind(v)}")
            out = []
            for i, x in enumerate(v):
                try:
                    if x is None and not null_ok:
                        raise _null_element()
                    out.append(conv(x))
                except _UnknownEnumName as e:
                    if ignore:
                        continue
                    e.prepend(f"[{i}]")
                    raise
                except JsonDecodeError as e:
                    e.prepend(f"[{i}]")
                    raise
            msg.ClearField(name)
            getattr(msg, name).extend(out)

        return rep_scalar

    def one_scalar(msg: Any, v: Any, ignore: bool, depth: int) -> None:
        if v is None:
            if null_ok:
                setattr(msg, name, 0)
            else:
                msg.ClearField(name)
            return
        try:
            x = conv(v)
        except _UnknownEnumName:
            if ignore:
                return
            raise
        setattr(msg, name, x)

    return one_scalar


def _map_handler(fd: FieldDesc) -> Handler:
    name = fd.name
    entry = fd.message_type
    key_conv = _key_converter(entry.fields_by_name["key"])
    vf = entry.fields_by_name["value"]
    if vf.type == _FD.TYPE_MESSAGE:
        sub_desc = vf.message_type
        is_value = sub_desc.full_name == "google.protobuf.Value"

        def map_msg(msg: Any, v: Any, ignore: bool, depth: int) -> None:
            if v is None:
                msg.ClearField(name)
                return
            if type(v) is not dict:
                raise JsonDecodeError(f"expected a JSON object, got {_kind(v)}")
            msg.ClearField(name)
            mp = getattr(msg, name)
            dec = decoder_for(sub_desc)
            for k, x in v.items():
                try:
                    kk = key_conv(k)
                    if x is None and not is_value:
                        raise JsonDecodeError("null is not allowed as a map value")
                    dec(mp[kk], x, ignore, depth + 1)
                except JsonDecodeError as e:
                    e.prepend(f"[{json.dumps(k)}]")
                    raise

        return map_msg

    conv = _scalar_converter(vf)
    null_ok = vf.type == _FD.TYPE_ENUM and vf.enum_type.full_name == "google.protobuf.NullValue"

    def map_scalar(msg: Any, v: Any, ignore: bool, depth: int) -> None:
        if v is None:
            msg.ClearField(name)
            return
        if type(v) is not dict:
            raise JsonDecodeError(f"expected a JSON object, got {_kind(v)}")
        out = {}
        for k, x in v.items():
            try:
                kk = key_conv(k)
                if x is None and not null_ok:
                    raise JsonDecodeError("null is not allowed as a map value")
                out[kk] = conv(x)
            except _UnknownEnumName as e:
                if ignore:
                    continue
                e.prepend(f"[{json.dumps(k)}]")
                raise
            except JsonDecodeError as e:
                e.prepend(f"[{json.dumps(k)}]")
                raise
        msg.ClearField(name)
        getattr(msg, name).update(out)

    return map_scalar


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
