"""OpenAPI 3.1 from the same bindings the router serves.

Paths are the templates with each ``*`` of a variable spelled as its own
parameter named after the literal before it (``/v1/{name=shelves/*/items/*}``
→ ``/v1/shelves/{shelf}/items/{item}``), so that generated clients build real
URLs; ``x-path-variables`` says how the parameters rebuild each field. Query
parameters are the leftover leaf fields (nested ones dotted, repeated ones
exploded). Schemas follow proto3 JSON: 64-bit integers as strings, enums by
name, well-known types in their JSON forms. Every operation documents
``google.rpc.Status`` as its ``default`` response, in ``application/json``
and ``application/problem+json``; a server-streaming method answers
``application/x-ndjson`` and ``text/event-stream``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.rpc import error_details_pb2

from .descriptors import is_map_field
from .httprule import WILD, WILD2, Template
from .openapi_query import query_parameters
from .openapi_scalars import FD, WKT_SCHEMAS, Constraints, scalar_schema
from .response import NDJSON
from .routes import HTTP_BODY, Binding
from .sse import EVENT_STREAM

__all__ = ["build_document", "openapi_path"]

STATUS_REF = {"$ref": "#/components/schemas/google.rpc.Status"}


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if word.endswith("lves"):
        return word[:-3] + "f"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 1:
        return word[:-1]
    return word


def openapi_path(template: Template) -> tuple[str, list[tuple[str, str, bool]], dict[str, str]]:
    """The OpenAPI path of ``template``, its parameters as (name, field path,
    is ``**``) and, per field, the pattern that rebuilds it from the parameters."""
    out: list[str] = []
    params: list[tuple[str, str, bool]] = []
    rebuild: dict[str, str] = {}
    used: set[str] = set()
    by_start = {v.start: v for v in template.variables}
    i = 0
    segs = template.segments
    while i < len(segs):
        var = by_start.get(i)
        if var is None:
            out.append(segs[i])
            i += 1
            continue
        field = ".".join(var.field_path)
        end = var.end if var.end is not None else len(segs)
        pieces: list[str] = []
        for j in range(i, end):
            s = segs[j]
            if s in (WILD, WILD2):
                if end - i == 1:
                    name = field
                elif s == WILD2:
                    name = f"{field.replace('.', '_')}_path"
                else:
                    prev = segs[j - 1] if j > i else ""
                    name = _singular(prev) if prev and prev not in (WILD, WILD2) else ""
                    name = name or f"{field.replace('.', '_')}_{j - i}"
                base, k = name, 2
                while name in used:
                    name = f"{base}{k}"
                    k += 1
                used.add(name)
                params.append((name, field, s == WILD2))
                pieces.append("{" + name + "}")
            else:
                pieces.append(s)
        out.extend(pieces)
        rebuild[field] = "/".join(pieces)
        i = end
    path = "/" + "/".join(out) + (":" + template.verb if template.verb else "")
    return path, params, rebuild


class _Schemas:
    def __init__(
        self, comments: Mapping[str, str], closed: bool, constraints: Constraints | None
    ) -> None:
        self.components: dict[str, Any] = {}
        self.comments = comments
        self.closed = closed
        self.constraints = constraints

    def ref(self, desc: Descriptor) -> dict[str, Any]:
        name = desc.full_name
        if name in WKT_SCHEMAS:
            return dict(WKT_SCHEMAS[name])
        if name.startswith("google.protobuf.") and name.endswith("Value"):
            return self.field_schema(desc.fields_by_name["value"]) | {"nullable_": True}
        if name not in self.components:
            self.components[name] = {}  # placeholder: recursion stops here
            self.components[name] = self.message(desc)
        return {"$ref": f"#/components/schemas/{name}"}

    def message(self, desc: Descriptor, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for f in desc.fields:
            if f.name in skip:
                continue
            props[f.json_name] = _described(self.field_schema(f), self.comments.get(f.full_name))
        schema: dict[str, Any] = {"type": "object", "properties": props}
        if self.closed:  # unknown JSON fields are refused (the gateway's default)
            schema["additionalProperties"] = False
        if desc.full_name == HTTP_BODY:
            schema["description"] = "google.api.HttpBody"
        elif desc.full_name in self.comments:
            schema["description"] = self.comments[desc.full_name]
        return schema

    def field_schema(self, f: FieldDescriptor) -> dict[str, Any]:
        schema = self._field_schema(f)
        if self.constraints is not None:
            schema = {**schema, **self.constraints(f)}
        return schema

    def _field_schema(self, f: FieldDescriptor) -> dict[str, Any]:
        mt: Any = f.message_type
        if is_map_field(f):
            return {
                "type": "object",
                "additionalProperties": self.field_schema(mt.fields_by_name["value"]),
            }
        item = self.single(f)
        if f.is_repeated:
            return {"type": "array", "items": item}
        return item

    def single(self, f: Any) -> dict[str, Any]:
        t = f.type
        if t == FD.TYPE_MESSAGE or t == FD.TYPE_GROUP:
            s = self.ref(f.message_type)
            return _fix_nullable(s)
        if t == FD.TYPE_ENUM:
            names = [v.name for v in f.enum_type.values]
            return {"type": "string", "enum": names}
        return scalar_schema(t)


def _described(schema: dict[str, Any], text: str | None) -> dict[str, Any]:
    # OpenAPI 3.1 allows a description beside a $ref.
    return {**schema, "description": text} if text else schema


def _fix_nullable(s: dict[str, Any]) -> dict[str, Any]:
    # Wrappers are their scalar or null (3.1 spells it as a type list).
    if s.pop("nullable_", False) and "type" in s:
        s["type"] = [s["type"], "null"]
    return s


def _status_schema(schemas: _Schemas) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "google.rpc.Status (proto3 JSON: fields at their defaults are "
        "omitted, so a status with code 0 or no message has no `code` or `message`); "
        "`code` is the gRPC code; `details` are AIP-193's standard error details.",
        "properties": {
            "code": {"type": "integer", "format": "int32"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"oneOf": _error_details(schemas)}},
        },
        "additionalProperties": False,
    }


def _error_details(schemas: _Schemas) -> list[dict[str, Any]]:
    """One closed schema per google.rpc error detail, told apart by ``@type``:
    an open ``Any`` would let a schema-valid request carry a type or fields
    the gateway must refuse."""
    out = []
    for desc in error_details_pb2.DESCRIPTOR.message_types_by_name.values():
        schema = schemas.message(desc)
        url = f"type.googleapis.com/{desc.full_name}"
        schema["properties"] = {"@type": {"const": url}, **schema["properties"]}
        schema["required"] = ["@type"]
        out.append(schema)
    return out


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "RFC 9457 problem details of the same google.rpc.Status.",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "code": {"type": "string"},
            "grpcCode": {"type": "integer"},
            "details": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["type", "title", "status"],
    }


def build_document(
    bindings: Sequence[Binding],
    *,
    title: str = "API",
    security_schemes: Mapping[str, Any] | None = None,
    comments: Mapping[str, str] | None = None,
    closed: bool = True,
    constraints: Constraints | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``bindings``; ``security_schemes`` are
    declared and required by every operation; ``comments`` (full name → text,
    see :mod:`.comments`) describe operations, schemas, fields and parameters;
    ``closed`` objects have ``additionalProperties: false`` (unknown fields refused);
    ``constraints`` gives a field's limits as JSON Schema keywords (the server's,
    e.g. maxLength), merged into its schema."""
    comments = comments or {}
    schemas = _Schemas(comments, closed, constraints)
    paths: dict[str, dict[str, Any]] = {}
    for b in bindings:
        path, params, rebuild = openapi_path(b.template)
        ops = paths.setdefault(path, {})
        verb = b.http_method.lower()
        if verb in ops:  # two templates that differ only in variable split
            continue
        parameters = _path_parameters(params, rebuild)
        parameters.extend(query_parameters(b, comments, constraints))
        op = _operation(b, parameters, rebuild, schemas)
        body = _request_body(b, schemas)
        if body is not None:
            op["requestBody"] = body
        ops[verb] = op
    schemas.components["google.rpc.Status"] = _status_schema(schemas)
    schemas.components["ProblemDetails"] = _problem_schema()
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "v1"},
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.components.items()))},
    }
    if security_schemes:
        document["components"]["securitySchemes"] = dict(security_schemes)
        document["security"] = [{name: []} for name in security_schemes]
    return document


