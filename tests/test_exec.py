"""End to end: `runyard exec` runs a looping script as a run; PauseRun over HTTP
stops its process (state T in /proc), ContinueRun resumes it, CancelRun ends
it (CANCELLED, end reason STOPPED, exit code recorded), and its output lines
are the run's journal events, in order. Waits are bounded loops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx

from runyard.v1 import run_pb2, run_service_pb2
from tests.api.test_run_lifecycle import AUTO
from tests.plugins.servers import RunyardProcess, Stubs
from tests.test_watch import DEADLINE, Feed, all_events

Run = run_pb2.Run

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    print("pid", os.getpid(), flush=True)
    for i in range(20000):
        print("tick", i, flush=True)
        if i % 7 == 0:
            print("err", i, file=sys.stderr, flush=True)
        time.sleep(0.01)
    """
)


def proc_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def until(predicate: object, what: str, tries: int = 3000) -> None:
    for _ in range(tries):
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError(f"never: {what}")


def test_runyard_exec_obeys_pause_continue_and_cancel(
    watch_server: RunyardProcess, wstubs: Stubs, tmp_path: Path
) -> None:
    script = tmp_path / "loop.py"
    script.write_text(SCRIPT)
    feed = Feed(wstubs, AUTO)
    runner = subprocess.Popen(
        [sys.executable, "-m", "runyard", "exec", "--automation", AUTO,
         "--server", watch_server.grpc_target, "--grace", "5",
         "--token", watch_server.token("acme", "runner"),
         "--", sys.executable, str(script)],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "exec.log", "wb"),  # noqa: SIM115 - closed with the process
    )  # fmt: skip
    try:
        run = feed.wait_for(1)[0].run.name
        feed.stop()
        events = wstubs.runs.WatchRunEvents(
            run_service_pb2.WatchRunEventsRequest(parent=run, filter="type = JOURNAL"),
            timeout=DEADLINE,
        )
        first = next(m.event for m in events if m.event.journal.node_id == "stdout")
        assert first.journal.payload["line"].startswith("pid ")
        pid = int(first.journal.payload["line"].split()[1])
        events.cancel()
        assert wstubs.runs.GetRun(run_service_pb2.GetRunRequest(name=run)).state == Run.RUNNING
        http = httpx.Client(
            base_url=watch_server.http_base,
            timeout=30,
            headers=watch_server.auth_headers("acme", "operator"),
        )
        r = http.post(f"/v1/{run}:pause", json={"reason": "hold on"})
        assert r.status_code == 200, r.text
        until(lambda: proc_state(pid) == "T", "the process stopped")
        r = http.post(f"/v1/{run}:continue", json={})
        assert r.status_code == 200, r.text
        until(lambda: proc_state(pid) != "T", "the process continued")
        r = http.post(f"/v1/{run}:cancel", json={"reason": "enough"})
        assert r.status_code == 200, r.text
        code = runner.wait(DEADLINE)
        assert code == 128 + signal.SIGTERM, (tmp_path / "exec.log").read_text()
    finally:
        if runner.poll() is None:
            os.kill(runner.pid, signal.SIGKILL)
            runner.wait(10)
        runner.stderr and runner.stderr.close()  # type: ignore[func-returns-value]
    final = wstubs.runs.GetRun(run_service_pb2.GetRunRequest(name=run))
    assert final.state == Run.CANCELLED and final.end_reason == Run.STOPPED
    assert final.exit_code == 128 + signal.SIGTERM
    journal = [e for e in all_events(wstubs, run) if e.HasField("journal")]
    lines = [(e.journal.node_id, e.journal.payload["line"]) for e in journal]
    out = [line for stream, line in lines if stream == "stdout"]
    err = [line for stream, line in lines if stream == "stderr"]
    assert out[0] == f"pid {pid}"
    ticks = out[1:]
    assert len(ticks) > 3 and ticks == [f"tick {i}" for i in range(len(ticks))]
    assert err == [f"err {i}" for i in range(0, 7 * len(err), 7)]
    states = [
        e.state_change.to_state for e in all_events(wstubs, run) if e.HasField("state_change")
    ]
    assert states == [
        Run.QUEUED,
        Run.RUNNING,
        Run.PAUSED,
        Run.RUNNING,
        Run.CANCELLED,
        Run.CANCELLED,
    ]


def test_runner_library_completes_a_run(watch_server: RunyardProcess, wstubs: Stubs) -> None:
    from runyard.runner import Runner, RunnerOptions

    token = watch_server.token("acme", "runner")
    with Runner(RunnerOptions(server=watch_server.grpc_target, token=token)) as runner:
        ok = runner.execute([sys.executable, "-c", "print('hello')"], automation=AUTO)
        bad = runner.execute([sys.executable, "-c", "import sys; sys.exit(3)"], automation=AUTO)
    assert ok.run.state == Run.SUCCEEDED and ok.exit_code == 0 and ok.run.HasField("duration")
    assert bad.run.state == Run.FAILED and bad.run.exit_code == 3
    lines = [
        e.journal.payload["line"] for e in all_events(wstubs, ok.run.name) if e.HasField("journal")
    ]
    assert lines == ["hello"]
