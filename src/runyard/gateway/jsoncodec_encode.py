"""Descriptor-compiled message → JSON-value encoders.

Private to :mod:`runyard.gateway.jsoncodec`. For each (message type,
emit_unpopulated) pair one Python function is generated from the descriptor
and compiled once: field names, JSON keys, converters and presence checks are
all known ahead, so encoding a message is straight-line attribute reads that
build dicts and lists, later serialised by a single ``orjson.dumps``. That
avoids ``json_format``'s per-field descriptor inspection, which is where its
time goes.

Whole responses (``encode_message``) also memoise the elements of their
top-level repeated message fields — the runs of a page — keyed by each
element's serialized bytes, as ready JSON (``orjson.Fragment``): a page that
is served again (a dashboard polling) costs one ``SerializeToString`` and one
lookup per element instead of re-encoding it. The bytes determine the message,
so a hit is always the same JSON; the memo is bounded in bytes.
"""

from __future__ import annotations

import keyword
import threading
from collections.abc import Callable
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message

from .descriptors import (
    WRAPPERS_FILE,
    has_special_json,
    is_map_field,
    is_repeated,
    resolve_type_url,
)
from .jsoncodec_encode_wire import element_encoder
from .jsoncodec_memo import MEMO, MEMO_MIN_FIELDS, ElementMemo
from .jsoncodec_wkt import (
    EncodeError,
    b64encode,
    format_duration,
    format_field_mask,
    format_timestamp,
    list_value_json,
    nonfinite,
    shortest_float32,
    struct_json,
    value_json,
)

# Descriptors are typed loosely: the stubs' Optional attributes (message_type, enum_type)
# are always set where this module reads them, and upb's descriptor classes differ from
# the stubs' ones.
Descriptor = Any
FieldDesc = Any

Encoder = Callable[[Any], Any]

_FD = FieldDescriptor
_INT64_TYPES = frozenset(
    {_FD.TYPE_INT64, _FD.TYPE_UINT64, _FD.TYPE_SINT64, _FD.TYPE_FIXED64, _FD.TYPE_SFIXED64}
)
_MESSAGE_TYPES = frozenset({_FD.TYPE_MESSAGE, _FD.TYPE_GROUP})

# ---- hand-written encoders of the self-describing well-known types ----------------------


_AnyPlan = tuple[Any, Encoder, bool]
_any_plans: dict[tuple[str, bool], _AnyPlan] = {}


def _any_plan(type_url: str, emit: bool) -> _AnyPlan:
    try:
        cls = resolve_type_url(type_url)
    except ValueError as e:
        raise EncodeError(str(e)) from None
    desc = cls.DESCRIPTOR
    plan = (cls, encoder_for(desc, emit), has_special_json(desc))
    _any_plans[(type_url, emit)] = plan
    return plan


def _make_any(emit: bool) -> Encoder:
    def enc_any(m: Any) -> Any:
        type_url = m.type_url
        payload = m.value
        if not type_url and not payload:
            return {}
        plan = _any_plans.get((type_url, emit)) or _any_plan(type_url, emit)
        sub = plan[0]()
        try:
            sub.ParseFromString(payload)
        except DecodeError:
            raise EncodeError(f"Any of type {type_url!r} holds bytes that do not parse") from None
        if plan[2]:
            return {"@type": type_url, "value": plan[1](sub)}
        out = {"@type": type_url}
        out.update(plan[1](sub))
        return out

    return enc_any


# ---- code generation --------------------------------------------------------------------

_lock = threading.RLock()
_names: dict[tuple[Descriptor, bool], str] = {}
_counter = [0]
# Namespace shared by all generated functions: they find each other (and recursive types
# find themselves) through it by name at call time.
_NS: dict[str, Any] = {
    "_ts": format_timestamp,
    "_dur": format_duration,
    "_fm": format_field_mask,
    "_nonfinite": nonfinite,
    "_f32": shortest_float32,
    "_b64": b64encode,
    "_value": value_json,
    "_struct": struct_json,
    "_list_value": list_value_json,
    "_any0": _make_any(False),
    "_any1": _make_any(True),
    "_memo": MEMO.encode,
    "_memo_all": MEMO.encode_all,
}


def _attr(name: str) -> str:
    return f"getattr(m, {name!r})" if keyword.iskeyword(name) else f"m.{name}"


def _const(value: Any) -> str:
    """A namespace name bound to ``value`` (for enum tables)."""
    _counter[0] += 1
    name = f"_c{_counter[0]}"
    _NS[name] = value
    return name


def _enum_expr(fd: FieldDesc, var: str) -> str:
    et = fd.enum_type
    if et.full_name == "google.protobuf.NullValue":
        return "None"
    table = {n: v.name for n, v in et.values_by_number.items()}
    # Unknown numbers of open enums print as numbers, as json_format does.
    return f"{_const(table)}.get({var}, {var})"


