"""The watch streams over HTTP: Server-Sent Events (ids, Last-Event-ID resume,
heartbeat comments, an in-band error event) and NDJSON, through the in-process
gateway and through the stand-alone `runyard gateway` process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
import orjson
import pytest

from runyard.v1 import run_service_pb2
from tests.api.test_run_lifecycle import AUTO, setup_automation
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel, free_port
from tests.plugins.watching import HEARTBEAT
from tests.test_watch import append, cancel, started_run

SSE = {"accept": "text/event-stream"}
MAX_FRAMES = 1000


@dataclass
class Frame:
    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)
    comment: str | None = None

    def json(self) -> dict:  # type: ignore[type-arg]
        return dict(orjson.loads("\n".join(self.data)))


def frames(response: httpx.Response, limit: int = MAX_FRAMES) -> Iterator[Frame]:
    """SSE frames as they arrive (a comment is a frame of its own)."""
    current = Frame()
    count = 0
    for line in response.iter_lines():
        if line == "":
            if current.data or current.event:
                yield current
                count += 1
            current = Frame()
        elif line.startswith(":"):
            yield Frame(comment=line[1:].strip())
            count += 1
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                current.id = value
            elif name == "event":
                current.event = value
            elif name == "data":
                current.data.append(value)
        if count >= limit:
            return


def take(it: Iterator[Frame], count: int) -> list[Frame]:
    """The next `count` events, skipping heartbeat comments."""
    out: list[Frame] = []
    for f in it:
        if f.comment is None:
            out.append(f)
            if len(out) == count:
                break
    return out


@dataclass
class Gateway:
    base: str
    proc: subprocess.Popen[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunyardProcess]:
    s = RunyardProcess(f"sqlite:///{tmp_path / 'w.db'}", tmp_path)
    s.start("--stream-heartbeat", HEARTBEAT)
    try:
        yield s
    finally:
        s.stop()


def _standalone(server: RunyardProcess, tmp_path: Path) -> Iterator[Gateway]:
    port = free_port()
    log = open(tmp_path / "gateway.log", "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "runyard", "gateway", "--upstream", server.grpc_target,
         "--http-address", f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError((tmp_path / "gateway.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        yield Gateway(f"http://127.0.0.1:{port}", proc, server.auth_headers("acme", "viewer"))
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(15)
        log.close()


@pytest.fixture(params=["in-process", "standalone"])
def gateway(
    request: pytest.FixtureRequest, server: RunyardProcess, tmp_path: Path
) -> Iterator[Gateway]:
    if request.param == "in-process":
        yield Gateway(server.http_base, headers=server.auth_headers("acme", "viewer"))
    else:
        yield from _standalone(server, tmp_path)


@pytest.fixture
def stubs(server: RunyardProcess) -> Iterator[Stubs]:
    with grpc.insecure_channel(server.grpc_target) as channel:
        s = Stubs(admin_channel(server, channel))
        setup_automation(s)
        yield s


def test_sse_events_resume_with_last_event_id(gateway: Gateway, stubs: Stubs) -> None:
    run = started_run(stubs).name
    append(stubs, run, ["one", "two", "three"])
    cancel(stubs, run)
    url = f"{gateway.base}/v1/{run}/events:watch"
    with httpx.Client(timeout=60, headers=gateway.headers) as client:
        with client.stream("GET", url, headers=SSE) as r:
            assert r.status_code == 200
            assert r.headers["content-type"] == "text/event-stream"
            got = [f for f in frames(r) if f.comment is None]
        assert [f.id for f in got] == ["1", "2", "3", "4", "5", "6"]
        assert [f.json()["event"]["sequence"] for f in got] == ["1", "2", "3", "4", "5", "6"]
        assert got[3].json()["event"]["journal"]["payload"] == {"line": "two"}
        # A reconnecting EventSource sends the last id it saw.
        with client.stream("GET", url, headers={**SSE, "last-event-id": "4"}) as r:
            assert [f.id for f in frames(r) if f.comment is None] == ["5", "6"]
        # NDJSON stays the default.
        lines = client.get(f"{url}?afterSequence=5").text.splitlines()
        assert [orjson.loads(x)["result"]["event"]["sequence"] for x in lines] == ["6"]
        bad = client.get(url, headers={**SSE, "last-event-id": "x"})
        assert bad.status_code == 400 and bad.json()["code"] == 3


def test_sse_heartbeats_and_an_in_band_error(gateway: Gateway, stubs: Stubs) -> None:
    run = started_run(stubs).name
    url = f"{gateway.base}/v1/{run}/events:watch"
    with httpx.Client(timeout=60, headers=gateway.headers) as client:
        with client.stream("GET", url, headers={**SSE, "last-event-id": "2"}) as r:
            it = frames(r)
            assert [next(it).comment for _ in range(3)] == ["heartbeat"] * 3
        cancel(stubs, run)
        # Following an ended run until the deadline: the events, then an error event.
        headers = {**SSE, "grpc-timeout": "1S"}
        with client.stream("GET", f"{url}?follow=true", headers=headers) as r:
            got = [f for f in frames(r) if f.comment is None]
    assert [f.id for f in got[:3]] == ["1", "2", "3"]
    assert got[-1].event == "error" and got[-1].id is None
    status = got[-1].json()
    assert status["code"] == 4 and "message" in status  # DEADLINE_EXCEEDED
    assert len(got) == 4


def test_sse_watch_runs_resumes_with_last_event_id(gateway: Gateway, stubs: Stubs) -> None:
    url = f"{gateway.base}/v1/{AUTO}/runs:watch"
    with httpx.Client(timeout=60, headers=gateway.headers) as client:
        with client.stream("GET", url, headers=SSE, params={"filter": "state = RUNNING"}) as r:
            it = frames(r)
            assert next(it).comment == "heartbeat"  # live: nothing to replay
            runs = [started_run(stubs).name for _ in range(3)]
            first = take(it, 1)[0]
        assert first.json()["change"]["run"]["name"] == runs[0]
        assert first.id == first.json()["change"]["resumeToken"]
        stubs.runs.PauseRun(run_service_pb2.PauseRunRequest(name=runs[0], reason="p"))
        stubs.runs.ContinueRun(run_service_pb2.ContinueRunRequest(name=runs[0]))
        headers = {**SSE, "last-event-id": first.id or ""}
        with client.stream("GET", url, headers=headers, params={"filter": "state = RUNNING"}) as r:
            rest = take(frames(r), 3)
    assert [f.json()["change"]["run"]["name"] for f in rest] == [runs[1], runs[2], runs[0]]
