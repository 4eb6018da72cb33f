# ruff: noqa: E501  (captured h2load output, kept verbatim)
"""The bench's h2load wrapper (bench/h2_load.py) reads h2load's output right:
captured outputs of nghttp2 1.52's h2load, no h2load needed, nothing timed."""

from __future__ import annotations

import pytest

from bench.h2_load import grpc_frame, parse_h2load, parse_request_log, to_result

# Timed run (-D 3) against a server answering 20,000-byte replies (20,005 framed).
CLEAN = """\
starting benchmark...
spawning thread #0: 16 total client(s). Timing-based test with 0s of warm-up time and 3s of main duration for measurements.
Main benchmark duration is over for thread #0. Stopping all clients.
Stopped all clients for thread #0

finished in 3.01s, 1016.00 req/s, 19.45MB/s
requests: 3048 total, 3064 started, 3048 done, 3048 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 3048 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 58.35MB (61186950) total, 10.10KB (10344) headers (space savings 95.81%), 58.15MB (60975240) data
                     min         max         mean         sd        +/- sd
time for request:      438us    254.27ms     15.62ms     31.04ms    94.42%
time for connect:       55us       195us       129us        44us    62.50%
time to 1st byte:    15.76ms     24.96ms     21.29ms      3.18ms    68.75%
req/s           :      62.25       64.59       63.42        0.83    43.75%
"""

# A method the server does not have: HTTP 200, grpc-status in trailers only, no DATA.
GRPC_ERRORS = """\
finished in 37.31ms, 268.05 req/s, 21.04KB/s
requests: 10 total, 10 started, 10 done, 10 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 10 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 804B (804) total, 440B (440) headers (space savings 45.00%), 0B (0) data
"""

# Streams reset part-way and a proxy's 503s ("failed" holds both).
BROKEN = """\
finished in 1.00s, 40.00 req/s, 800.00KB/s
requests: 60 total, 60 started, 50 done, 40 succeeded, 10 failed, 4 errored, 0 timeout
status codes: 40 2xx, 0 3xx, 0 4xx, 6 5xx
traffic: 800.00KB (819200) total, 1.00KB (1024) headers (space savings 90.00%), 800.20KB (800200) data
"""


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            CLEAN,
            dict(seconds=3.01, rps=1016.0, done=3048, started=3064, failed=0, status_other=0,
                 header_bytes=10344, data_bytes=60975240),
        ),
        (
            GRPC_ERRORS,
            dict(seconds=0.03731, rps=268.05, done=10, started=10, failed=0, status_other=0,
                 header_bytes=440, data_bytes=0),
        ),
        (
            BROKEN,
            dict(seconds=1.0, rps=40.0, done=50, started=60, failed=10, status_other=6,
                 header_bytes=1024, data_bytes=800200),
        ),
    ],
)  # fmt: skip
def test_summary(output: str, expected: dict[str, float]) -> None:
    summary = parse_h2load(output)
    for name, value in expected.items():
        assert getattr(summary, name) == pytest.approx(value), name


@pytest.mark.parametrize(
    ("output", "reply", "duration", "requests", "errors", "qps", "why"),
    [
        (CLEAN, 20_000, 3.0, 3048, 0, 1016.0, ""),
        (GRPC_ERRORS, 20_000, None, 0, 10, 0.0, "without a reply"),
        (BROKEN, 20_000, 1.0, 40, 10, 40.0, "10 failed, 4 errored, 0 timeout, 6 non-2xx"),
        # More bytes than the started calls could carry: not the reply we checked.
        (CLEAN, 10_000, 3.0, 3047, 1, 1015.67, "more than replies"),
    ],
)
def test_result(
    output: str,
    reply: int,
    duration: float | None,
    requests: int,
    errors: int,
    qps: float,
    why: str,
) -> None:
    framed = len(grpc_frame(bytes(reply)))
    summary = parse_h2load(output)
    result = to_result(summary, [0.001, 0.002], 0, framed, concurrency=16, duration_s=duration)
    assert (result.requests, result.errors) == (requests, errors)
    assert result.qps == pytest.approx(qps, rel=1e-3)
    assert why in result.first_error


def test_unexpected_output() -> None:
    with pytest.raises(ValueError, match="unexpected h2load output"):
        parse_h2load("h2load: could not connect to 127.0.0.1:1\n")


def test_request_log() -> None:
    log = "1796072383553256\t200\t15536\n1796072383553277\t200\t438\n1796072383553292\t-1\t900\n"
    latencies, bad = parse_request_log(log)
    assert latencies == [0.000438, 0.0009, 0.015536]
    assert bad == 1
    result = to_result(parse_h2load(CLEAN), latencies, bad, 20_005, concurrency=16)
    assert result.errors == 1 and "without status 200" in result.first_error
    assert result.p50_ms == pytest.approx(0.9)


def test_frame() -> None:
    assert grpc_frame(b"\x08\x01") == b"\x00\x00\x00\x00\x02\x08\x01"
