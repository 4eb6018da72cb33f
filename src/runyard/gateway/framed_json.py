"""The JSON of a :class:`~runyard.gateway.framed.Framed` response, from its bytes.

The elements of its repeated field are looked up in the element memo by their
serialized bytes as they came (no ``SerializeToString`` per element) and only
the ones not kept are parsed and encoded; the other fields are encoded from a
message parsed from their few bytes. The output is that of
:func:`~runyard.gateway.jsoncodec.encode_message` on the parsed message, key
order included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from .descriptors import has_special_json, is_map_field
from .framed import Framed
from .jsoncodec import JsonEncodeError, encode_message, to_json_value
from .jsoncodec_encode import MEMO, encoder_for

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
    enc = encoder_for(plan.element.DESCRIPTOR, emit)

    def parse(missing: list[int]) -> Sequence[Any]:
        if len(missing) > WHOLE_PARSE_SHARE * len(items):
            elements = getattr(framed.message, plan.name)
            return [elements[i] for i in missing]
        return [plan.element.FromString(items[i]) for i in missing]

    return _with(value, plan, MEMO.encode_keyed(enc, items, parse))


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