def _path_parameters(
    params: list[tuple[str, str, bool]], rebuild: dict[str, str]
) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for name, field, rest in params:
        schema: dict[str, Any] = {"type": "string", "minLength": 1}
        if not rest:
            schema["pattern"] = "^[^/]+$"
        parameters.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": f"part of `{field}` (`{rebuild[field]}`)",
                "schema": schema,
            }
        )
    return parameters


def _operation(
    b: Binding, parameters: list[dict[str, Any]], rebuild: dict[str, str], schemas: _Schemas
) -> dict[str, Any]:
    """The Operation object of ``b``, without its request body."""
    return {
        "operationId": b.operation_id,
        "tags": [b.service],
        "summary": f"{b.service}.{b.rpc}",
        "description": schemas.comments.get(f"{b.service}.{b.rpc}")
        or f"Calls gRPC method {b.method_name}.",
        "x-grpc-method": b.method_name,
        "x-path-variables": rebuild,
        "parameters": parameters,
        "responses": {
            "200": _ok_response(b, schemas),
            "default": {
                "description": "An error, as google.rpc.Status",
                "content": {
                    "application/json": {"schema": STATUS_REF},
                    "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/ProblemDetails"}
                    },
                },
            },
        },
    }


def _request_body(b: Binding, schemas: _Schemas) -> dict[str, Any] | None:
    if not b.body:
        return None
    if b.body == "*":
        if b.input.full_name == HTTP_BODY:
            return _raw_body()
        top = frozenset(p[0] for p in b.path_fields if len(p) == 1)
        schema = schemas.message(b.input, skip=top)
    else:
        f = b.body_field
        assert f is not None
        if f.message_type is not None and f.message_type.full_name == HTTP_BODY:
            return _raw_body()
        schema = schemas.field_schema(f)
    return {"required": False, "content": {"application/json": {"schema": schema}}}


