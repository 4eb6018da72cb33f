"""gRPC unary load from a compiled generator: h2load (nghttp2), one thread.

The bench's own grpc.aio client spends about as much CPU per call as the
server it measures, so on two cores it cannot show what a second server
process buys. h2load speaks plain HTTP/2: a gRPC unary call is a POST to
/package.Service/Method with `content-type: application/grpc`, `te: trailers`
and a body of one length-prefixed message (flag byte 0, big-endian uint32
length, the serialized request). `-m 1` keeps one stream in flight per
connection, so `-c N` is N callers on N connections.

h2load cannot read grpc-status trailers, so correctness is checked around it:
`check_call` sends the very request bytes once through grpcio first, and every
run's DATA bytes must match `done` replies of the known size (a failed call
ends with trailers only, no DATA). Any non-2xx, failed, errored or timed-out
request, or a byte mismatch, counts as an error in the result.

h2load is installed by scripts/h2load.sh (Debian's nghttp2-client) when
missing; bench-only, nothing in the test suite needs it.
"""

from __future__ import annotations

import asyncio
import re
import resource
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import grpc

from bench import procs
from bench.load import LoadResult, percentile

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
_BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def ensure_h2load(install: bool) -> str | None:
    """Path of h2load; with `install`, scripts/h2load.sh installs it when missing."""
    path = shutil.which("h2load")
    if path or not install:
        return path
    script = procs.ROOT / "scripts" / "h2load.sh"
    subprocess.run([str(script)], capture_output=True, timeout=600, check=False)
    return shutil.which("h2load")


def grpc_frame(message: bytes) -> bytes:
    """One uncompressed gRPC message as it travels in DATA frames."""
    return b"\0" + struct.pack(">I", len(message)) + message


@dataclass(frozen=True)
class H2Summary:
    """What h2load prints at the end of a run."""

    seconds: float
    rps: float
    total: int
    started: int
    done: int
    succeeded: int
    failed: int
    errored: int
    timeout: int
    status_2xx: int
    status_other: int  # 3xx, 4xx and 5xx
    header_bytes: int
    data_bytes: int


def parse_h2load(output: str) -> H2Summary:
    """Parses h2load's summary (nghttp2 1.4x-1.6x wording)."""

    def find(pattern: str) -> re.Match[str]:
        m = re.search(pattern, output, re.MULTILINE)
        if not m:
            raise ValueError(f"unexpected h2load output (no {pattern!r}):\n{output[-2000:]}")
        return m

    fin = find(r"^finished in ([\d.]+)(us|ms|s), ([\d.]+) req/s")
    req = find(
        r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
        r"(\d+) failed, (\d+) errored, (\d+) timeout"
    )
    codes = find(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")
    traffic = find(r"^traffic: .*?, .*?\((\d+)\) headers .*?, .*?\((\d+)\) data")
    total, started, done, succeeded, failed, errored, timeout = (int(g) for g in req.groups())
    return H2Summary(
        seconds=float(fin.group(1)) * _UNITS[fin.group(2)],
        rps=float(fin.group(3)),
        total=total,
        started=started,
        done=done,
        succeeded=succeeded,
        failed=failed,
        errored=errored,
        timeout=timeout,
        status_2xx=int(codes.group(1)),
        status_other=sum(int(g) for g in codes.groups()[1:]),
        header_bytes=int(traffic.group(1)),
        data_bytes=int(traffic.group(2)),
    )


def parse_request_log(text: str) -> tuple[list[float], int]:
    """(sorted latencies in seconds, requests whose HTTP status was not 200) from
    h2load's --log-file: one line per request, `start_us<TAB>status<TAB>duration_us`."""
    latencies: list[float] = []
    bad = 0
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) < 3:
            continue
        bad += fields[1] != "200"
        latencies.append(int(fields[2]) / 1e6)
    latencies.sort()
    return latencies, bad


