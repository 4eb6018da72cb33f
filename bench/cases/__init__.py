"""The benchmarks of `make bench`, one module each, in the order they run.

To add one: a module here with ``CASE = Case(name, title, run, on=...)`` (see
bench/context.py for what ``run`` receives) and a line in CASES below.
"""

from __future__ import annotations

from bench.cases import (
    aggregates,
    archive,
    auth,
    batch_cancel,
    deep_paging,
    encoding,
    grpc_list,
    ingestion,
    prefect,
    rest,
    workers,
    writes,
)
from bench.context import Case

CASES: list[Case] = [
    grpc_list.CASE,
    workers.CASE,
    rest.CASE,
    encoding.CASE,
    deep_paging.CASE,
    aggregates.CASE,
    ingestion.CASE,
    writes.CASE,
    prefect.CASE,
    auth.CASE,
    batch_cancel.CASE,
    archive.CASE,
]
