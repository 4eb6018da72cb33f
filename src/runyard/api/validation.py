"""Checks every request gets before its method runs: no NUL characters, and
the size limits that keep one caller's data from hurting everyone
(docs/security.md#limits).

- labels (any `map<string, string> labels`): at most 64, keys 1-63
  characters, values at most 255 characters;
- any other string: at most 16,384 characters;
- any repeated field or map: at most 1,000 items;
- the whole request: at most 1 MiB serialized.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from runyard.aip.errors import invalid_argument

_MAX_DEPTH = 32
MAX_LABELS = 64
MAX_LABEL_KEY = 63
MAX_LABEL_VALUE = 255
MAX_STRING = 16_384
MAX_ITEMS = 1_000
MAX_REQUEST_BYTES = 1 << 20


def check_request(message: Message) -> None:
    """Raises INVALID_ARGUMENT, naming the field, for the first violation."""
    size = message.ByteSize()
    if size > MAX_REQUEST_BYTES:
        biggest = max(message.ListFields(), key=lambda fv: _size(fv[0], fv[1]), default=None)
        raise invalid_argument(
            biggest[0].name if biggest else "",
            f"the request is {size:,} bytes; at most {MAX_REQUEST_BYTES:,} are accepted",
            "REQUEST_TOO_LARGE",
        )
    _walk(message, "", 0)


def _size(field: FieldDescriptor, value: Any) -> int:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.is_repeated:
            items = value.values() if hasattr(value, "values") else value
            return sum(i.ByteSize() if isinstance(i, Message) else len(str(i)) for i in items)
        return int(value.ByteSize())
    return len(value) if isinstance(value, (str, bytes)) else 8


def _string(name: str, value: str, limit: int = MAX_STRING) -> None:
    if "\x00" in value:
        raise invalid_argument(name, "must not contain NUL characters", "NUL_CHARACTER")
    if len(value) > limit:
        raise invalid_argument(
            name, f"must be at most {limit:,} characters (got {len(value):,})", "VALUE_TOO_LONG"
        )


def _labels(name: str, labels: Any) -> None:
    if len(labels) > MAX_LABELS:
        raise invalid_argument(
            name, f"at most {MAX_LABELS} labels (got {len(labels):,})", "TOO_MANY_LABELS"
        )
    for key, value in labels.items():
        if not key:
            raise invalid_argument(name, "label keys must not be empty", "INVALID_LABEL")
        _string(f"{name}[{key[:MAX_LABEL_KEY]}]", key, MAX_LABEL_KEY)
        _string(f"{name}[{key}]", value, MAX_LABEL_VALUE)


def _walk(message: Message, path: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    for field, value in message.ListFields():
        name = f"{path}.{field.name}" if path else field.name
        if field.is_repeated and len(value) > MAX_ITEMS:
            raise invalid_argument(
                name, f"at most {MAX_ITEMS:,} items (got {len(value):,})", "TOO_MANY_ITEMS"
            )
        if field.type == FieldDescriptor.TYPE_STRING:
            for item in value if field.is_repeated else [value]:
                _string(name, item)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            entry = field.message_type
            if entry is not None and entry.GetOptions().map_entry:
                if field.name == "labels" and entry.fields_by_name["value"].type == (
                    FieldDescriptor.TYPE_STRING
                ):
                    _labels(name, value)
                    continue
                for key, item in value.items():
                    if isinstance(key, str):
                        _string(name, key)
                    if isinstance(item, Message):
                        _walk(item, f"{name}[{key}]", depth + 1)
                    elif isinstance(item, str):
                        _string(f"{name}[{key}]", item)
            elif field.is_repeated:
                for i, item in enumerate(value):
                    _walk(item, f"{name}[{i}]", depth + 1)
            else:
                _walk(value, name, depth + 1)


def schema_limits(field: Any) -> dict[str, Any]:
    """The limits above as JSON Schema keywords of ``field``'s schema in the
    OpenAPI document (the HTTP gateway's ``field_constraints`` hook)."""
    entry = field.message_type
    if entry is not None and entry.GetOptions().map_entry:
        value = entry.fields_by_name["value"]
        if field.name == "labels" and value.type == FieldDescriptor.TYPE_STRING:
            return {
                "maxProperties": MAX_LABELS,
                "propertyNames": {"minLength": 1, "maxLength": MAX_LABEL_KEY},
                "additionalProperties": {"type": "string", "maxLength": MAX_LABEL_VALUE},
            }
        return {"maxProperties": MAX_ITEMS}
    if field.type == FieldDescriptor.TYPE_STRING:
        if field.is_repeated:
            return {"maxItems": MAX_ITEMS, "items": {"type": "string", "maxLength": MAX_STRING}}
        return {"maxLength": MAX_STRING}
    return {"maxItems": MAX_ITEMS} if field.is_repeated else {}
