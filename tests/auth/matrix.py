"""Every RPC of every runyard service, with requests naming an existing or a
missing resource, callable over gRPC and over HTTP (through the gateway)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
from google.api import annotations_pb2, resource_pb2
from google.protobuf import symbol_database
from google.protobuf.descriptor import MethodDescriptor

from runyard.auth import policy
from runyard.server import SERVICE_FILES
from tests.auth.conftest import AUTO, ORG, WS, World

_db = symbol_database.Default()
_CHILD_PARENT = {
    "runyard.dev/Workspace": "runyard.dev/Organization",
    "runyard.dev/Automation": "runyard.dev/Workspace",
    "runyard.dev/Run": "runyard.dev/Automation",
    "runyard.dev/RunEvent": "runyard.dev/Run",
    "runyard.dev/Execution": "runyard.dev/Workspace",
    "runyard.dev/Token": "runyard.dev/Organization",
    "runyard.dev/Operation": "runyard.dev/Workspace",
}


def all_methods() -> list[MethodDescriptor]:
    return [
        m for f in SERVICE_FILES for s in f.DESCRIPTOR.services_by_name.values() for m in s.methods
    ]


def full_name(m: MethodDescriptor) -> str:
    return f"/{m.containing_service.full_name}/{m.name}"


def names(world: World, resource_type: str) -> tuple[str, str]:
    """(an existing name, a missing name) of `resource_type` inside acme."""
    return {
        "runyard.dev/Organization": (f"organizations/{ORG}", "organizations/nosuch"),
        "runyard.dev/Workspace": (WS, f"organizations/{ORG}/workspaces/nosuch"),
        "runyard.dev/Automation": (AUTO, f"{WS}/automations/nosuch"),
        "runyard.dev/Run": (world.run, f"{AUTO}/runs/nosuch"),
        "runyard.dev/Execution": (world.execution, f"{WS}/executions/nosuch"),
        "runyard.dev/ExecutionOutputs": (
            world.execution + "/outputs",
            f"{WS}/executions/nosuch/outputs",
        ),
        "runyard.dev/Token": (world.token_name, f"organizations/{ORG}/tokens/tnosuch00000"),
        "runyard.dev/Operation": (f"{WS}/operations/nosuch", f"{WS}/operations/nosuch"),
    }[resource_type]


def _resource_type(method: MethodDescriptor, path: str) -> str:
    desc = method.input_type
    parts = path.split(".")
    for part in parts[:-1]:
        desc = desc.fields_by_name[part].message_type
    if parts[-1] == "name" and len(parts) > 1:
        return str(desc.GetOptions().Extensions[resource_pb2.resource].type)
    ref = desc.fields_by_name[parts[-1]].GetOptions().Extensions[resource_pb2.resource_reference]
    if ref.type:
        return str(ref.type)
    return _CHILD_PARENT[ref.child_type]


@dataclass
class Call:
    method: MethodDescriptor
    rule: policy.Rule

    @property
    def streaming(self) -> bool:
        return bool(self.method.server_streaming)

    def request(self, name: str) -> Any:
        cls = _db.GetSymbol(self.method.input_type.full_name)
        msg = cls()
        target = msg
        parts = self.rule.field.split(".")
        for part in parts[:-1]:
            target = getattr(target, part)
        setattr(target, parts[-1], name)
        return msg

    def target_names(self, world: World) -> tuple[str, str]:
        return names(world, _resource_type(self.method, self.rule.field))

    def harmless_target(self, world: World) -> str:
        """A name inside acme/data whose call changes nothing: a missing
        resource, or the organization or workspace itself (calls on those get
        an empty request body, which is refused before anything is written)."""
        existing, missing = self.target_names(world)
        return existing if existing in (f"organizations/{ORG}", WS) else missing

    def grpc(self, channel: grpc.Channel, name: str, auth: str) -> tuple[grpc.StatusCode, bytes]:
        """(code, the serialized Status of an error or b'')."""
        metadata = (("authorization", auth),) if auth else ()
        request = self.request(name)
        out = _db.GetSymbol(self.method.output_type.full_name)
        try:
            if self.streaming:
                stream = channel.unary_stream(
                    full_name(self.method),
                    request_serializer=type(request).SerializeToString,
                    response_deserializer=out.FromString,
                )(request, metadata=metadata, timeout=3)
                next(iter(stream), None)
            else:
                channel.unary_unary(
                    full_name(self.method),
                    request_serializer=type(request).SerializeToString,
                    response_deserializer=out.FromString,
                )(request, metadata=metadata, timeout=10)
        except grpc.RpcError as err:
            details = dict(err.trailing_metadata() or ()).get("grpc-status-details-bin", b"")
            return err.code(), bytes(details) + err.details().encode()
        return grpc.StatusCode.OK, b""

    def http(self, client: httpx.Client, name: str, auth: str) -> httpx.Response:
        rule = self.method.GetOptions().Extensions[annotations_pb2.http]
        verb = rule.WhichOneof("pattern")
        template = getattr(rule, verb)
        path = re.sub(r"\{([a-z_.]+)=[^}]*\}", lambda _: name, template)
        headers = {"authorization": auth} if auth else {}
        body = "{}" if rule.body else None
        if self.streaming:
            headers["accept"] = "application/x-ndjson"
        return client.request(verb.upper(), path, headers=headers, content=body, timeout=10)


def calls() -> list[Call]:
    out = []
    for m in all_methods():
        rule = policy.METHODS.get(full_name(m))
        assert rule is not None, f"{full_name(m)} is missing from runyard.auth.policy.METHODS"
        out.append(Call(m, rule))
    return out
