"""Encoding through the compiled wire-bytes printer, when it is built.

Private to :mod:`runyard.gateway.jsoncodec`. The generated Python encoders read
a upb message field by field, and each read is a C-API crossing (``HasField``,
sub-message wrappers, a Timestamp's ``seconds`` and ``nanos``): that, not the
formatting, is where their time goes. ``_jsonwire`` (a C extension built with
the package, optional) instead prints the message's ``SerializeToString()``
bytes in one pass, following a plan per message type made here from its
descriptor: about 4x less CPU per message.

Only ``emit_unpopulated=False`` goes this way. What the plan does not cover —
doubles and floats, Any, Struct, Value, ListValue, FieldMask and the wrappers —
is printed by a Python callback from the bytes of that one value; anything the
printer cannot settle exactly (see ``_jsonwire.c``) returns ``None`` and the
caller uses the Python encoder, which also raises the errors. Without the
extension (no compiler when installing) everything stays on the Python encoder:
same output, slower.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable
from typing import Any

import orjson
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message_factory import GetMessageClass

from .descriptors import WRAPPERS_FILE, has_special_json, is_map_field, is_repeated
from .jsoncodec_wkt import nonfinite, shortest_float32

_jsonwire: Any
try:  # built by setuptools when a C compiler is there; optional
    from . import _jsonwire  # type: ignore[attr-defined,no-redef]
except ImportError:  # pragma: no cover - depends on the install
    _jsonwire = None

Descriptor = Any
FieldDesc = Any
# wire bytes -> JSON bytes, or None when the Python encoder must do it
WireEncoder = Callable[[bytes], bytes | None]
PyEncoderFor = Callable[[Descriptor, bool], Callable[[Any], Any]]

_FD = FieldDescriptor
_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")

# RUNYARD_JSON_PURE=1 keeps every message on the Python encoder (to compare the two).
ENABLED = _jsonwire is not None and not os.environ.get("RUNYARD_JSON_PURE")

_lock = threading.RLock()
_plans: dict[Descriptor, Any] = {}


def available() -> bool:
    return _jsonwire is not None


def wire_encoder_for(desc: Descriptor, py_encoder_for: PyEncoderFor) -> WireEncoder | None:
    """``desc``'s printer of wire bytes, or None (no extension, or a type whose JSON is
    not an object). ``py_encoder_for`` gives the Python encoders the callbacks use.
    Callers check :data:`ENABLED` at call time."""
    if _jsonwire is None or has_special_json(desc):
        return None
    plan = _plans.get(desc)
    if plan is None:
        with _lock:
            plan = _plan(desc, py_encoder_for)
    return plan.encode  # type: ignore[no-any-return]


def print_message(wire: WireEncoder, m: Any) -> bytes | None:
    """``m`` printed from its bytes, or None: the Python encoder must do it."""
    if not ENABLED:
        return None
    try:
        # Partial: a proto2 message missing required fields still has a JSON form.
        data = m.SerializePartialToString()
    except Exception:  # e.g. nested past upb's limit: the Python path reports it
        return None
    return wire(data)


def _plan(desc: Descriptor, py_encoder_for: PyEncoderFor) -> Any:
    plan = _plans.get(desc)
    if plan is not None:
        return plan
    assert _jsonwire is not None
    plan = _jsonwire.Plan()
    _plans[desc] = plan  # before its fields: recursive types refer to themselves
    unwrap = None
    if _unwrapped(desc):
        # Printed as its one field's value; absent, as the Python encoder prints it empty.
        unwrap = orjson.dumps(py_encoder_for(desc, False)(GetMessageClass(desc)()))
    if _oneof_out_of_place(desc):
        return plan  # never set up: messages holding one go to the Python encoder
    try:
        plan.setup(tuple(_spec(fd, py_encoder_for) for fd in desc.fields), unwrap)
    except BaseException:
        del _plans[desc]
        raise
    return plan


# Their JSON is their one field's: printed here, maps in the order Python iterates them
# (a Python callback would re-parse the bytes, and a re-parsed map iterates differently).
_UNWRAPPED = frozenset(
    {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}
)


def _unwrapped(desc: Descriptor) -> bool:
    return desc.full_name in _UNWRAPPED or desc.file.name == WRAPPERS_FILE


def _oneof_out_of_place(desc: Descriptor) -> bool:
    """A oneof whose members' numbers enclose another field's: the Python encoder
    writes it at its first member's place, the wire (and this printer) in number order."""
    for oneof in desc.oneofs:
        nums = [f.number for f in oneof.fields]
        lo, hi = min(nums), max(nums)
        if any(lo < f.number < hi and f.containing_oneof is not oneof for f in desc.fields):
            return True
    return False


