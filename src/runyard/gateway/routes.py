"""Bindings from service descriptors and their google.api.http rules.

Only the descriptors are read: every method of every service in the given
files with a ``google.api.http`` option (``additional_bindings`` included)
becomes one :class:`Binding` per rule. Rules are checked when they are read —
an unknown or non-scalar path field, a repeated or nested ``body`` field, a
missing ``response_body`` field, a client-streaming method or a duplicate
route stops start-up with a :class:`RuleError` naming the method.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import (
    Descriptor,
    FieldDescriptor,
    FileDescriptor,
    MethodDescriptor,
)
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from .descriptors import field_by_name, is_repeated
from .httprule import DuplicateRouteError, Router, Template, TemplateSyntaxError, parse_template

__all__ = ["HTTP_BODY", "Binding", "RuleError", "build_router", "field_by_name", "read_bindings"]

HTTP_BODY = "google.api.HttpBody"
_METHODS = ("get", "put", "post", "delete", "patch")


class RuleError(ValueError):
    """A google.api.http rule the gateway cannot serve."""


@dataclass(frozen=True)
class Binding:
    """One HTTP rule of one method."""

    method_name: str  # /package.Service/Method, the gRPC path
    service: str
    rpc: str
    http_method: str  # upper case
    template: Template
    body: str  # "", "*" or a top-level field name
    response_body: str
    server_streaming: bool
    input: Descriptor
    output: Descriptor
    request_class: type[Message] = field(repr=False, compare=False)
    response_class: type[Message] = field(repr=False, compare=False)
    index: int = 0  # 0 for the primary rule, n for the n-th additional binding

    @property
    def path_fields(self) -> tuple[tuple[str, ...], ...]:
        return tuple(v.field_path for v in self.template.variables)

    @property
    def body_field(self) -> FieldDescriptor | None:
        if self.body in ("", "*"):
            return None
        return field_by_name(self.input, self.body)

    @property
    def operation_id(self) -> str:
        suffix = f"_{self.index}" if self.index else ""
        return f"{self.service}.{self.rpc}{suffix}"


def _http_rules(file: FileDescriptor) -> dict[tuple[str, str], http_pb2.HttpRule]:
    # Options are re-read from the file's bytes in the default pool, where the
    # google.api.http extension is registered: a file built in another pool
    # (server reflection) may not expose it.
    proto = descriptor_pb2.FileDescriptorProto.FromString(file.serialized_pb)
    rules: dict[tuple[str, str], http_pb2.HttpRule] = {}
    for svc in proto.service:
        for m in svc.method:
            if m.options.HasExtension(annotations_pb2.http):
                rules[(svc.name, m.name)] = m.options.Extensions[annotations_pb2.http]
    return rules


def _verb_and_path(rule: http_pb2.HttpRule) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        raise RuleError("rule has no pattern")
    if kind == "custom":
        return rule.custom.kind.upper(), rule.custom.path
    return kind.upper(), str(getattr(rule, kind))


def _resolve_path(desc: Descriptor, path: Sequence[str]) -> FieldDescriptor:
    cur: Descriptor | None = desc
    f: FieldDescriptor | None = None
    for i, name in enumerate(path):
        if cur is None:
            raise RuleError(f"{'.'.join(path)}: {'.'.join(path[:i])} is not a message")
        f = cur.fields_by_name.get(name)
        if f is None:
            raise RuleError(f"{'.'.join(path)}: no field {name!r} in {cur.full_name}")
        if is_repeated(f):
            raise RuleError(f"{'.'.join(path)}: {name} is repeated")
        cur = f.message_type
    assert f is not None
    return f


def read_bindings(files: Iterable[FileDescriptor]) -> list[Binding]:
    """Every HTTP rule of every service in ``files``, checked."""
    out: list[Binding] = []
    seen_files: set[str] = set()
    for file in files:
        if file.name in seen_files:
            continue
        seen_files.add(file.name)
        rules = _http_rules(file)
        for svc in file.services_by_name.values():
            for m in svc.methods:
                rule = rules.get((svc.name, m.name))
                if rule is None:
                    continue
                where = f"{svc.full_name}.{m.name}"
                if m.client_streaming:
                    raise RuleError(f"{where}: client-streaming methods cannot be transcoded")
                extra = list(rule.additional_bindings)
                for index, r in enumerate([rule, *extra]):
                    if index and r.additional_bindings:
                        raise RuleError(f"{where}: additional_bindings cannot nest")
                    try:
                        out.append(_binding(svc.full_name, m, r, index))
                    except (RuleError, TemplateSyntaxError) as e:
                        raise RuleError(f"{where}: {e}") from None
    return out


def _binding(service: str, m: MethodDescriptor, rule: http_pb2.HttpRule, index: int) -> Binding:
    http_method, path = _verb_and_path(rule)
    template = parse_template(path)
    inp, outp = m.input_type, m.output_type
    for var in template.variables:
        f = _resolve_path(inp, var.field_path)
        if f.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
            raise RuleError(f"path variable {'.'.join(var.field_path)} is not a scalar field")
    body = rule.body
    if body not in ("", "*"):
        bf = inp.fields_by_name.get(body)
        if bf is None:
            raise RuleError(f"body field {body!r} not in {inp.full_name}")
        if is_repeated(bf):
            raise RuleError(f"body field {body!r} is repeated")
    if rule.response_body:
        rf = outp.fields_by_name.get(rule.response_body)
        if rf is None:
            raise RuleError(f"response_body field {rule.response_body!r} not in {outp.full_name}")
    return Binding(
        method_name=f"/{service}/{m.name}",
        service=service,
        rpc=m.name,
        http_method=http_method,
        template=template,
        body=body,
        response_body=rule.response_body,
        server_streaming=bool(m.server_streaming),
        input=inp,
        output=outp,
        request_class=GetMessageClass(inp),
        response_class=GetMessageClass(outp),
        index=index,
    )


def build_router(bindings: Iterable[Binding]) -> Router[Binding]:
    """One router over all bindings; duplicates stop start-up."""
    router: Router[Binding] = Router()
    for b in bindings:
        try:
            router.add(b.http_method, b.template, b)
        except DuplicateRouteError as e:
            raise RuleError(f"{b.service}.{b.rpc}: {e}") from None
    return router
