"""Proto3 JSON decoding, part 2: the well-known types with their own JSON form
(Timestamp, Duration, FieldMask, Struct/Value/ListValue, Any, wrappers).

Private to :mod:`runyard.gateway.jsoncodec`; see :mod:`.jsoncodec_decode`.
"""

from __future__ import annotations

from typing import Any

from .descriptors import camel_to_snake, has_special_json, resolve_type_url
from .jsoncodec_decode_scalars import (
    MAX_DEPTH,
    Descriptor,
    JsonDecodeError,
    MessageDecoder,
    _float_converter,
    _kind,
    _scalar_converter,
    _short,
    _string,
)
from .jsoncodec_wkt import parse_duration, parse_timestamp


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
    from .jsoncodec_decode import decoder_for  # messages import this module

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


def wrapper_decoder(desc: Descriptor) -> MessageDecoder:
    conv = _scalar_converter(desc.fields_by_name["value"])

    def dec(msg: Any, v: Any, ignore: bool, depth: int) -> None:
        if v is None:
            raise JsonDecodeError("null is not allowed here")
        msg.value = conv(v)

    return dec


SPECIAL: dict[str, MessageDecoder] = {
    "google.protobuf.Timestamp": _timestamp,
    "google.protobuf.Duration": _duration,
    "google.protobuf.FieldMask": _field_mask,
    "google.protobuf.Value": _value,
    "google.protobuf.Struct": _struct,
    "google.protobuf.ListValue": _list_value,
    "google.protobuf.Any": _any,
}
_DOUBLE = _float_converter(False)
