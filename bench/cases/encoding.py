"""The gateway's JSON encoder against json_format.MessageToJson on the bench's
page, interleaved, with the outputs compared: once as a page served again, once
at first sight (the element memo emptied before every call), and at first sight
on the pure-Python encoder (the compiled printer, runyard.gateway._jsonwire,
switched off: an install without a C compiler). With the printer a page is
printed whole from its bytes; the pure-Python encoder keeps its runs' JSON in
the element memo. Twice more for the page as the in-process gateway gets it
from ListRuns: framed from the runs' bytes, never parsed, the memo keyed by
them (runyard.gateway.framed_json)."""

from __future__ import annotations

import asyncio
import json

import grpc
from google.protobuf import json_format

from bench.context import Bench, Case, Target
from bench.report import Row
from runyard.v1 import run_service_pb2, run_service_pb2_grpc


def measure(bench: Bench, target: Target) -> None:
    from bench.json_bench import bench as interleaved
    from runyard.gateway import jsoncodec_encode_wire as wire
    from runyard.gateway.framed import Framed
    from runyard.gateway.framed_json import encode_framed
    from runyard.gateway.jsoncodec import encode_message
    from runyard.gateway.jsoncodec_encode import MEMO

    def first_sight() -> bytes:
        MEMO.clear()
        return encode_message(page)

    def pure_first_sight() -> bytes:
        before = wire.ENABLED
        wire.ENABLED = False
        try:
            return first_sight()
        finally:
            wire.ENABLED = before

    def framed() -> Framed[run_service_pb2.ListRunsResponse]:
        # What ListRuns hands the gateway: the page's bytes and its runs' bytes,
        # not yet parsed (a page read from the store is new bytes every time).
        items = [bytes(bytearray(b)) for b in bodies]
        return Framed(run_service_pb2.ListRunsResponse, whole, 1, items, rest)

    def framed_first_sight() -> bytes:
        MEMO.clear()
        return encode_framed(framed())

    with grpc.insecure_channel(target.grpc) as ch:
        page = run_service_pb2_grpc.RunServiceStub(ch).ListRuns(bench.list_request(), timeout=60)
    bodies = [r.SerializeToString() for r in page.runs]
    whole = page.SerializeToString()
    shell = run_service_pb2.ListRunsResponse()
    shell.CopyFrom(page)
    shell.ClearField("runs")
    rest = shell.SerializeToString()
    ours = encode_message(page)
    equal = json.loads(ours) == json.loads(json_format.MessageToJson(page))
    # Byte for byte: the printer against the pure-Python encoder.
    identical = first_sight() == pure_first_sight()
    # As parsed JSON: a map's entries may come in another order from a re-parsed run.
    framed_equal = json.loads(encode_framed(framed())) == json.loads(ours)
    printer = "compiled printer" if wire.ENABLED else "compiled printer ABSENT (pure Python)"
    times = interleaved(
        {
            "encode_message": lambda: encode_message(page),
            "first sight": first_sight,
            "first sight, pure Python": pure_first_sight,
            "framed": lambda: encode_framed(framed()),
            "framed first sight": framed_first_sight,
            "MessageToJson": lambda: json_format.MessageToJson(page),
        },
        bench.size.encode_s,
        max_rounds=2_000,
    )
    bench.add(
        Row(
            f"JSON encode, page of {len(page.runs)}",
            times["encode_message"] * 1e3,
            times["MessageToJson"] * 1e3,
            "ms",
            f"gateway jsoncodec vs json_format.MessageToJson, interleaved; {len(ours):,} B;"
            f" page served again ({'printed whole' if wire.ENABLED else 'runs memoised'});"
            f" output {'equal' if equal else 'DIFFERS'}",
            {"json_equal": equal, "bytes": len(ours)},
        )
    )
    bench.add(
        Row(
            f"JSON encode, page of {len(page.runs)}, first sight",
            times["first sight"] * 1e3,
            times["MessageToJson"] * 1e3,
            "ms",
            f"the same, with the element memo emptied before every call; {printer};"
            f" printer and pure Python {'byte-identical' if identical else 'DIFFERS'}",
            {"byte_identical": identical, "printer": wire.ENABLED},
        )
    )
    bench.add(
        Row(
            f"JSON encode, page of {len(page.runs)}, first sight, pure Python",
            times["first sight, pure Python"] * 1e3,
            times["MessageToJson"] * 1e3,
            "ms",
            "the same on the pure-Python encoder (an install without a C compiler)",
        )
    )
    for name, note in (
        ("framed", "page served again"),
        ("framed first sight", "the element memo emptied before every call"),
    ):
        bench.add(
            Row(
                f"JSON encode, page of {len(page.runs)}, {name}",
                times[name] * 1e3,
                times["MessageToJson"] * 1e3,
                "ms",
                f"as ListRuns hands it to the in-process gateway: from the runs' bytes,"
                f" never parsed (the memo keyed by them); {note};"
                f" output {'equal' if framed_equal else 'DIFFERS'}",
            )
        )


async def run(bench: Bench, target: Target | None) -> None:
    assert target is not None
    await asyncio.to_thread(measure, bench, target)


CASE = Case("encoding", "JSON encoding", run)
