"""The query parameters of an OpenAPI operation: the request's leaf fields that
neither the path nor the body binds (nested ones dotted, repeated ones exploded)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf.descriptor import Descriptor

from .descriptors import is_map_field
from .openapi_scalars import Constraints, query_scalar
from .query_values import QUERY_LEAF_MESSAGES
from .routes import Binding

# Recursive request types are listed this many levels deep.
_MAX_QUERY_DEPTH = 3


def query_parameters(
    b: Binding,
    comments: Mapping[str, str] | None = None,
    constraints: Constraints | None = None,
) -> list[dict[str, Any]]:
    """The query parameters of a binding: leaf fields neither path-bound nor in the body."""
    if b.body == "*":
        return []
    bound = {".".join(p) for p in b.path_fields}
    out: list[dict[str, Any]] = []

    def walk(desc: Descriptor, prefix: str, depth: int) -> None:
        for f in desc.fields:
            name = prefix + f.name
            if name in bound or (not prefix and f.name == b.body):
                continue
            mt = f.message_type
            if is_map_field(f):
                continue
            if mt is not None and mt.full_name == "google.protobuf.Any":
                continue
            if mt is not None and mt.full_name not in QUERY_LEAF_MESSAGES:
                # Depth-bounded, so recursive types are listed a few levels deep.
                if f.is_repeated or depth >= _MAX_QUERY_DEPTH:
                    continue
                walk(mt, name + ".", depth + 1)
                continue
            if mt is not None and mt.full_name == "google.protobuf.Empty":
                continue
            schema = query_scalar(f)
            param: dict[str, Any] = {"name": name, "in": "query", "required": False}
            if comments and f.full_name in comments:
                param["description"] = comments[f.full_name]
            if f.is_repeated:
                param["schema"] = {"type": "array", "items": schema}
                param["style"] = "form"
                param["explode"] = True
            else:
                param["schema"] = schema
            if constraints is not None and (mt is None or f.is_repeated):
                param["schema"] = {**param["schema"], **constraints(f)}
            out.append(param)

    walk(b.input, "", 0)
    return out
