"""Descriptor helpers shared by the gateway's modules: one home for "is this a
map field", field look-up by proto or JSON name, FieldMask path spelling, the
well-known types with their own JSON form and Any's type URLs."""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor

__all__ = [
    "SPECIAL_WKT",
    "WRAPPERS_FILE",
    "camel_to_snake",
    "field_by_name",
    "has_special_json",
    "is_map_field",
    "is_repeated",
    "resolve_type_url",
]

_FD = FieldDescriptor
WRAPPERS_FILE = "google/protobuf/wrappers.proto"
# Well-known types whose JSON form is not an object of their fields.
SPECIAL_WKT = frozenset(
    {
        "google.protobuf.Any",
        "google.protobuf.Duration",
        "google.protobuf.FieldMask",
        "google.protobuf.ListValue",
        "google.protobuf.Struct",
        "google.protobuf.Timestamp",
        "google.protobuf.Value",
    }
)


def is_map_field(fd: Any) -> bool:
    mt = fd.message_type
    return fd.type == _FD.TYPE_MESSAGE and mt is not None and mt.GetOptions().map_entry


def is_repeated(fd: Any) -> bool:
    """Repeated, maps included."""
    return bool(fd.is_repeated)


def has_special_json(desc: Any) -> bool:
    """True if the type's JSON form is not a plain object (Any's is an object with @type)."""
    return desc.file.name == WRAPPERS_FILE or desc.full_name in SPECIAL_WKT


def field_by_name(desc: Descriptor, name: str) -> FieldDescriptor | None:
    """A field by proto name or JSON name."""
    f = desc.fields_by_name.get(name)
    if f is not None:
        return f
    for f in desc.fields:
        if f.json_name == name:
            return f
    return None


def camel_to_snake(path: str, *, allow_snake: bool = False) -> str:
    """A FieldMask path from lowerCamelCase to its proto (snake_case) form.

    The JSON form of a FieldMask must be lowerCamelCase (``_`` is refused, as
    json_format does); query parameters also take the proto form as it is
    (``allow_snake``), as Envoy does."""
    if "_" in path and not allow_snake:
        raise ValueError(f"FieldMask path {path!r} must be lowerCamelCase (no '_')")
    return "".join("_" + c.lower() if c.isupper() else c for c in path)


_ANY_TYPES: dict[str, Any] = {}


def resolve_type_url(type_url: str) -> Any:
    """The message class named by an Any's type URL, from the default descriptor pool."""
    cls = _ANY_TYPES.get(type_url)
    if cls is None:
        name = type_url.rpartition("/")[2]
        try:
            desc = descriptor_pool.Default().FindMessageTypeByName(name)
        except KeyError:
            raise ValueError(f"unknown Any type {type_url!r}") from None
        cls = message_factory.GetMessageClass(desc)
        _ANY_TYPES[type_url] = cls
    return cls
