"""Prefect 3.8's flow_runs/filter against runyard's REST ListRuns on the same
data (bench/prefect_peer.py does the work; skipped where Prefect is missing)."""

from __future__ import annotations

from bench.context import Bench, Case, Target
from bench.report import Row


async def run(bench: Bench, target: Target | None) -> None:
    from bench import prefect_peer as prefect

    what = "Prefect flow_runs/filter vs ListRuns"
    if not prefect.available(install=bench.install):
        bench.skip(what, "Prefect not installed in bench/.venv-prefect (make bench installs it)")
        return
    result = await prefect.compare(
        bench.size.prefect_runs,
        bench.size.days,
        bench.workdir,
        duration_s=bench.size.load_s,
        max_requests=bench.size.max_requests,
    )
    for row in result:
        bench.add(Row(**row))


CASE = Case("prefect", "Prefect", run, on=("own",))
