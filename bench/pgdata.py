"""The bench's PostgreSQL: a throw-away database on the test suite's cluster, or
a cluster of the bench's own kept between runs, filled with the data set once."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from bench import datagen
from bench.procs import ROOT


def postgres_dir(smoke: bool) -> Path:
    # RUNYARD_BENCH_PG_DIR keeps a data set apart from other checkouts' benches.
    chosen = os.environ.get("RUNYARD_BENCH_PG_DIR", "").strip()
    if chosen:
        return Path(chosen + ("-smoke" if smoke else ""))
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