def _raw_body() -> dict[str, Any]:
    return {
        "required": False,
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }


def _ok_response(b: Binding, schemas: _Schemas) -> dict[str, Any]:
    out = b.output
    target: Descriptor | None = out
    if b.response_body:
        f = out.fields_by_name[b.response_body]
        target = f.message_type
        schema = schemas.field_schema(f)
    else:
        schema = schemas.ref(out)
    if target is not None and target.full_name == HTTP_BODY:
        return {
            "description": "The raw body (google.api.HttpBody)",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    if b.server_streaming:
        line = {
            "type": "object",
            "properties": {"result": schema, "error": STATUS_REF},
        }
        return {
            "description": "A stream: one JSON object per line, or Server-Sent Events "
            "with `Accept: text/event-stream`",
            "content": {NDJSON: {"schema": line}, EVENT_STREAM: _event_stream(schema)},
        }
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _event_stream(message: dict[str, Any]) -> dict[str, Any]:
    """Server-Sent Events, which every server-streaming method also answers
    (OpenAPI 3.1 cannot type the events: ``x-event-data`` is each ``data:``)."""
    return {
        "schema": {
            "type": "string",
            "description": "Server-Sent Events: each event's `data:` is one response "
            "message (proto3 JSON); a failure after the first message is a final "
            "`event: error` whose data is a google.rpc.Status.",
        },
        "x-event-data": message,
    }
