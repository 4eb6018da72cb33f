"""HTTP load: `wrk` (one thread, plain GETs, no Lua) when it is there, else a bounded
Python client. Both give requests/s and p50/p99 for one URL at one concurrency.

`ensure_wrk(install=True)` installs Debian's wrk with apt-get when running as
root and it is missing; without root or apt-get the Python client is used and
the figures say so (it is far slower than the servers it measures, so its QPS
is a floor, not a ceiling).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import httpx

from bench.load import LoadResult, run_load

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def ensure_wrk(install: bool) -> str | None:
    path = shutil.which("wrk")
    if path or not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return path
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install_cmd = ["apt-get", "install", "-y", "-q", "wrk"]
    subprocess.run(install_cmd, env=env, capture_output=True, timeout=300, check=False)
    if not shutil.which("wrk"):
        # Stale or missing package lists: refresh once and retry.
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=300)
        subprocess.run(install_cmd, env=env, capture_output=True, timeout=300, check=False)
    return shutil.which("wrk")


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"cannot read wrk latency {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(output: str, concurrency: int) -> LoadResult:
    def find(pattern: str) -> re.Match[str] | None:
        return re.search(pattern, output, re.MULTILINE)

    total = find(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),")
    rps = find(r"^Requests/sec:\s+([\d.]+)")
    p50 = find(r"^\s+50%\s+(\S+)")
    p99 = find(r"^\s+99%\s+(\S+)")
    if not (total and rps and p50 and p99):
        raise ValueError(f"unexpected wrk output:\n{output[-2000:]}")
    non2xx = find(r"Non-2xx or 3xx responses: (\d+)")
    sock = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    errors = int(non2xx.group(1)) if non2xx else 0
    errors += sum(int(x) for x in sock.groups()) if sock else 0
    return LoadResult(
        concurrency=concurrency,
        requests=int(total.group(1)),
        errors=errors,
        seconds=_ms(total.group(2) + total.group(3)) / 1e3,
        qps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        first_error="non-2xx responses or socket errors" if errors else "",
    )


def check_url(url: str) -> bytes:
    """One GET that must succeed: a wrong URL fails loudly instead of timing 404s."""
    reply = httpx.get(url, timeout=30)
    if reply.status_code != 200:
        raise RuntimeError(f"GET {url} -> {reply.status_code}: {reply.text[:500]}")
    return reply.content


async def _python_load(
    url: str, concurrency: int, duration_s: float, max_requests: int
) -> LoadResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def call() -> None:
            reply = await client.get(url)
            if reply.status_code != 200:
                raise RuntimeError(f"HTTP {reply.status_code}")

        return await run_load(
            call, concurrency=concurrency, duration_s=duration_s, max_requests=max_requests
        )


async def http_load(
    url: str,
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    wrk: str | None,
) -> tuple[LoadResult, str]:
    """(result, tool). wrk is bounded by its duration (-d) and by a process timeout;
    the Python client by duration and request count."""
    if wrk:
        seconds = max(1, round(duration_s))
        out = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{concurrency}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "--latency",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
        return parse_wrk(out.stdout, concurrency), "wrk"
    result = await _python_load(url, concurrency, duration_s, max_requests)
    return result, "httpx"
