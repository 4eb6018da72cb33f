"""The compiled JSON printer (runyard.gateway._jsonwire) against the Python encoder.

Over the same random messages of every message type and the same encode table as
test_jsoncodec.py (jsoncodec_cases.py): the bytes printed from a message's wire form are
byte-for-byte the Python encoder's output (itself held equal to json_format there), and what the
printer cannot settle falls back to Python with the same result or error.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, message_factory, struct_pb2
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2
from hypothesis import given
from jsontest.v1 import jsontest_pb2

from runyard.gateway import jsoncodec_encode_wire as wire
from runyard.gateway.jsoncodec import JsonEncodeError, encode_message, encode_messages
from runyard.gateway.jsoncodec_encode import MEMO, encoder_for
from runyard.v1 import run_pb2, run_service_pb2
from tests.gateway.jsoncodec_cases import _SETTINGS, ALL_TYPES, ENCODE_CASES, _reference, messages

_STRING = descriptor_pb2.FieldDescriptorProto.TYPE_STRING
_OPTIONAL = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
needs_printer = pytest.mark.skipif(not wire.available(), reason="_jsonwire is not built")


@pytest.fixture
def pure() -> Iterator[None]:
    """Every message on the Python encoder while the test runs."""
    before = wire.ENABLED
    wire.ENABLED = False
    MEMO.clear()
    try:
        yield
    finally:
        wire.ENABLED = before
        MEMO.clear()


def _both(msg: Message) -> tuple[bytes, bytes]:
    """encode_message through the printer and through Python (memo emptied for each)."""
    before = wire.ENABLED
    MEMO.clear()
    wire.ENABLED = True
    try:
        printed = encode_message(msg)
        MEMO.clear()
        wire.ENABLED = False
        python = encode_message(msg)
    finally:
        wire.ENABLED = before
        MEMO.clear()
    return printed, python


def _printed(msg: Message) -> bytes | None:
    enc = wire.wire_encoder_for(msg.DESCRIPTOR, encoder_for)
    assert enc is not None
    return enc(msg.SerializeToString())


def test_printer_is_built_where_a_compiler_is() -> None:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None or os.environ.get("RUNYARD_JSON_PURE"):
        pytest.skip("no C compiler: the pure-Python encoder is the one in use")
    assert wire.available(), "make dev builds runyard.gateway._jsonwire; run it again"


@needs_printer
@pytest.mark.parametrize(("name", "desc"), ALL_TYPES, ids=[n for n, _ in ALL_TYPES])
def test_random_messages_print_as_python_encodes(name: str, desc: Descriptor) -> None:
    @_SETTINGS
    @given(messages(desc))
    def check(msg: Message) -> None:
        printed, python = _both(msg)
        assert printed == python
        # The printer settled it itself (nothing here is out of range or out of order).
        assert _printed(msg) == python

    check()


@needs_printer
@pytest.mark.parametrize(
    ("name", "msg", "expected"), ENCODE_CASES, ids=[c[0] for c in ENCODE_CASES]
)
def test_encode_table_prints_as_python_encodes(name: str, msg: Message, expected: Any) -> None:
    printed, python = _both(msg)
    assert printed == python
    holder = jsontest_pb2.WellKnown()
    if msg.DESCRIPTOR.full_name.startswith("google.protobuf."):
        holder.any.Pack(msg)  # well-known types print through their Python callback
    printed, python = _both(holder)
    assert printed == python


def _full_run(i: int) -> run_pb2.Run:
    run = run_pb2.Run(
        name=f"organizations/acme/workspaces/ml/automations/train/runs/{i:08d}",
        uid=f"0c9b7a1e-4f2d-4d8e-9a57-{i:012x}",
        config_version=1_000_000_000_000 + i,
        state=run_pb2.Run.FAILED,
        exit_code=-9,
        caller='sched\u00fcler "\u2028" \U0001f600\x01',
        labels={"team": "ml", "env": "prod", "tier": str(i % 3), "": "empty"},
    )
    run.create_time.FromNanoseconds(1_767_225_600 * 10**9 + i)
    run.start_time.FromNanoseconds(1_767_225_602 * 10**9 + 125_000_000)
    run.end_time.FromNanoseconds(1_767_229_200 * 10**9 + 500_000)
    run.duration.FromNanoseconds(3598 * 10**9 + 375_500_000)
    run.outputs.add(name="model", resource="models/m", version="3")
    run.outputs.add(name="metrics")
    run.failure.code = code_pb2.INTERNAL
    run.failure.message = "CUDA out of memory"
    run.failure.details.add().Pack(
        error_details_pb2.ErrorInfo(reason="OOM", domain="runyard.dev", metadata={"n": "1"})
    )
    return run


@needs_printer
def test_a_page_of_full_runs_prints_byte_for_byte() -> None:
    page = run_service_pb2.ListRunsResponse(
        runs=[_full_run(i) for i in range(5)], next_page_token="tok"
    )
    printed, python = _both(page)
    assert printed == python
    assert orjson.loads(printed) == _reference(page, False)
    run = page.runs[0]
    assert _printed(run) == orjson.dumps(encoder_for(run_pb2.Run.DESCRIPTOR, False)(run))
    printed, python = _both(page.runs[1])
    assert printed == python
    each = b",".join(encode_message(r) for r in page.runs)
    assert encode_messages(page.runs) == b"[" + each + b"]"


@needs_printer
def test_what_the_printer_cannot_settle_goes_to_python() -> None:
    bad = run_pb2.Run(name="r")
    bad.create_time.seconds = 253402300800  # past 9999-12-31: no JSON form
    assert _printed(bad) is None
    with pytest.raises(JsonEncodeError):
        encode_message(bad)
    # Fields out of number order, or a singular field twice (last one wins): Python's call.
    enc = wire.wire_encoder_for(run_pb2.Run.DESCRIPTOR, encoder_for)
    assert enc is not None
    a = run_pb2.Run(name="a").SerializeToString()
    b = run_pb2.Run(uid="b").SerializeToString()
    assert enc(b + a) is None
    assert enc(a + a) is None
    assert enc(b"\x0a\x05ab") is None  # truncated
    # A closed (proto2) enum keeps an unknown number as an unknown field: Python omits it.
    fd = descriptor_pb2.FieldDescriptorProto.FromString(b"\x0a\x01x\x28\x63")
    assert not fd.HasField("type")
    assert wire.wire_encoder_for(fd.DESCRIPTOR, encoder_for)(fd.SerializeToString()) is None  # type: ignore[misc]
    assert encode_message(fd) == b'{"name":"x"}'
    # An Any of a type the pool does not know: the callback fails, Python raises.
    holder = jsontest_pb2.WellKnown(any=any_pb2.Any(type_url="type.x/no.Such", value=b"1"))
    with pytest.raises(JsonEncodeError):
        encode_message(holder)
    # A NaN in a Value has no JSON form either.
    with pytest.raises(JsonEncodeError):
        encode_message(jsontest_pb2.WellKnown(value=struct_pb2.Value(number_value=float("nan"))))


def test_pure_python_encoder_still_matches(pure: None) -> None:
    page = run_service_pb2.ListRunsResponse(runs=[_full_run(i) for i in range(3)])
    assert orjson.loads(encode_message(page)) == _reference(page, False)
    assert orjson.loads(encode_message(page.runs[0])) == _reference(page.runs[0], False)


@needs_printer
def test_element_encoder_gives_the_printed_json_as_a_fragment() -> None:
    from runyard.gateway.jsoncodec_encode import element_encoder_for

    enc = element_encoder_for(run_pb2.Run.DESCRIPTOR, False)
    run = _full_run(3)
    assert isinstance(enc(run), orjson.Fragment)
    assert orjson.dumps(enc(run)) == orjson.dumps(encoder_for(run_pb2.Run.DESCRIPTOR, False)(run))
    # A page the printer gives up on goes through the memo, each run printed where it can be.
    page = run_service_pb2.ListRunsResponse(runs=[_full_run(1), _full_run(2)])
    page.runs[1].update_time.seconds = -62135596801  # before 0001-01-01
    with pytest.raises(JsonEncodeError):
        encode_message(page)
    del page.runs[1]
    printed, python = _both(page)
    assert printed == python


@needs_printer
def test_a_oneof_around_another_field_is_left_to_python() -> None:
    # Python writes a oneof at its first member's place; printed, it would follow numbers.
    fdp = descriptor_pb2.FileDescriptorProto(name="oneoftest.proto", package="oo", syntax="proto3")
    msg = fdp.message_type.add(name="O")
    msg.oneof_decl.add(name="choice")
    for number, name, oneof in ((1, "a", True), (2, "middle", False), (3, "b", True)):
        fd = msg.field.add(name=name, number=number, type=_STRING, label=_OPTIONAL)
        if oneof:
            fd.oneof_index = 0
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("oo.O"))
    m = cls(middle="m", b="x")
    assert _printed(m) is None
    printed, python = _both(m)
    assert printed == python == b'{"b":"x","middle":"m"}'