def _scalar_expr(fd: FieldDesc, var: str) -> str:
    t = fd.type
    if t in _INT64_TYPES:
        return f"str({var})"
    if t == _FD.TYPE_DOUBLE:
        return f"({var} if {var} - {var} == 0.0 else _nonfinite({var}))"
    if t == _FD.TYPE_FLOAT:
        return f"_f32({var})"
    if t == _FD.TYPE_BYTES:
        return f"_b64({var})"
    if t == _FD.TYPE_ENUM:
        return _enum_expr(fd, var)
    return var  # int32 family, bool, string: the Python value is already the JSON value


def _message_expr(desc: Descriptor, var: str, emit: bool) -> str:
    full = desc.full_name
    if full == "google.protobuf.Timestamp":
        return f"_ts({var}.seconds, {var}.nanos)"
    if full == "google.protobuf.Duration":
        return f"_dur({var}.seconds, {var}.nanos)"
    if full == "google.protobuf.FieldMask":
        return f"_fm({var}.paths)"
    if desc.file.name == WRAPPERS_FILE:
        return _scalar_expr(desc.fields_by_name["value"], f"{var}.value")
    return f"{_function_name(desc, emit)}({var})"


def _element_expr(fd: FieldDesc, var: str, emit: bool) -> str:
    if fd.type in _MESSAGE_TYPES:
        return _message_expr(fd.message_type, var, emit)
    return _scalar_expr(fd, var)


def _in_real_oneof(fd: FieldDesc) -> bool:
    """In a oneof other than the synthetic one of a proto3 ``optional`` field."""
    oneof = fd.containing_oneof
    return oneof is not None and not (len(oneof.fields) == 1 and oneof.name == "_" + fd.name)


def _memoised(fd: FieldDesc) -> bool:
    mt = fd.message_type
    return (
        fd.type in _MESSAGE_TYPES and not has_special_json(mt) and len(mt.fields) >= MEMO_MIN_FIELDS
    )


def _generate(desc: Descriptor, name: str, emit: bool, memo: bool = False) -> str:
    """The encoder of ``desc``; with ``memo`` its own repeated message fields go
    through the element memo (their elements' encoders do not)."""
    lines = [f"def {name}(m):", "    d = {}"]
    add = lines.append
    presence = [
        f for f in desc.fields if f.has_presence and not is_repeated(f) and not _in_real_oneof(f)
    ]
    # One bound method instead of an attribute lookup per presence check.
    has = "has" if len(presence) > 1 else "m.HasField"
    if len(presence) > 1:
        add("    has = m.HasField")
    oneof_done: set[str] = set()
    for fd in sorted(desc.fields, key=lambda f: f.number):
        key = repr(fd.json_name)
        get = _attr(fd.name)
        oneof = fd.containing_oneof
        if is_map_field(fd):
            lines += _map_lines(fd, key, get, emit)
        elif is_repeated(fd):
            lines += _repeated_lines(fd, key, get, emit, memo)
        elif oneof is not None and _in_real_oneof(fd):
            # A real oneof: one WhichOneof call settles all its members.
            if oneof.name in oneof_done:
                continue
            oneof_done.add(oneof.name)
            lines += _oneof_lines(oneof, emit)
        elif fd.has_presence:
            add(f"    if {has}({fd.name!r}):")
            add(f"        v = {get}")
            add(f"        d[{key}] = {_element_expr(fd, 'v', emit)}")
        else:
            lines += _implicit_lines(fd, key, get, emit)
    add("    return d")
    return "\n".join(lines) + "\n"


def _map_lines(fd: FieldDesc, key: str, get: str, emit: bool) -> list[str]:
    kf = fd.message_type.fields_by_name["key"]
    vf = fd.message_type.fields_by_name["value"]
    if kf.type == _FD.TYPE_BOOL:
        kexpr = "('true' if k else 'false')"
    elif kf.type == _FD.TYPE_STRING:
        kexpr = "k"
    else:
        kexpr = "str(k)"
    vexpr = _element_expr(vf, "x", emit)
    # Indexing by key beats .items() on upb maps; "for x in [...]" is a plain
    # assignment inside a comprehension.
    if vexpr == "x":
        comp = f"{{{kexpr}: v[k] for k in v}}"
    else:
        comp = f"{{{kexpr}: {vexpr} for k in v for x in [v[k]]}}"
    if emit:
        return [f"    v = {get}", f"    d[{key}] = {comp}"]
    return [f"    v = {get}", "    if v:", f"        d[{key}] = {comp}"]


def _repeated_lines(fd: FieldDesc, key: str, get: str, emit: bool, memo: bool) -> list[str]:
    vexpr = _element_expr(fd, "x", emit)
    if memo and _memoised(fd):
        comp = f"_memo_all({_memo_element(fd.message_type, emit)}, v)"
    else:
        comp = "list(v)" if vexpr == "x" else f"[{vexpr} for x in v]"
    if emit:
        return [f"    v = {get}", f"    d[{key}] = {comp}"]
    return [f"    v = {get}", "    if v:", f"        d[{key}] = {comp}"]


