"""Descriptor-driven proto3 JSON → message decoding.

Private to :mod:`runyard.gateway.jsoncodec`; scalars and JSON text are in
:mod:`.jsoncodec_decode_scalars`, the well-known types in
:mod:`.jsoncodec_decode_wkt`. Each message type gets, once, a
table from JSON key (json_name and proto name) to a small handler closure that
converts and assigns the value. Errors are :class:`JsonDecodeError`; the field
path is added while the exception unwinds, so the happy path never builds
path strings.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

from .descriptors import has_special_json, is_map_field, is_repeated
from .jsoncodec_decode_scalars import (
    MAX_DEPTH,
    Descriptor,
    FieldDesc,
    Handler,
    JsonDecodeError,
    MessageDecoder,
    UnknownEnumName,
    _key_converter,
    _kind,
    _scalar_converter,
    _short,
    loads,
)
from .jsoncodec_decode_wkt import SPECIAL, _too_deep, wrapper_decoder

__all__ = ["JsonDecodeError", "decoder_for", "loads"]

_FD = FieldDescriptor

# ---- message decoders -------------------------------------------------------------------

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


def _build_decoder(desc: Descriptor) -> MessageDecoder:
    special = SPECIAL.get(desc.full_name)
    if special is not None:
        return special
    if has_special_json(desc):
        return wrapper_decoder(desc)
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
                except UnknownEnumName as e:
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
        except UnknownEnumName:
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
            except UnknownEnumName as e:
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
