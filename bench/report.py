"""The bench's table: sizes, one row per figure, and how rows are printed and saved."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc

from bench import procs


@dataclass
class Size:
    """How big and how long each benchmark is; `smoke` shrinks everything."""

    runs: int
    days: int
    load_s: float
    max_requests: int
    grpc_concurrency: tuple[int, ...]
    http_concurrency: tuple[int, ...]
    deep_page: int
    walk_budget_s: float
    latency_count: int
    latency_budget_s: float
    encode_s: float
    ingest_s: float
    prefect_runs: int


FULL = Size(
    runs=1_000_000,
    days=90,
    load_s=5.0,
    max_requests=200_000,
    grpc_concurrency=(1, 4, 16),
    http_concurrency=(1, 16),
    deep_page=10_000,
    walk_budget_s=240.0,
    latency_count=50,
    latency_budget_s=20.0,
    encode_s=1.0,
    ingest_s=5.0,
    prefect_runs=100_000,
)
SMOKE = Size(
    runs=2_000,
    days=10,
    load_s=0.3,
    max_requests=2_000,
    grpc_concurrency=(1, 4),
    http_concurrency=(4,),
    deep_page=5,
    walk_budget_s=5.0,
    latency_count=5,
    latency_budget_s=1.0,
    encode_s=0.05,
    ingest_s=0.3,
    prefect_runs=50,
)


@dataclass
class Row:
    what: str
    runyard: float | None
    baseline: float | None
    unit: str
    notes: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.runyard is None or not self.baseline:
            return None
        return self.runyard / self.baseline

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio"] = self.ratio
        return d


def fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"


def table(rows: list[Row]) -> str:
    head = ("what", "runyard", "baseline", "ratio", "unit", "notes")
    body = [(r.what, fmt(r.runyard), fmt(r.baseline), fmt(r.ratio), r.unit, r.notes) for r in rows]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(5)]
    lines = []
    for i, cells in enumerate([head, *body]):
        lines.append(
            "  ".join(
                c.ljust(widths[j]) if j in (0, 4) else c.rjust(widths[j])
                for j, c in enumerate(cells[:5])
            )
            + "  "
            + cells[5]
        )
        if i == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def markdown(rows: list[Row]) -> str:
    out = ["| what | runyard | baseline | ratio | unit | notes |", "|---|--:|--:|--:|---|---|"]
    for r in rows:
        cells = (r.what, fmt(r.runyard), fmt(r.baseline), fmt(r.ratio), r.unit, r.notes)
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out)


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=procs.ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "platform": platform.platform(),
        "commit": commit,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