def _oneof_lines(oneof: Any, emit: bool) -> list[str]:
    lines = [f"    w = m.WhichOneof({oneof.name!r})", "    if w is None:", "        pass"]
    for member in sorted(oneof.fields, key=lambda f: f.number):
        lines.append(f"    elif w == {member.name!r}:")
        lines.append(f"        v = {_attr(member.name)}")
        lines.append(f"        d[{member.json_name!r}] = {_element_expr(member, 'v', emit)}")
    return lines


def _implicit_lines(fd: FieldDesc, key: str, get: str, emit: bool) -> list[str]:
    """A singular field without presence: omitted at its default unless ``emit``."""
    vexpr = _element_expr(fd, "v", emit)
    if emit:
        return [f"    v = {get}", f"    d[{key}] = {vexpr}"]
    if fd.type in (_FD.TYPE_DOUBLE, _FD.TYPE_FLOAT):
        # -0.0 is falsy but has non-zero bits, so protobuf counts it as set.
        return [f"    v = {get}", "    if v or str(v)[0] == '-':", f"        d[{key}] = {vexpr}"]
    return [f"    v = {get}", "    if v:", f"        d[{key}] = {vexpr}"]


def _memo_element(desc: Descriptor, emit: bool) -> str:
    """The name of the element encoder the memo calls (see :func:`element_encoder_for`)."""
    if emit:
        return _function_name(desc, emit)
    return _const(element_encoder_for(desc, emit))


def _function_name(desc: Descriptor, emit: bool) -> str:
    key = (desc, emit)
    name = _names.get(key)
    if name is not None:
        return name
    full = desc.full_name
    if full == "google.protobuf.Any":
        name = "_any1" if emit else "_any0"
    elif full == "google.protobuf.Struct":
        name = "_struct"
    elif full == "google.protobuf.Value":
        name = "_value"
    elif full == "google.protobuf.ListValue":
        name = "_list_value"
    elif has_special_json(desc):
        # Timestamp, Duration, FieldMask, wrappers: a one-line function around the
        # inline expression used for fields.
        _counter[0] += 1
        name = f"_w{_counter[0]}"
        _names[key] = name
        src = f"def {name}(m):\n    return {_message_expr(desc, 'm', emit)}\n"
        exec(compile(src, f"<jsoncodec {full}>", "exec"), _NS)
        return name
    else:
        _counter[0] += 1
        name = f"_m{_counter[0]}_{full.replace('.', '_')}_{int(emit)}"
        _names[key] = name  # before generating, so recursive types refer to themselves
        src = _generate(desc, name, emit)
        exec(compile(src, f"<jsoncodec {full}>", "exec"), _NS)
        return name
    _names[key] = name
    return name


_encoders: dict[tuple[Descriptor, bool], Encoder] = {}
_memo_encoders: dict[tuple[Descriptor, bool], Encoder] = {}


def encoder_for(desc: Descriptor, emit: bool) -> Encoder:
    """The compiled encoder of ``desc`` (message -> JSON-ready Python value)."""
    key = (desc, emit)
    enc = _encoders.get(key)
    if enc is None:
        with _lock:
            enc = _NS[_function_name(desc, emit)]
            _encoders[key] = enc
    return enc


_element_encoders: dict[Descriptor, Encoder] = {}


def element_encoder_for(desc: Descriptor, emit: bool) -> Encoder:
    """The encoder of elements kept in the memo, for ``orjson.dumps`` only: without
    ``emit``, the compiled printer's JSON as an ``orjson.Fragment`` when it is built
    (runyard.gateway.jsoncodec_encode_wire); else :func:`encoder_for`'s."""
    if emit:
        return encoder_for(desc, emit)
    enc = _element_encoders.get(desc)
    if enc is None:
        with _lock:
            enc = _element_encoders.get(desc) or element_encoder(desc, encoder_for)
            _element_encoders[desc] = enc
    return enc


def memo_encoder_for(desc: Descriptor, emit: bool) -> Encoder:
    """Like :func:`encoder_for`, with the top-level repeated message fields'
    elements as memoised ``orjson.Fragment`` values: for ``orjson.dumps`` only."""
    key = (desc, emit)
    enc = _memo_encoders.get(key)
    if enc is None:
        with _lock:
            if has_special_json(desc) or not any(
                is_repeated(f) and not is_map_field(f) and _memoised(f) for f in desc.fields
            ):
                enc = encoder_for(desc, emit)
            else:
                _counter[0] += 1
                name = f"_p{_counter[0]}_{desc.full_name.replace('.', '_')}_{int(emit)}"
                src = _generate(desc, name, emit, memo=True)
                exec(compile(src, f"<jsoncodec page {desc.full_name}>", "exec"), _NS)
                enc = _NS[name]
            _memo_encoders[key] = enc
    return enc


def generated_source(desc: Descriptor, emit: bool) -> str:
    """The generated source of ``desc``'s encoder, for debugging and tests."""
    with _lock:
        return _generate(desc, "encode", emit)


__all__ = [
    "MEMO",
    "ElementMemo",
    "EncodeError",
    "Message",
    "element_encoder_for",
    "encoder_for",
    "generated_source",
    "memo_encoder_for",
    "resolve_type_url",
]
