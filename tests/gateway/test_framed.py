"""Responses handed over as their wire bytes (runyard.gateway.framed): the
serializer sends them as they are, and their JSON, from the elements' bytes and
the element memo (printed by the compiled printer or encoded in Python), is that
of the parsed message byte for byte (but for the order of a map's entries)."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from jsontest.v1 import jsontest_pb2

from runyard.gateway import jsoncodec_encode_wire as wire
from runyard.gateway.framed import Framed, FramedGenericHandler, framed_handler, unframed
from runyard.gateway.framed_json import encode_framed
from runyard.gateway.jsoncodec import encode_message
from runyard.gateway.jsoncodec_encode import MEMO
from runyard.v1 import run_pb2, run_service_pb2

Run = run_pb2.Run


def framed_of(message: Message, field: str) -> Framed[Any]:
    """``message`` as a Framed whose items are the elements of ``field``."""
    number = message.DESCRIPTOR.fields_by_name[field].number
    items = [e.SerializeToString() for e in getattr(message, field)]
    shell = type(message)()
    shell.CopyFrom(message)
    shell.ClearField(field)
    return Framed(
        type(message), message.SerializeToString(), number, items, shell.SerializeToString()
    )


def run(i: int) -> Run:
    r = Run(name=f"organizations/o/workspaces/w/automations/a/runs/r{i}", caller="c", attempt=i)
    r.state = Run.FAILED if i % 2 else Run.SUCCEEDED
    r.create_time.FromSeconds(1_700_000_000 + i)
    r.duration.FromMilliseconds(1500 + i)
    if i % 3:
        r.labels["team"] = f"t{i}"
        r.failure.code = 13
        r.failure.message = "boom"
    return r


def pages() -> list[tuple[Message, str]]:
    nested = jsontest_pb2.Nested(label="top", scalars=jsontest_pb2.Scalars(f_string="s"))
    nested.child.label = "one"
    for i in range(4):
        nested.children.add(label=f"c{i}").scalars.f_int64 = i
    event = run_pb2.RunEvent(sequence=1)
    return [
        (
            run_service_pb2.ListRunsResponse(runs=[run(i) for i in range(6)], next_page_token="t"),
            "runs",
        ),
        (run_service_pb2.ListRunsResponse(runs=[run(7)], total_size=9), "runs"),
        (run_service_pb2.ListRunsResponse(next_page_token="only"), "runs"),
        (run_service_pb2.ListRunsResponse(), "runs"),
        (run_service_pb2.ListRunEventsResponse(run_events=[event, event]), "run_events"),
        # The item field between others: its key goes where the encoder puts it.
        (nested, "children"),
        (jsontest_pb2.Nested(children=[jsontest_pb2.Nested(label="x")], scalars={}), "children"),
        (
            jsontest_pb2.Repeateds(r_int32=[1], r_message=[jsontest_pb2.Scalars(f_bool=True)]),
            "r_message",
        ),
    ]


@pytest.fixture(params=["printer", "pure Python"])
def printer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """With the compiled printer (when built) and without it."""
    on = request.param == "printer"
    if on and not wire.ENABLED:
        pytest.skip("the compiled printer is not built here")
    monkeypatch.setattr(wire, "ENABLED", on)
    return on


@pytest.mark.parametrize("emit", [False, True])
def test_json_is_that_of_the_message(emit: bool, printer: bool) -> None:
    for message, field in pages():
        expected = encode_message(message, emit_unpopulated=emit)
        reference = json.loads(
            json_format.MessageToJson(message, always_print_fields_with_no_presence=emit)
        )
        framed = framed_of(message, field)
        MEMO.clear()
        assert encode_framed(framed, emit_unpopulated=emit) == expected  # nothing kept
        assert json.loads(expected) == reference
        assert encode_framed(framed_of(message, field), emit_unpopulated=emit) == expected  # kept
        items = getattr(message, field)
        if len(items) > 3:
            # A few elements not kept: parsed one by one rather than the whole page.
            MEMO.clear()
            some = framed_of(type(message)(**{field: items[:-1]}), field)
            encode_framed(some, emit_unpopulated=emit)
            fresh = framed_of(message, field)
            assert encode_framed(fresh, emit_unpopulated=emit) == expected
            assert fresh._message is None
        assert encode_framed(framed_of(message, field), emit_unpopulated=emit) == expected


def test_maps_of_several_entries_are_the_same_object(printer: bool) -> None:
    # Printed from the stored bytes, a map's entries come in the order the run was
    # written with; a parsed copy may iterate them otherwise: the same JSON object.
    r = run(1)
    r.labels.update({f"k{i}": str(i) for i in range(6)})
    message = run_service_pb2.ListRunsResponse(runs=[r, run(2)])
    MEMO.clear()
    for _ in range(2):
        framed = framed_of(message, "runs")
        assert json.loads(encode_framed(framed)) == json.loads(json_format.MessageToJson(message))


def test_the_memo_is_keyed_by_the_stored_bytes(printer: bool) -> None:
    message = run_service_pb2.ListRunsResponse(runs=[run(1), run(2)])
    framed = framed_of(message, "runs")
    MEMO.clear()
    encode_framed(framed)
    assert {key[1] for key in MEMO.entries} == set(framed.items)
    # Other bytes, same message: encoded afresh, never mistaken for a kept one.
    other = run(1)
    other.caller = "someone else"
    changed = run_service_pb2.ListRunsResponse(runs=[other, run(2)])
    assert encode_framed(framed_of(changed, "runs")) == encode_message(changed)


def test_the_serializer_sends_framed_bytes_as_they_are() -> None:
    message = run_service_pb2.ListRunsResponse(runs=[run(1)], next_page_token="n")
    framed = framed_of(message, "runs")
    handler = framed_handler(
        grpc.unary_unary_rpc_method_handler(
            lambda r, c: r,
            request_deserializer=run_service_pb2.ListRunsRequest.FromString,
            response_serializer=run_service_pb2.ListRunsResponse.SerializeToString,
        )
    )
    serialize: Any = handler.response_serializer
    assert serialize(framed) is framed.data
    assert serialize(message) == message.SerializeToString()
    assert framed_handler(handler) is handler  # wrapped once
    assert handler.request_deserializer == run_service_pb2.ListRunsRequest.FromString
    assert unframed(framed) == message and unframed(framed) is framed.message
    assert unframed(message) is message

    streaming = framed_handler(grpc.unary_stream_rpc_method_handler(lambda r, c: iter(())))
    assert (
        streaming.unary_stream is not None and streaming.response_serializer(framed) is framed.data
    )

    generic = FramedGenericHandler(
        grpc.method_handlers_generic_handler(
            "s.S",
            {"M": grpc.unary_unary_rpc_method_handler(lambda r, c: r, response_serializer=bytes)},
        )
    )

    class Details(grpc.HandlerCallDetails):
        def __init__(self, method: str) -> None:
            self.method = method
            self.invocation_metadata = ()

    found = generic.service(Details("/s.S/M"))
    assert found is not None and found.response_serializer(framed) is framed.data
    assert generic.service(Details("/s.S/M")) is found
    assert generic.service(Details("/s.S/N")) is None
    assert generic.service_name() == "s.S"
