"""Request bytes that do not decode are INVALID_ARGUMENT with a plain message
over gRPC, never UNKNOWN with exception text."""

from __future__ import annotations

import grpc
import pytest

from tests.errors import details_of
from tests.plugins.servers import RunyardProcess

RUN = "organizations/acme/workspaces/w/automations/a/runs/r"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _ld(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + _varint(len(payload)) + payload


def _deep_struct(depth: int) -> bytes:
    """A Struct whose one field holds a Struct whose one field holds …"""
    struct = b""
    for _ in range(depth):
        value = _ld(0x2A, struct)  # Value.struct_value = 5
        struct = _ld(0x0A, _ld(0x0A, b"k") + _ld(0x12, value))  # Struct.fields entry
    return struct


def _append_events(payload: bytes) -> bytes:
    entry = _ld(0x0A, b"FunctionCall") + _ld(0x1A, payload)  # JournalEntry.payload = 3
    return _ld(0x0A, RUN.encode()) + _ld(0x12, entry)  # parent = 1, entries = 2


CASES = {
    "invalid UTF-8 in a string": ("/runyard.v1.RunService/GetRun", _ld(0x0A, b"runs/\xff\xfe")),
    "truncated length": ("/runyard.v1.RunService/GetRun", b"\x0a\x50abc"),
    "bad wire type": ("/runyard.v1.RunService/GetRun", b"\x0f\x01"),
    "Struct 10,000 deep": (
        "/runyard.v1.RunnerService/AppendRunEvents",
        _append_events(_deep_struct(10_000)),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_undecodable_requests_are_invalid_argument(
    runyard_server: RunyardProcess, case: str
) -> None:
    method, data = CASES[case]
    with grpc.insecure_channel(runyard_server.grpc_target) as channel:
        call = channel.unary_unary(method)
        with pytest.raises(grpc.RpcError) as info:
            call(data, timeout=30)
    err = info.value
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
    assert "Unexpected" not in err.details() and "<class" not in err.details()
    assert "is not a valid runyard.v1." in err.details()
    d = details_of(err)
    assert d.error_info is not None and d.error_info.reason == "MALFORMED_REQUEST"