def _oneof_index(fd: FieldDesc) -> int:
    oneof = fd.containing_oneof
    if oneof is None or (len(oneof.fields) == 1 and oneof.name == "_" + fd.name):
        return -1  # none, or the synthetic oneof of a proto3 optional field
    return int(oneof.index)


def _spec(fd: FieldDesc, py_encoder_for: PyEncoderFor) -> tuple[Any, ...]:
    key = orjson.dumps(fd.json_name) + b":"
    if is_map_field(fd):
        entry = fd.message_type
        parts = []
        for number, name in ((1, "key"), (2, "value")):
            kind, extra = _kind(entry.fields_by_name[name], py_encoder_for)
            parts.append((number, kind, 0, -1, b"", extra))
        return (fd.number, _jsonwire.MAP, 1, -1, key, tuple(parts))
    kind, extra = _kind(fd, py_encoder_for)
    return (fd.number, kind, int(is_repeated(fd)), _oneof_index(fd), key, extra)


def _kind(fd: FieldDesc, py_encoder_for: PyEncoderFor) -> tuple[int, Any]:
    w: Any = _jsonwire
    t = fd.type
    if t in (_FD.TYPE_MESSAGE, _FD.TYPE_GROUP):
        mt = fd.message_type
        full = mt.full_name
        if full == "google.protobuf.Timestamp":
            return w.TIMESTAMP, None
        if full == "google.protobuf.Duration":
            return w.DURATION, None
        if has_special_json(mt) and not _unwrapped(mt):  # Any, FieldMask
            return w.PY, (2, _message_callback(mt, py_encoder_for))
        return w.MESSAGE, _plan(mt, py_encoder_for)
    if t == _FD.TYPE_ENUM:
        et = fd.enum_type
        if et.full_name == "google.protobuf.NullValue":
            return w.NULL, None
        names = {n: orjson.dumps(v.name) for n, v in et.values_by_number.items()}
        return w.ENUM, (names, int(bool(getattr(et, "is_closed", False))))
    if t == _FD.TYPE_DOUBLE:
        if fd.containing_type.full_name == "google.protobuf.Value":
            return w.PY, (1, _value_number)
        return w.PY, (1, _double)
    if t == _FD.TYPE_FLOAT:
        return w.PY, (5, _float)
    return _SCALAR_KINDS[t](w), None


_SCALAR_KINDS: dict[int, Callable[[Any], int]] = {
    _FD.TYPE_INT32: lambda w: w.INT32,
    _FD.TYPE_INT64: lambda w: w.INT64,
    _FD.TYPE_UINT32: lambda w: w.UINT32,
    _FD.TYPE_UINT64: lambda w: w.UINT64,
    _FD.TYPE_SINT32: lambda w: w.SINT32,
    _FD.TYPE_SINT64: lambda w: w.SINT64,
    _FD.TYPE_FIXED32: lambda w: w.FIXED32,
    _FD.TYPE_FIXED64: lambda w: w.FIXED64,
    _FD.TYPE_SFIXED32: lambda w: w.SFIXED32,
    _FD.TYPE_SFIXED64: lambda w: w.SFIXED64,
    _FD.TYPE_BOOL: lambda w: w.BOOL,
    _FD.TYPE_STRING: lambda w: w.STRING,
    _FD.TYPE_BYTES: lambda w: w.BYTES,
}


def _double(bits: int) -> bytes:
    (x,) = _DOUBLE.unpack(bits.to_bytes(8, "little"))
    return orjson.dumps(x if x - x == 0.0 else nonfinite(x))


def _value_number(bits: int) -> bytes | None:
    """A Value's number: NaN and infinities have no JSON form (None: Python raises)."""
    (x,) = _DOUBLE.unpack(bits.to_bytes(8, "little"))
    return orjson.dumps(x) if x - x == 0.0 else None


def _float(bits: int) -> bytes:
    (x,) = _FLOAT.unpack(bits.to_bytes(4, "little"))
    return orjson.dumps(shortest_float32(x))


def _message_callback(desc: Descriptor, py_encoder_for: PyEncoderFor) -> Callable[[bytes], bytes]:
    """A well-known type with its own JSON form, printed by the Python encoder."""
    cls = GetMessageClass(desc)
    enc = py_encoder_for(desc, False)

    def callback(data: bytes) -> bytes:
        return orjson.dumps(enc(cls.FromString(data)))

    return callback


def element_encoder(desc: Descriptor, py_encoder_for: PyEncoderFor) -> Callable[[Any], Any]:
    """An encoder of ``desc`` for the page memo: the printed JSON as an
    ``orjson.Fragment`` (for ``orjson.dumps`` only), else the Python encoder's value."""
    py = py_encoder_for(desc, False)
    wire = wire_encoder_for(desc, py_encoder_for)
    if wire is None:
        return py
    fragment = orjson.Fragment

    def encode(m: Any) -> Any:
        out = print_message(wire, m)
        return py(m) if out is None else fragment(out)

    return encode