def to_result(
    summary: H2Summary,
    latencies: list[float],
    bad_status: int,
    reply_size: int,
    concurrency: int,
    duration_s: float | None = None,
) -> LoadResult:
    """The bench's figures from one h2load run, with every kind of failure counted.

    `reply_size` is one framed reply's DATA bytes. Calls cut short at the end of a
    timed run may have received part of a reply, hence the upper bound of `started`.
    `duration_s`: a timed run's main duration (-D), which its counts cover; "finished
    in" also covers connecting and stopping."""
    problems: list[str] = []
    # h2load's "failed" already holds the errored and the non-2xx ones.
    errors = max(
        summary.failed,
        summary.done - summary.succeeded,
        summary.errored + summary.status_other,
        summary.timeout,
    )
    if errors:
        problems.append(
            f"h2load: {summary.failed} failed, {summary.errored} errored, "
            f"{summary.timeout} timeout, {summary.status_other} non-2xx"
        )
    if bad_status:
        errors = max(errors, bad_status)
        problems.append(f"{bad_status} logged requests without status 200")
    expected = summary.done * reply_size
    if summary.data_bytes < expected:
        short = -(-(expected - summary.data_bytes) // max(reply_size, 1))
        errors = max(errors, short)
        problems.append(
            f"{summary.data_bytes:,} DATA bytes for {summary.done} replies of {reply_size:,} B "
            "(some calls ended without a reply: a gRPC error)"
        )
    elif summary.data_bytes > summary.started * reply_size:
        errors = max(errors, 1)
        problems.append(f"{summary.data_bytes:,} DATA bytes: more than replies of {reply_size:,} B")
    ok = max(0, summary.done - errors)
    seconds = duration_s or summary.seconds
    return LoadResult(
        concurrency=concurrency,
        requests=ok,
        errors=errors,
        seconds=round(seconds, 3),
        qps=ok / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(latencies, 50) * 1e3,
        p99_ms=percentile(latencies, 99) * 1e3,
        first_error="; ".join(problems)[:300],
    )


def check_call(
    target: str, method: str, request: bytes, metadata: tuple[tuple[str, str], ...] = ()
) -> bytes:
    """One call through grpcio with exactly the request bytes h2load will send;
    returns the serialized reply (a gRPC error raises)."""
    with grpc.insecure_channel(target) as ch:
        # No (de)serializers: bytes in, bytes out.
        call = ch.unary_unary(method, request_serializer=None, response_deserializer=None)
        return bytes(call(request, timeout=30, metadata=metadata))


@dataclass
class H2Run:
    result: LoadResult
    cpu_s: float  # h2load's own CPU time (user + system)
    summary: H2Summary


async def h2_grpc_load(
    h2load: str,
    target: str,
    method: str,
    request: bytes,
    reply_size: int,
    *,
    concurrency: int,
    duration_s: float,
    workdir: Path,
    headers: tuple[tuple[str, str], ...] = (),
) -> H2Run:
    """`concurrency` callers, each on its own connection with one call at a time,
    for `duration_s` (h2load's -D; a process timeout on top). `request` is the
    serialized message, `reply_size` the serialized reply's length. Warm-up is a
    separate short run: h2load's own --warm-up-time keeps counting DATA bytes."""
    workdir.mkdir(parents=True, exist_ok=True)
    body = workdir / f"h2-{method.replace('/', '_')}.bin"
    body.write_bytes(grpc_frame(request))
    log = workdir / "h2load-requests.log"
    log.unlink(missing_ok=True)  # h2load appends to it
    base = [h2load, "-t", "1", "-c", str(concurrency), "-m", "1", "-d", str(body)]
    for name, value in (("content-type", "application/grpc"), ("te", "trailers"), *headers):
        base += ["-H", f"{name}: {value}"]
    url = f"http://{target}{method}"
    await _h2load([*base, "-n", str(2 * concurrency), url], timeout=60)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    millis = max(100, round(duration_s * 1000))  # -D takes milliseconds too
    out = await _h2load([*base, "-D", f"{millis}ms", "--log-file", str(log), url], duration_s + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = parse_h2load(out)
    latencies, bad = parse_request_log(log.read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    framed = len(grpc_frame(b"")) + reply_size
    result = to_result(summary, latencies, bad, framed, concurrency, millis / 1000)
    return H2Run(result, cpu, summary)


async def _h2load(args: list[str], timeout: float) -> str:
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()  # our own child, by its handle
        await proc.wait()
        raise
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"h2load exited {proc.returncode}:\n{text[-2000:]}")
    return text
