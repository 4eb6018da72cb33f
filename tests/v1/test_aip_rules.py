"""AIP rules that buf lint cannot see, checked on runyard.v1's descriptors:
resource patterns (AIP-122/123), standard method shapes (AIP-131..135),
list fields (AIP-132/158/160), field behaviors (AIP-203), *_time types
(AIP-142), states (AIP-216), request_id (AIP-155), HTTP bindings (AIP-127)."""

from __future__ import annotations

import re

import pytest
from google.api import annotations_pb2, field_behavior_pb2, resource_pb2
from google.protobuf import descriptor

from runyard.v1 import (
    automation_pb2,
    execution_pb2,
    operation_pb2,
    run_batch_service_pb2,
    run_pb2,
    run_service_pb2,
    runner_service_pb2,
    workspace_pb2,
)

FILES = (
    workspace_pb2,
    automation_pb2,
    run_pb2,
    run_service_pb2,
    execution_pb2,
    runner_service_pb2,
    operation_pb2,
    run_batch_service_pb2,
)
METHODS = [m for f in FILES for s in f.DESCRIPTOR.services_by_name.values() for m in s.methods]
MESSAGES = [msg for f in FILES for msg in f.DESCRIPTOR.message_types_by_name.values()]
RESOURCES = [m for m in MESSAGES if m.GetOptions().HasExtension(resource_pb2.resource)]


def _behaviors(field: descriptor.FieldDescriptor) -> set[int]:
    return set(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def _http(method: descriptor.MethodDescriptor) -> tuple[str, str, str]:
    rule = method.GetOptions().Extensions[annotations_pb2.http]
    verb = rule.WhichOneof("pattern")
    assert verb, method.full_name
    return verb, getattr(rule, verb), rule.body


@pytest.mark.parametrize("msg", RESOURCES, ids=lambda m: m.name)
def test_resources_have_patterns_and_a_name_field(msg: descriptor.Descriptor) -> None:
    res = msg.GetOptions().Extensions[resource_pb2.resource]
    assert res.type.startswith("runyard.dev/")
    assert res.singular and res.plural
    for pattern in res.pattern:
        assert re.fullmatch(r"([a-z][a-zA-Z]*/\{[a-z_]+\}/?)+(/?[a-z][a-zA-Z]*)?", pattern), pattern
    name = msg.fields_by_name["name"]
    assert name.number == 1
    assert field_behavior_pb2.IDENTIFIER in _behaviors(name)


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: m.name)
def test_time_and_state_fields(msg: descriptor.Descriptor) -> None:
    for field in msg.fields:
        if field.name.endswith("_time"):
            assert field.message_type is not None, field.full_name
            assert field.message_type.full_name == "google.protobuf.Timestamp", field.full_name
        if field.name == "state" and msg in RESOURCES and msg.name == "Run":
            assert field_behavior_pb2.OUTPUT_ONLY in _behaviors(field)
        if field.name in ("uid", "create_time", "update_time"):
            assert field_behavior_pb2.OUTPUT_ONLY in _behaviors(field), field.full_name
    for enum in msg.enum_types:
        assert enum.values[0].name.endswith("_UNSPECIFIED") and enum.values[0].number == 0


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.full_name)
def test_standard_method_shapes(method: descriptor.MethodDescriptor) -> None:
    req = method.input_type
    verb, path, body = _http(method)
    assert path.startswith("/v1/"), path
    # Every path variable names a field of the request.
    for var in re.findall(r"\{([a-z_.]+)(?:=[^}]*)?\}", path):
        head = var.split(".")[0]
        assert head in req.fields_by_name, (method.full_name, var)
    name = method.name
    if name.startswith("Get"):
        assert verb == "get" and not body
        assert "name" in req.fields_by_name
    elif name.startswith("List"):
        assert verb == "get" and not body
        for field in ("parent", "page_size", "page_token", "filter"):
            assert field in req.fields_by_name, (name, field)
        resp = method.output_type
        assert "next_page_token" in resp.fields_by_name
        assert resp.fields[0].is_repeated
    elif name.startswith("Create"):
        assert verb == "post"
        assert "parent" in req.fields_by_name
        assert "request_id" in req.fields_by_name
    elif name.startswith("Update"):
        assert verb == "patch" and "update_mask" in req.fields_by_name
    elif name.startswith("Delete"):
        assert verb == "delete" and not body
    else:
        # Custom methods: POST with a :verb, or GET for read-only queries.
        assert (verb == "post" and re.search(r":[a-z][a-zA-Z]*$", path)) or verb == "get"
    for field in ("name", "parent"):
        if field in req.fields_by_name:
            assert field_behavior_pb2.REQUIRED in _behaviors(req.fields_by_name[field])
    if "request_id" in req.fields_by_name:
        assert req.fields_by_name["request_id"].type == descriptor.FieldDescriptor.TYPE_STRING
    if "page_size" in req.fields_by_name:
        assert req.fields_by_name["page_size"].type == descriptor.FieldDescriptor.TYPE_INT32
