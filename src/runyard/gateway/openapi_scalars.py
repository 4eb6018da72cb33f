"""JSON Schemas of protobuf scalars and well-known types, in bodies (proto3 JSON)
and in query strings (plain text), for the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf.descriptor import FieldDescriptor

FD = FieldDescriptor
INT64 = {FD.TYPE_INT64, FD.TYPE_SINT64, FD.TYPE_SFIXED64}
UINT64 = {FD.TYPE_UINT64, FD.TYPE_FIXED64}
INT32 = {FD.TYPE_INT32, FD.TYPE_SINT32, FD.TYPE_SFIXED32}
UINT32 = {FD.TYPE_UINT32, FD.TYPE_FIXED32}
# A field's limits as JSON Schema keywords (maxLength, maxItems, ...).
Constraints = Callable[[FieldDescriptor], dict[str, Any]]


def up_to(limit: int) -> str:
    """A regex (no anchors) for the decimal integers 0..limit, without leading
    zeros: JSON Schema cannot bound a number written as a string otherwise."""
    digits = str(limit)
    n = len(digits)
    alts = ["0"] if n == 1 else ["0", f"[1-9][0-9]{{0,{n - 2}}}"]
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            top = int(d) - 1
            rng = str(low) if top == low else f"[{low}-{top}]"
            alts.append(f"{digits[:i]}{rng}[0-9]{{{n - i - 1}}}")
    alts.append(digits)
    return "(?:" + "|".join(dict.fromkeys(alts)) + ")"


# proto3 JSON writes 64-bit integers as strings; the patterns hold them in range.
INT64_PATTERN = rf"^(?:{up_to(2**63 - 1)}|-{up_to(2**63)})$"
UINT64_PATTERN = rf"^{up_to(2**64 - 1)}$"


WKT_SCHEMAS: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    # Duration's range is ±315,576,000,000 s (10,000 years).
    "google.protobuf.Duration": {
        "type": "string",
        "pattern": rf"^-?{up_to(315_575_999_999)}(\.[0-9]{{1,9}})?s$",
    },
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "additionalProperties": True,
    },
}


def scalar_schema(t: int) -> dict[str, Any]:
    if t in INT64:
        return {"type": "string", "format": "int64", "pattern": INT64_PATTERN}
    if t in UINT64:
        return {"type": "string", "format": "uint64", "pattern": UINT64_PATTERN}
    if t in INT32:
        return {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
    if t in UINT32:
        return {"type": "integer", "format": "uint32", "minimum": 0, "maximum": 2**32 - 1}
    if t in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        return {
            "oneOf": [
                {"type": "number"},
                {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]},
            ]
        }
    if t == FD.TYPE_BOOL:
        return {"type": "boolean"}
    if t == FD.TYPE_BYTES:
        return {"type": "string", "format": "byte"}
    return {"type": "string"}


def query_scalar(f: Any) -> dict[str, Any]:
    # Query values are text; integers are plain numbers there whatever their size.
    t = f.type
    if t == FD.TYPE_ENUM:
        return {"type": "string", "enum": [v.name for v in f.enum_type.values]}
    if t == FD.TYPE_MESSAGE:
        name = f.message_type.full_name
        if name in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
            return dict(WKT_SCHEMAS[name])
        if name.endswith("Value") and "value" in f.message_type.fields_by_name:
            return query_scalar(f.message_type.fields_by_name["value"])
        return {"type": "string", "description": f"{name} in its JSON form"}
    if t in INT64:
        return {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1}
    if t in UINT64:
        return {"type": "integer", "format": "uint64", "minimum": 0, "maximum": 2**64 - 1}
    if t in INT32:
        return {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
    if t in UINT32:
        return {"type": "integer", "format": "uint32", "minimum": 0, "maximum": 2**32 - 1}
    if t in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        return {"type": "number"}
    if t == FD.TYPE_BOOL:
        return {"type": "boolean"}
    if t == FD.TYPE_BYTES:
        return {"type": "string", "format": "byte"}
    return {"type": "string"}
