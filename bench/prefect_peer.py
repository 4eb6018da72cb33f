"""A peer on the same machine: Prefect's server (SQLite) holding the same runs as
flow runs, `POST /api/flow_runs/filter` against runyard's REST ListRuns.

Prefect lives in its own virtual environment, bench/.venv-prefect. Its data
comes from runyard's benchmark database: every run becomes a flow run of a
flow named after the automation, with its state, times and a current-state row
(bench/prefect_loader.py, run with Prefect's Python). The Prefect database is
cached under bench/data/ like runyard's. Both sides get the same question —
one automation's failed runs of the last 30 days, newest first, 50 per page —
from the same Python HTTP client at the same concurrency (wrk cannot POST a
body without a script).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench import datagen, procs
from bench.load import LoadResult, run_load
from runyard.store.sql import SqlStore
from runyard.v1 import run_pb2

ROOT = procs.ROOT
VENV = ROOT / "bench" / ".venv-prefect"
# Prefect 3.8 declares fastapi<1, but FastAPI releases after 0.139 reject its Body(min_items=…).
PREFECT = ("prefect>=3.8,<3.9", "fastapi==0.139.*")
STATES = {
    run_pb2.Run.SUCCEEDED: "COMPLETED",
    run_pb2.Run.FAILED: "FAILED",
    run_pb2.Run.RUNNING: "RUNNING",
    run_pb2.Run.QUEUED: "SCHEDULED",
    run_pb2.Run.CANCELLED: "CANCELLED",
    run_pb2.Run.PAUSED: "PAUSED",
}


def python() -> Path:
    return VENV / "bin" / "python"


def available(install: bool) -> bool:
    if (VENV / "bin" / "prefect").exists() or not install:
        return (VENV / "bin" / "prefect").exists()
    if not python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", *PREFECT], check=True, timeout=1800)
    return (VENV / "bin" / "prefect").exists()


def _env(database: Path, home: Path) -> dict[str, str]:
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{database}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        # Only the API: no scheduler or other loops competing for the two cores.
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_REPOSSESSOR_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_EVENT_LOGGER_ENABLED": "false",
    }


def export_runs(runyard_url: str, out: Path) -> int:
    """runyard's runs as JSON lines for the loader."""
    store = SqlStore(runyard_url)
    count = 0
    try:
        with store.engine.connect() as conn, open(out, "w") as f:
            rows = conn.execute(
                text(
                    "SELECT automation, run, state, create_time, start_time, end_time FROM runs"
                    " ORDER BY id"
                )
            )
            for automation, run, state, created, started, ended in rows:
                line = {
                    "automation": automation,
                    "run": run,
                    "state": STATES.get(state, "COMPLETED"),
                    "create": created,
                    "start": started,
                    "end": ended,
                }
                f.write(json.dumps(line) + "\n")
                count += 1
    finally:
        store.close()
    return count


def ensure_data(runyard_url: str, runs: int, workdir: Path) -> Path:
    """A cached Prefect database holding the same runs as runyard's `runyard_url`."""
    database = ROOT / "bench" / "data" / f"prefect-{runs}.db"
    marker = database.with_suffix(".count")
    if database.exists() and marker.exists() and marker.read_text().strip() == str(runs):
        return database
    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    marker.unlink(missing_ok=True)
    lines = workdir / "prefect-runs.jsonl"
    exported = export_runs(runyard_url, lines)
    t0 = time.perf_counter()
    subprocess.run(
        [str(python()), "-P", str(ROOT / "bench" / "prefect_loader.py"), str(lines)],
        env={**os.environ, **_env(database, workdir / "prefect-home")},
        check=True,
        timeout=1800,
        capture_output=True,
    )
    marker.write_text(f"{exported}\n")
    print(f"loaded {exported:,} flow runs into Prefect in {time.perf_counter() - t0:.0f}s")
    return database


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def _load(
    client: httpx.AsyncClient, request: Any, concurrency: int, duration_s: float, max_requests: int
) -> LoadResult:
    async def call() -> None:
        reply = await client.send(request)
        if reply.status_code != 200:
            raise RuntimeError(f"HTTP {reply.status_code}: {reply.text[:200]}")

    return await run_load(
        call, concurrency=concurrency, duration_s=duration_s, max_requests=max_requests
    )


async def compare(
    runs: int,
    days: int,
    workdir: Path,
    duration_s: float,
    max_requests: int,
    concurrency: tuple[int, ...] = (1, 4),
) -> list[dict[str, Any]]:
    """Rows for the bench table (keyword arguments of bench.report.Row)."""
    stem = f"runs-{runs}" + ("" if days == 90 else f"-{days}d")
    url = datagen.ensure(ROOT / "bench" / "data" / f"{stem}.db", runs, days)
    database = ensure_data(url, runs, workdir)
    ours, _, http_port = procs.runyard(url, workdir, http=True, label="runyard-prefect-peer")
    port = procs.free_port()
    theirs = procs.Child(
        "prefect server",
        [
            str(python()),
            "-m",
            "uvicorn",
            "--factory",
            "prefect.server.api.server:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        workdir / f"prefect-{port}.log",
        env=_env(database, workdir / "prefect-home"),
    ).start()
    try:
        theirs.wait_until(lambda: _healthy(port), timeout=120)
        since = datetime.now(UTC) - timedelta(days=30)
        body = {
            "flows": {"name": {"any_": ["hot-etl"]}},
            "flow_runs": {
                "state": {"type": {"any_": ["FAILED"]}},
                "start_time": {"after_": since.isoformat()},
            },
            "sort": "START_TIME_DESC",
            "limit": 50,
        }
        flt = f'state = FAILED AND create_time >= "{since.strftime("%Y-%m-%dT%H:%M:%SZ")}"'
        query = urllib.parse.urlencode(
            {"page_size": 50, "filter": flt}, quote_via=urllib.parse.quote
        )
        list_url = f"http://127.0.0.1:{http_port}/v1/{datagen.automation_name('hot-etl')}/runs"
        rows = []
        async with httpx.AsyncClient(timeout=60) as client:
            prefect_request = client.build_request(
                "POST", f"http://127.0.0.1:{port}/api/flow_runs/filter", json=body
            )
            runyard_request = client.build_request("GET", f"{list_url}?{query}")
            theirs_page = (await client.send(prefect_request)).json()
            ours_page = (await client.send(runyard_request)).json()
            for c in concurrency:
                a = await _load(client, runyard_request, c, duration_s, max_requests)
                b = await _load(client, prefect_request, c, duration_s, max_requests)
                errors = [r for r in (a, b) if r.errors]
                rows.append(
                    {
                        "what": f"REST list runs vs Prefect flow_runs/filter, c={c}",
                        "runyard": a.qps,
                        "baseline": b.qps,
                        "unit": "req/s",
                        "notes": f"{runs:,} runs both sides; failed, last 30 days, page of"
                        f" {len(ours_page.get('runs', []))}/{len(theirs_page)}; httpx client;"
                        f" runyard p50 {a.p50_ms:.1f}/p99 {a.p99_ms:.1f} ms, Prefect"
                        f" p50 {b.p50_ms:.1f}/p99 {b.p99_ms:.1f} ms"
                        + ("; ERRORS: " + errors[0].first_error if errors else ""),
                        "detail": {
                            "runyard": a.as_dict(),
                            "prefect": b.as_dict(),
                            "prefect_body": body,
                            "runyard_filter": flt,
                        },
                    }
                )
        return rows
    finally:
        theirs.stop()
        ours.stop()
