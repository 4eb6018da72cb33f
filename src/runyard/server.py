"""Wires runyard together: store, servicers, interceptors, reflection, health and
the in-process HTTP gateway, on one asyncio loop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from runyard import demo
from runyard.api.automations import AutomationService
from runyard.api.executions import ExecutionService
from runyard.api.interceptors import ErrorMappingInterceptor, GatedServer
from runyard.api.operations import OperationService
from runyard.api.reflection import enable_reflection
from runyard.api.run_batch import RunBatchService
from runyard.api.runner import RunnerService
from runyard.api.runs import RunService
from runyard.api.streams_http import SSE_RESUME
from runyard.api.threads import READ_THREADS, SQLITE_READ_THREADS
from runyard.api.tokens import TokenService
from runyard.api.validation import schema_limits
from runyard.api.watch import Watcher
from runyard.api.workspaces import WorkspaceService
from runyard.auth.authenticator import Authenticator
from runyard.gateway.inprocess import HandlerRegistry, InProcessInvoker
from runyard.jobs.retention import schedule_forever
from runyard.jobs.worker import OperationWorker
from runyard.ops import gc_tuning
from runyard.ops.metrics import METRICS
from runyard.settings import Settings, split_address
from runyard.store.engine import resolve_url
from runyard.store.interface import AsyncRunReads, Store
from runyard.store.notify import Hub
from runyard.store.sql import SqlStore, open_store
from runyard.store.streams import StreamReads, prune_forever
from runyard.v1 import (
    automation_pb2,
    automation_pb2_grpc,
    execution_pb2,
    execution_pb2_grpc,
    operation_pb2,
    operation_pb2_grpc,
    run_batch_service_pb2,
    run_batch_service_pb2_grpc,
    run_service_pb2,
    run_service_pb2_grpc,
    runner_service_pb2,
    runner_service_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
    workspace_pb2,
    workspace_pb2_grpc,
)

log = logging.getLogger("runyard")

# The web dashboard (plain files) the HTTP gateway serves at /.
DASHBOARD = Path(__file__).parent / "dashboard"

SERVICE_FILES = (
    workspace_pb2,
    automation_pb2,
    run_service_pb2,
    execution_pb2,
    runner_service_pb2,
    token_pb2,
    operation_pb2,
    run_batch_service_pb2,
)
SERVICE_NAMES = tuple(
    svc.full_name for mod in SERVICE_FILES for svc in mod.DESCRIPTOR.services_by_name.values()
)


BEARER_SCHEME = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A runyard access token (`ryd_…`): `Authorization: Bearer <secret>`. "
        "The first one comes from `runyard tokens create`; admins issue more "
        "through TokenService.",
    }
}


class Runyard:
    """A running runyard: call `start`, then `wait`, then `stop`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = resolve_url(settings.database_url)
        self.store: Store | None = None
        self.hub: Hub | None = None
        self._pruner: asyncio.Task[None] | None = None
        self.grpc_server: grpc.aio.Server | None = None
        self.http: Any = None
        self.grpc_port = 0
        self.http_port = 0
        self.worker_task: asyncio.Task[None] | None = None
        self.retention_task: asyncio.Task[None] | None = None
        self.health: Any = None
        self.invoker: InProcessInvoker | None = None
        # PostgreSQL's GetRun and ListRuns, awaited on the event loop.
        self.run_reads: AsyncRunReads | None = None
        self.stopping = False

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # Store calls run on threads; give them enough to overlap database waits.
        from concurrent.futures import ThreadPoolExecutor

        loop.set_default_executor(
            ThreadPoolExecutor(self.settings.workers, thread_name_prefix="store")
        )
        # A worker's schema was migrated by its supervisor, once for all of them.
        first = self.settings.worker_slot is None
        self.store = await asyncio.to_thread(open_store, self.url, migrate_schema=first)
        log.info("store ready: %s", _redact(self.url))
        if isinstance(self.store, SqlStore):
            METRICS.watch_pool(self.store.db.engine)
            if self.store.db.dialect == "sqlite":
                READ_THREADS.resize(SQLITE_READ_THREADS)
                READ_THREADS.inline_when_alone = self.settings.inline_reads
            elif self.settings.inline_reads:
                self.run_reads = self.store.async_run_reads()
        if self.settings.demo and first:
            await asyncio.to_thread(demo.serve_demo, self.store, self.settings.demo_token_path)
        authenticator = self._authenticator(self.store)
        watcher = self._start_streams(self.store, loop)
        host = await self._serve_grpc(self.store, authenticator, watcher)
        if self.settings.http_address:
            await self._serve_http(host)

    def _authenticator(self, store: Store) -> Authenticator | None:
        if not self.settings.insecure_no_auth:
            return Authenticator(
                store.tokens,
                store.token_pepper,
                self.settings.rate_limits,
                cache_seconds=self.settings.token_cache_seconds,
            )
        log.warning(
            "INSECURE: --insecure-no-auth is set; every caller may do everything "
            "in every organization. Never use this outside development."
        )
        return None

    def _start_streams(self, store: Store, loop: asyncio.AbstractEventLoop) -> Watcher:
        # One notification hub per process, fed by our commits and one listener.
        self.hub = Hub(loop)
        assert isinstance(store, SqlStore)  # streams read the SQL store's own tables
        store.db.on_commit = self.hub.publish
        # Our own notifications are skipped: on_commit woke their watchers.
        self.hub.listen(self.url, own=store.db.notifier_pid)
        reads = StreamReads(store.db)
        if self.settings.host_jobs:
            self._pruner = asyncio.create_task(prune_forever(reads))
        return Watcher(reads, self.hub, self.settings.heartbeat_seconds)

    async def _serve_grpc(
        self, store: Store, authenticator: Authenticator | None, watcher: Watcher
    ) -> str:
        """Starts the gRPC server; returns the host it listens on."""
        # Workers share the port (grpc sets SO_REUSEPORT by default; say so anyway).
        options = [] if self.settings.worker_slot is None else [("grpc.so_reuseport", 1)]
        gate = ErrorMappingInterceptor(authenticator)
        interceptors = [gate]
        # Handlers reach the server already behind the gate (no per-call interceptor).
        server = grpc.aio.server(options=options)
        # One method table where reads run inline; registered methods where
        # they await the network on the loop (runyard.api.interceptors).
        gated = GatedServer(server, gate, one_table=self.run_reads is None)
        # The servicers go to the server through a registry that keeps them for the
        # in-process gateway, which calls them directly, through the same interceptors.
        registry = HandlerRegistry(gated, interceptors)  # type: ignore[arg-type]
        workspace_pb2_grpc.add_WorkspaceServiceServicer_to_server(WorkspaceService(store), registry)
        automation_pb2_grpc.add_AutomationServiceServicer_to_server(
            AutomationService(store), registry
        )
        run_service_pb2_grpc.add_RunServiceServicer_to_server(
            RunService(store, store, watcher, self.run_reads), registry
        )
        execution_pb2_grpc.add_ExecutionServiceServicer_to_server(ExecutionService(store), registry)
        runner_service_pb2_grpc.add_RunnerServiceServicer_to_server(
            RunnerService(store, store), registry
        )
        token_pb2_grpc.add_TokenServiceServicer_to_server(
            TokenService(store, authenticator.forget if authenticator else _ignore), registry
        )
        worker = OperationWorker(store, lease_seconds=self.settings.operation_lease_seconds)
        operation_pb2_grpc.add_OperationServiceServicer_to_server(OperationService(store), registry)
        run_batch_service_pb2_grpc.add_RunBatchServiceServicer_to_server(
            RunBatchService(store, worker.wake), registry
        )
        health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, gated)
        self.health = health_servicer
        enable_reflection((*SERVICE_NAMES, health.SERVICE_NAME), gated)  # type: ignore[arg-type]
        host, port = split_address(self.settings.grpc_address)
        self.grpc_port = server.add_insecure_port(f"{host}:{port}")
        if self.grpc_port == 0:
            raise OSError(f"cannot listen on {self.settings.grpc_address}")
        await server.start()
        self.grpc_server = server
        for name in ("", *SERVICE_NAMES):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("gRPC listening on %s:%d", host, self.grpc_port)
        self.worker_task = asyncio.create_task(worker.run(), name="operation-worker")
        self.invoker = InProcessInvoker(registry)
        if self.settings.retention_interval_seconds > 0 and self.settings.host_jobs:
            interval = self.settings.retention_interval_seconds
            self.retention_task = asyncio.create_task(
                schedule_forever(store, interval, worker.wake), name="retention-schedule"
            )
        return host

    async def _serve_http(self, grpc_host: str) -> None:
        from runyard import gateway
        from runyard.gateway.observe import Observer
        from runyard.gateway.static import StaticSite

        assert self.settings.http_address and self.invoker is not None
        app = gateway.create_app(
            None,
            [m.DESCRIPTOR for m in SERVICE_FILES],
            static=StaticSite(DASHBOARD),
            error_domain="runyard.dev",
            title="runyard",
            security_schemes=None if self.settings.insecure_no_auth else BEARER_SCHEME,
            strict_query=not self.settings.allow_unknown_fields,
            ignore_unknown_body_fields=self.settings.allow_unknown_fields,
            comments=api_comments(),
            field_constraints=schema_limits,
            sse_resume=SSE_RESUME,
            invoker=self.invoker,
        )
        http_host, http_port = split_address(self.settings.http_address)
        observed = Observer(app, health=self._healthy)
        self.http = await gateway.serve_http(
            observed,
            http_host,
            http_port,
            error_domain="runyard.dev",
            # --workers: every worker listens on the same port (runyard.supervisor).
            reuse_port=self.settings.worker_slot is not None,
            **self.settings.http_options.as_kwargs(),
        )
        self.http_port = getattr(self.http, "port", http_port)
        log.info("HTTP gateway listening on %s:%d", http_host, self.http_port)

    async def wait(self) -> None:
        assert self.grpc_server is not None
        await self.grpc_server.wait_for_termination()

    async def _healthy(self) -> bool:
        """GET /healthz: serving, and the database answers."""
        if self.stopping or self.store is None:
            return False
        try:
            await asyncio.wait_for(asyncio.to_thread(self.store.ping), 2.0)
        except Exception as exc:  # UNAVAILABLE, a timeout: not healthy, say why
            log.warning("health check: database not answering: %s", type(exc).__name__)
            return False
        return True

    async def stop(self, grace: float = 5.0) -> None:
        if self.retention_task is not None:
            self.retention_task.cancel()
            await asyncio.gather(self.retention_task, return_exceptions=True)
        if self.worker_task is not None:
            # Cancelling releases the lease, so another server resumes at once.
            self.worker_task.cancel()
            await asyncio.gather(self.worker_task, return_exceptions=True)
        # Graceful: report NOT_SERVING first (load balancers stop sending), let the
        # HTTP server finish its requests, then give gRPC calls `grace` seconds.
        self.stopping = True
        if self.health is not None:
            await self.health.enter_graceful_shutdown()
        if self.invoker is not None:
            self.invoker.close()  # HTTP streams end now, with UNAVAILABLE
        if self.http is not None:
            await self.http.close()
        if self.grpc_server is not None:
            await self.grpc_server.stop(grace)
        if self._pruner is not None:
            self._pruner.cancel()
        if self.hub is not None:
            await asyncio.to_thread(self.hub.close)
        if self.run_reads is not None:
            await self.run_reads.close()
        if self.store is not None:
            self.store.close()
        log.info("stopped")


