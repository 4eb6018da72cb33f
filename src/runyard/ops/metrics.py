"""Prometheus metrics of one process (prometheus_client, its own registry).

- ``runyard_rpc_requests_total{method,code}`` and
  ``runyard_rpc_duration_seconds{method,code}``: every gRPC call (also those the
  HTTP gateway makes), by full method name and status code name.
- ``runyard_rpc_streams_in_flight{method}``: open server-streaming calls.
- ``runyard_http_requests_total{method,route,code}`` and
  ``runyard_http_request_duration_seconds{method,route,code}``: the HTTP
  gateway, by HTTP method, route template (``-`` for unmatched paths, so that
  clients cannot grow the label set) and HTTP status.
- ``runyard_db_pool_connections{state}``: the database pool's connections in
  use and idle.

Under ``serve --workers N`` the supervisor gives every worker one
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode): whichever
worker answers ``/metrics`` reports the counters and histograms of all of them,
and open streams summed over the live ones; the pool gauge is the answering
worker's own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "METRICS", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Set by runyard.supervisor for its workers: metrics shared through files there.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: 1 ms .. 30 s, the span of a cached read to a long store wait.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _PoolCollector(Collector):
    def __init__(self) -> None:
        self.pools: list[Callable[[], tuple[int, int]]] = []

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "runyard_db_pool_connections",
            "Database pool connections by state",
            labels=["state"],
        )
        used = idle = 0
        for read in self.pools:
            u, i = read()
            used, idle = used + u, idle + i
        family.add_metric(["in_use"], used)
        family.add_metric(["idle"], idle)
        yield family


class Metrics:
    """The process's metrics; :data:`METRICS` is the one servers use."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.rpc_requests = Counter(
            "runyard_rpc_requests", "gRPC calls by method and code", ["method", "code"], registry=r
        )
        self.rpc_duration = Histogram(
            "runyard_rpc_duration_seconds",
            "gRPC call latency by method and code",
            ["method", "code"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.streams = Gauge(
            "runyard_rpc_streams_in_flight",
            "Open server-streaming calls",
            ["method"],
            registry=r,
            multiprocess_mode="livesum",  # the live workers' sum (multiprocess mode only)
        )
        self.http_requests = Counter(
            "runyard_http_requests",
            "HTTP requests by method, route and status",
            ["method", "route", "code"],
            registry=r,
        )
        self.http_duration = Histogram(
            "runyard_http_request_duration_seconds",
            "HTTP request latency by method, route and status",
            ["method", "route", "code"],
            buckets=_BUCKETS,
            registry=r,
        )
        self._pools = _PoolCollector()
        r.register(self._pools)
        # (method, code) -> its counter and histogram children: labels() checks
        # and locks on every call; methods and codes are few (registered ones only).
        self._rpc_children: dict[tuple[str, str], tuple[Any, Any]] = {}

    def rpc(self, method: str, code: str, seconds: float) -> None:
        children = self._rpc_children.get((method, code))
        if children is None:
            children = (
                self.rpc_requests.labels(method, code),
                self.rpc_duration.labels(method, code),
            )
            self._rpc_children[(method, code)] = children
        children[0].inc()
        children[1].observe(seconds)

    def http(self, method: str, route: str, code: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(code)).inc()
        self.http_duration.labels(method, route, str(code)).observe(seconds)

    def watch_pool(self, engine: Any) -> None:
        """Reports ``engine``'s (SQLAlchemy) pool in ``runyard_db_pool_connections``."""
        pool = engine.pool

        def read() -> tuple[int, int]:
            used = int(getattr(pool, "checkedout", lambda: 0)())
            idle = int(getattr(pool, "checkedin", lambda: 0)())
            return used, idle

        self._pools.pools.append(read)

    def exposition(self) -> bytes:
        if not os.environ.get(MULTIPROCESS_DIR):
            return bytes(generate_latest(self.registry))
        from prometheus_client.multiprocess import MultiProcessCollector

        # Every worker's files in the shared directory, plus this one's pool.
        merged = CollectorRegistry()
        MultiProcessCollector(merged)
        merged.register(self._pools)
        return bytes(generate_latest(merged))


METRICS = Metrics()
