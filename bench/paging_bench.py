"""Keyset paging at depth: page 1 against page 10,000 on 1,000,000 runs (SQLite).

The table is shaped like runs (parent, state, create_time, start_time, id, …)
with the indexes the keyset needs, built once and cached under bench/data/
(gitignored). Every measured call is the real runyard.aip.sql.listing.run_list: it
parses the order, checks the signed token, adds the keyset predicate and
fetches page_size+1 rows.

Page 10,000 is reached with real tokens: 499 pages of 1,000 then 19 pages of 50
(a token is valid for any page_size), so the measured token sits after row
499,950 of the hot parent. For contrast, the same page is also fetched with
LIMIT/OFFSET. Loops are bounded by a count and a time budget.

Orders whose directions differ (`state, create_time desc`) are not measured:
their expanded keyset predicate ranges the index on the first key only, so on
SQLite a deep page costs more the deeper it is within one value of that key
(docs/filtering.md).

    .venv/bin/python -m bench.paging_bench [--rows N] [--loops N]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    func,
    select,
)

from runyard.aip.filtering import Field, FieldType, Schema
from runyard.aip.listing import Collection, ListRequest
from runyard.aip.ordering import OrderField
from runyard.aip.pagination import PageTokenCodec
from runyard.aip.sql.listing import run_list

DATA = Path(__file__).parent / "data"
PAGE_SIZE = 50
DEPTH_PAGES = 10_000
HOT = "o/w/hot"  # the parent paged through; 80 % of the rows
STATES = {"STATE_UNSPECIFIED": 0, "QUEUED": 1, "RUNNING": 2, "SUCCEEDED": 3, "FAILED": 4}

metadata = MetaData()
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent", Text, nullable=False),
    Column("state", Integer, nullable=False),
    Column("create_time", BigInteger, nullable=False),
    Column("start_time", BigInteger, nullable=True),
    Column("display_name", Text, nullable=False),
    Column("labels", JSON, nullable=False),
)
r = runs.c
RUNS = Collection(
    name="runs",
    schema=Schema.of(
        Field("state", FieldType.ENUM, enum_values=STATES),
        Field("create_time", FieldType.TIMESTAMP),
        Field("start_time", FieldType.TIMESTAMP, nullable=True),
        Field("display_name", FieldType.STRING),
        Field("labels", FieldType.MAP),
    ),
    order_fields={
        "create_time": OrderField("create_time"),
        "state": OrderField("state"),
    },
    default_order="create_time desc",
    tiebreaker=(OrderField("id"),),
)
CODEC = PageTokenCodec(b"paging-bench-secret-0123456789")
T0 = 1_700_000_000_000_000  # the first create_time, epoch microseconds
WINDOW_END = "2023-11-26T09:13:20Z"  # T0 + 990,000 s: 99 % of the rows are before it

# The keyset's indexes: the parent, then the order's keys, then the tiebreaker.
INDEXES = [
    "CREATE INDEX runs_by_time ON runs (parent, create_time, id)",
    "CREATE INDEX runs_by_state_time ON runs (parent, state, create_time, id)",
]


def build(path: Path, rows: int) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.execute(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, parent TEXT NOT NULL, state INTEGER NOT NULL,"
        " create_time BIGINT NOT NULL, start_time BIGINT, display_name TEXT NOT NULL,"
        " labels JSON NOT NULL)"
    )
    rnd = random.Random(42)
    batch: list[tuple[Any, ...]] = []
    for i in range(1, rows + 1):
        parent = HOT if rnd.random() < 0.8 else f"o/w/a{rnd.randrange(30)}"
        # About one run a second, with ties every now and then (same micro).
        create = T0 + i * 1_000_000 - rnd.randrange(2) * 1_000_000
        started = None if rnd.random() < 0.05 else create + rnd.randrange(10_000_000)
        state = rnd.choice((1, 2, 3, 3, 3, 3, 3, 3, 4))
        batch.append((i, parent, state, create, started, f"run-{i}", f'{{"team": "t{i % 7}"}}'))
        if len(batch) == 100_000:
            db.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    db.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
    for ddl in INDEXES:
        db.execute(ddl)
    db.execute("ANALYZE")
    db.commit()
    db.close()
    tmp.rename(path)


def timed(fn: Callable[[], object], loops: int, budget_s: float = 15.0) -> float:
    """Median milliseconds of `fn` over at most `loops` calls within the budget."""
    fn()  # warm the page cache
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < loops and time.perf_counter() < deadline:
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def page(conn: Connection, token: str, size: int = PAGE_SIZE, **kw: Any) -> tuple[int, str]:
    base = select(r.id).where(r.parent == HOT)
    result = run_list(
        conn, base, RUNS, ListRequest(HOT, page_size=size, page_token=token, **kw), CODEC, r
    )
    return len(result.rows), result.next_page_token


def deep_token(conn: Connection, **kw: Any) -> str:
    """The token of page DEPTH_PAGES (size PAGE_SIZE), reached by paging."""
    token, position = "", 0
    target = (DEPTH_PAGES - 1) * PAGE_SIZE
    while position < target:
        size = 1000 if target - position >= 1000 else PAGE_SIZE
        n, token = page(conn, token, size, **kw)
        position += n
        if not token:
            raise SystemExit(f"the list ends at {position} rows; build more rows (--rows)")
    return token


def offset_page(conn: Connection, skip: int) -> int:
    query = (
        select(r.id)
        .where(r.parent == HOT)
        .order_by(r.create_time.desc(), r.id.desc())
        .limit(PAGE_SIZE + 1)
        .offset(skip)
    )
    return len(conn.execute(query).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--loops", type=int, default=200)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"paging-v2-{args.rows}.db"
    if not path.exists():
        print(f"building {path} ({args.rows:,} rows) …", flush=True)
        t0 = time.perf_counter()
        build(path, args.rows)
        print(f"built in {time.perf_counter() - t0:.0f} s")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        hot = conn.execute(select(func.count()).where(r.parent == HOT)).scalar_one()
        print(f"{args.rows:,} rows, {hot:,} under the paged parent; page_size {PAGE_SIZE}")
        cases: list[tuple[str, dict[str, Any]]] = [
            ("order create_time desc", {}),
            ("filter state = SUCCEEDED", {"filter": "state = SUCCEEDED"}),
            # The SQLite row-value trap (reference/performance.md): a time bound in
            # the filter beside the cursor; the cursor's bound must be the one ranged.
            ("filter create_time < T", {"filter": f'create_time < "{WINDOW_END}"'}),
        ]
        ratios = []
        for label, kw in cases:
            t0 = time.perf_counter()
            token = deep_token(conn, **kw)
            reach = time.perf_counter() - t0
            first = timed(partial(page, conn, "", **kw), args.loops)
            deep = timed(partial(page, conn, token, **kw), args.loops)
            ratios.append(deep / first)
            print(
                f"{label:<32} page 1 {first:6.3f} ms   page {DEPTH_PAGES:,} {deep:6.3f} ms   "
                f"ratio {deep / first:5.2f}   (paged there in {reach:.1f} s)"
            )
        skip = (DEPTH_PAGES - 1) * PAGE_SIZE
        offset = timed(lambda: offset_page(conn, skip), min(args.loops, 20))
        print(f"{'LIMIT/OFFSET, same page':<32} page {DEPTH_PAGES:,} {offset:8.3f} ms")
        shown = ", ".join(f"{x:.2f}" for x in ratios)
        print(f"keyset ratio page {DEPTH_PAGES:,} / page 1: {shown}")


if __name__ == "__main__":
    main()
