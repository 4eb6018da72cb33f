"""The JSON of a :class:`~runyard.gateway.framed.Framed` response, from its bytes.

The elements of its repeated field are looked up in the element memo by their
serialized bytes as they came (no ``SerializeToString`` per element); the ones
not kept are printed from those bytes by the compiled printer
(:mod:`.jsoncodec_encode_wire`), or, without it, parsed and encoded in Python.
The other fields are encoded from a message parsed from their few bytes. The
output is that of :func:`~runyard.gateway.jsoncodec.encode_message` on the
parsed message, key order included, but for the entries of a map: printed from
the stored bytes they come in the order the element was written with, which a
parsed copy may iterate differently (the same JSON object).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from . import jsoncodec_encode_wire as _wire
from .descriptors import has_special_json, is_map_field
from .framed import Framed
from .jsoncodec import JsonEncodeError, encode_message, to_json_value
from .jsoncodec_encode import MEMO, element_encoder_for, encoder_for
from .jsoncodec_encode_wire import WireEncoder, wire_encoder_for

__all__ = ["encode_framed"]

# Parsing the whole response costs about a third of parsing its elements one by
# one: worth it once more than this share of a page is not in the memo.
WHOLE_PARSE_SHARE = 0.25


class _Plan:
    """How to encode one (response type, item field) pair."""

    __slots__ = ("after", "element", "key", "name")

    def __init__(self, desc: Any, field: Any) -> None:
        self.key: str = field.json_name
        self.name: str = field.name
        self.element: type[Message] = GetMessageClass(field.message_type)
        # JSON keys the encoder writes before this field: it goes in field-number
        # order, a oneof at the place of its first member.
        rank = {}
        for fd in desc.fields:
            oneof = fd.containing_oneof
            members = oneof.fields if oneof is not None else (fd,)
            rank[fd.json_name] = min(f.number for f in members)
        self.after = frozenset(k for k, r in rank.items() if r > field.number)


_plans: dict[tuple[Any, int], _Plan | None] = {}


def _plan(desc: Any, number: int) -> _Plan | None:
    key = (desc, number)
    if key in _plans:
        return _plans[key]
    fd = desc.fields_by_number.get(number)
    plan = None
    if (
        fd is not None
        and fd.is_repeated
        and fd.message_type is not None
        and not is_map_field(fd)
        and not has_special_json(fd.message_type)
        and not has_special_json(desc)
    ):
        plan = _Plan(desc, fd)
    _plans[key] = plan
    return plan


def encode_framed(framed: Framed[Any], *, emit_unpopulated: bool = False) -> bytes:
    """``framed`` as compact proto3 JSON, as ``encode_message(framed.message)``."""
    plan = _plan(framed.cls.DESCRIPTOR, framed.field)
    if plan is None:
        return encode_message(framed.message, emit_unpopulated=emit_unpopulated)
    try:
        return orjson.dumps(_value(framed, plan, emit_unpopulated))
    except (RecursionError, orjson.JSONEncodeError) as e:
        raise JsonEncodeError(f"message nested too deeply for JSON: {e}") from None


def _value(framed: Framed[Any], plan: _Plan, emit: bool) -> dict[str, Any]:
    items = framed.items
    value: dict[str, Any] = to_json_value(framed.cls.FromString(framed.rest), emit_unpopulated=emit)
    if not items:
        return value
    desc = plan.element.DESCRIPTOR
    wire = _printer(desc) if _wire.ENABLED and not emit else None
    py = encoder_for(desc, emit)

    def texts(missing: list[int]) -> list[bytes]:
        out: list[bytes | None] = (
            [wire(items[i]) for i in missing] if wire else [None] * len(missing)
        )
        left = [n for n, text in enumerate(out) if text is None]
        if left:
            messages = _parse(framed, plan, [missing[n] for n in left])
            for n, m in zip(left, messages, strict=True):
                out[n] = orjson.dumps(py(m))
        return out  # type: ignore[return-value]

    # Kept under the memo's own element encoder, so encode_message's pages share them.
    return _with(value, plan, MEMO.encode_keyed(element_encoder_for(desc, emit), items, texts))


def _parse(framed: Framed[Any], plan: _Plan, indices: list[int]) -> Sequence[Any]:
    if len(indices) > WHOLE_PARSE_SHARE * len(framed.items):
        elements = getattr(framed.message, plan.name)
        return [elements[i] for i in indices]
    return [plan.element.FromString(framed.items[i]) for i in indices]


_printers: dict[Any, WireEncoder | None] = {}


def _printer(desc: Any) -> WireEncoder | None:
    if desc not in _printers:
        _printers[desc] = wire_encoder_for(desc, encoder_for)
    return _printers[desc]


def _with(value: dict[str, Any], plan: _Plan, elements: list[Any]) -> dict[str, Any]:
    """``value`` with ``elements`` under the field's key, where the encoder puts it."""
    if plan.key in value or not value:
        value[plan.key] = elements
        return value
    out: dict[str, Any] = {}
    after = plan.after
    for k, v in value.items():
        if k in after and plan.key not in out:
            out[plan.key] = elements
        out[k] = v
    if plan.key not in out:
        out[plan.key] = elements
    return out
