"""What a runyard server is started with: its addresses, store, limits and modes
(filled by `runyard serve`'s options, or by the supervisor for each worker)."""

from __future__ import annotations

from dataclasses import dataclass, field

from runyard.api.watch import HEARTBEAT_SECONDS
from runyard.auth.ratelimit import Limit
from runyard.gateway.http_options import HttpServerOptions


@dataclass
class Settings:
    database_url: str | None = None
    grpc_address: str = "127.0.0.1:50051"
    http_address: str | None = "127.0.0.1:8080"
    demo: bool = False
    workers: int = 16
    # Seconds of quiet after which a watch stream sends a heartbeat (docs/streams.md).
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    # Development only: every call is allowed and recorded as `anonymous`.
    insecure_no_auth: bool = False
    # Rate limits by role (runyard.auth.ratelimit.DEFAULT_LIMITS for the rest).
    rate_limits: dict[int, Limit] = field(default_factory=dict)
    # Where --demo keeps its admin token's secret.
    demo_token_file: str = "runyard-demo-token"
    # How long a token look-up is trusted (a revoke elsewhere takes this long).
    token_cache_seconds: float = 5.0
    # SQLite reads may run on the event loop when nothing else is served
    # (runyard.api.threads); PostgreSQL's GetRun and ListRuns are awaited on it
    # (runyard.store.async_reads). False: every read on the store's threads.
    inline_reads: bool = True
    # How long a server holds an operation without renewing it before another
    # server may take it over (a killed server's operations resume after this).
    operation_lease_seconds: float = 30.0
    # How often workspaces' retention windows start archive and purge
    # operations (runyard.jobs.retention); 0 turns the schedule off.
    retention_interval_seconds: float = 3600.0
    # HTTP: skip unknown query parameters, JSON fields and enum names instead of 400.
    allow_unknown_fields: bool = False
    # The HTTP server and its connection limits (runyard.gateway.http_options).
    http_options: HttpServerOptions = field(default_factory=HttpServerOptions)
    # `serve --workers N` (runyard.supervisor): this process is worker number
    # `worker_slot` behind shared ports. The supervisor has migrated the store and
    # loaded the demo; slot 0 alone runs the store-wide periodic jobs.
    worker_slot: int | None = None

    @property
    def host_jobs(self) -> bool:
        """Whether this process runs the periodic jobs that must run once per
        store (change-feed pruning, the retention schedule): a lone server, or
        worker slot 0."""
        return self.worker_slot in (None, 0)

    @property
    def demo_token_path(self) -> str | None:
        """Where --demo writes its admin token (None when auth is off)."""
        return None if self.insecure_no_auth else self.demo_token_file


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)