def descriptor_set_path() -> Path:
    """runyard's descriptor set (imports and comments included), from the package."""
    return Path(str(resources.files("runyard.v1").joinpath("runyard.binpb")))


def api_comments() -> dict[str, str]:
    """The proto comments of runyard's API, for the OpenAPI document."""
    from runyard.gateway.comments import read_comments

    return read_comments(descriptor_set_path().read_bytes())


def _ignore(_: str) -> None:
    pass


def _redact(url: str) -> str:
    # Never log a password that may be in the URL.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url
    return url


async def serve(settings: Settings, on_ready: Callable[[], None] | None = None) -> None:
    """Serves until SIGINT/SIGTERM; `on_ready` is called once both servers listen."""
    app = Runyard(settings)
    try:
        await app.start()
    except BaseException:
        # What did start (the gRPC server, the store, the hub) stops before the
        # loop closes: a grpc.aio server still running when its loop closes can
        # crash the process (SIGSEGV) before it reports why it could not start.
        await app.stop(grace=0)
        raise
    gc_tuning.settle_after_start()
    if on_ready is not None:
        on_ready()
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    waiter = asyncio.create_task(app.wait())
    await asyncio.wait(
        [waiter, asyncio.create_task(stopping.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    log.info("shutting down (pid %d)", os.getpid())
    await app.stop()
