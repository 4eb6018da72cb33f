"""`runyard serve --workers N`: N server processes behind the same gRPC and HTTP
ports, supervised by the process that was started.

The kernel spreads new connections over the workers (SO_REUSEPORT: every
worker binds the same address; grpc sets the option itself, the HTTP server
is asked to). A connection stays with the worker that accepted it, so one
HTTP/2 channel uses one worker: clients that want several cores open several
connections.

The supervisor (the parent):

- does the once-per-store work before any worker starts: schema migrations,
  and with ``--demo`` the demo data and its token file;
- holds each port bound (not listening) for its whole life, so port 0 becomes
  one concrete port every worker shares, and a restarted worker finds it free;
- starts the workers (``python -m runyard.supervisor``, the settings on stdin),
  logs each one's pid as it starts and when it serves;
- restarts a worker that dies, with a log line; gives up and exits 1 when
  workers die more than :data:`RESTART_LIMIT` times within
  :data:`RESTART_WINDOW_S` (a broken store, a port taken by someone else);
- gives the workers one directory for prometheus_client's multiprocess mode,
  so ``/metrics`` on the shared port reports all workers (runyard.ops.metrics),
  and removes it on exit;
- forwards SIGTERM and SIGINT: each worker shuts down gracefully (health
  NOT_SERVING, HTTP requests and gRPC calls in flight finish), then the
  parent exits 0. Workers left after :data:`STOP_GRACE_S` are killed.

Workers die with the supervisor (PR_SET_PDEATHSIG), so a killed parent leaves
no server behind. Worker slot 0 alone runs the store-wide periodic jobs
(change-feed pruning); a restarted worker keeps its slot.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from types import FrameType

from runyard import demo
from runyard.ops.metrics import MULTIPROCESS_DIR
from runyard.settings import Settings, split_address

log = logging.getLogger("runyard.supervisor")

RESTART_LIMIT = 5
RESTART_WINDOW_S = 60.0
# A worker's own shutdown: up to 10 s for HTTP requests, then 5 s for gRPC calls.
STOP_GRACE_S = 30.0
READY = b"1"


@dataclass
class WorkerSpec:
    """What a worker process is told on its stdin."""

    settings: Settings
    slot: int
    log_level: str
    log_format: str
    parent: int  # the supervisor's pid


@dataclass
class _Worker:
    slot: int
    proc: subprocess.Popen[bytes]
    ready_fd: int  # read end of the pipe the worker writes READY to (-1: closed)
    ready: bool = False

    def close_pipe(self) -> None:
        if self.ready_fd >= 0:
            os.close(self.ready_fd)
            self.ready_fd = -1


def reserve(address: str) -> tuple[socket.socket, str]:
    """Binds ``address`` with SO_REUSEPORT without listening: the port is ours
    (port 0 becomes a free one) and every worker can bind it too. Returns the
    socket, to be kept open, and the address with its concrete port."""
    host, port = split_address(address)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(f"cannot listen on {address}: {exc.strerror or exc}") from None
    shown = f"[{host}]" if ":" in host else host
    return sock, f"{shown}:{sock.getsockname()[1]}"


def prepare(settings: Settings) -> None:
    """The work done once per store, before the workers: migrations, demo data."""
    from runyard.store.engine import resolve_url
    from runyard.store.sql import open_store

    store = open_store(resolve_url(settings.database_url))
    try:
        log.info("store migrated")
        if settings.demo:
            demo.serve_demo(store, settings.demo_token_path)
    finally:
        store.close()


def run_workers(settings: Settings, count: int, log_level: str, log_format: str) -> int:
    """Runs ``count`` workers until SIGTERM/SIGINT (0) or until they keep dying (1)."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise SystemExit("--workers needs SO_REUSEPORT, which this platform lacks")
    held: list[socket.socket] = []
    sock, grpc_address = reserve(settings.grpc_address)
    held.append(sock)
    http_address = settings.http_address
    if http_address:
        sock, http_address = reserve(http_address)
        held.append(sock)
    try:
        prepare(settings)
        shared = replace(settings, grpc_address=grpc_address, http_address=http_address)
        specs = [
            WorkerSpec(replace(shared, worker_slot=i), i, log_level, log_format, os.getpid())
            for i in range(count)
        ]
        log.info(
            "supervisor (pid %d): %d workers on gRPC %s%s",
            os.getpid(),
            count,
            grpc_address,
            f", HTTP {http_address}" if http_address else "",
        )
        with tempfile.TemporaryDirectory(prefix="runyard-metrics-") as metrics:
            return Supervisor(specs, metrics_dir=metrics).run()
    finally:
        for sock in held:
            sock.close()


class Supervisor:
    def __init__(
        self,
        specs: list[WorkerSpec],
        *,
        restart_limit: int = RESTART_LIMIT,
        metrics_dir: str | None = None,
    ) -> None:
        self.specs = specs
        self.metrics_dir = metrics_dir
        self.restart_limit = restart_limit
        self.workers: dict[int, _Worker] = {}
        self.deaths: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> int:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            for spec in self.specs:
                self._start(spec)
            failed = self._supervise()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("supervisor (pid %d) stopped", os.getpid())
        return 1 if failed else 0

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if not self.stopping.is_set():
            log.info("supervisor: %s, stopping the workers", signal.Signals(signum).name)
        self.stopping.set()

    def _start(self, spec: WorkerSpec) -> None:
        read_fd, write_fd = os.pipe()
        env = {**os.environ, "RUNYARD_READY_FD": str(write_fd)}
        if self.metrics_dir:
            env[MULTIPROCESS_DIR] = self.metrics_dir
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "runyard.supervisor"],
                stdin=subprocess.PIPE,
                pass_fds=(write_fd,),
                env=env,
                # Own session: a terminal's Ctrl-C reaches the supervisor, which
                # forwards it once, instead of every process at the same time.
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(pickle.dumps(spec))
        proc.stdin.close()
        self.workers[spec.slot] = _Worker(spec.slot, proc, read_fd)
        log.info("worker %d (pid %d) started", spec.slot, proc.pid)

    def _supervise(self) -> bool:
        """Watches until stopped (False) or until workers keep dying (True)."""
        announced = False
        while not self.stopping.is_set():
            self._read_ready(0.2)
            if not announced and all(w.ready for w in self.workers.values()):
                announced = True
                log.info("all %d workers serving", len(self.workers))
            for worker in list(self.workers.values()):
                code = worker.proc.poll()
                if code is None or self.stopping.is_set():
                    continue
                worker.close_pipe()
                self._forget_metrics(worker.proc.pid)
                log.warning(
                    "worker %d (pid %d) exited with %s; restarting it",
                    worker.slot,
                    worker.proc.pid,
                    _describe(code),
                )
                now = time.monotonic()
                self.deaths = [t for t in self.deaths if now - t < RESTART_WINDOW_S] + [now]
                if len(self.deaths) > self.restart_limit:
                    log.error(
                        "workers died %d times within %.0f s; giving up",
                        len(self.deaths),
                        RESTART_WINDOW_S,
                    )
                    del self.workers[worker.slot]
                    return True
                # Back off a little so a worker failing at start-up does not spin.
                self.stopping.wait(min(2.0, 0.1 * 2 ** (len(self.deaths) - 1)))
                if not self.stopping.is_set():
                    self._start(self.specs[worker.slot])
        return False

    def _forget_metrics(self, pid: int) -> None:
        """A dead worker's open streams no longer count; its counters still do."""
        if self.metrics_dir:
            from prometheus_client.multiprocess import mark_process_dead

            mark_process_dead(pid, self.metrics_dir)

    def _read_ready(self, timeout: float) -> None:
        waiting = {w.ready_fd: w for w in self.workers.values() if not w.ready and w.ready_fd >= 0}
        if not waiting:
            self.stopping.wait(timeout)
            return
        with contextlib.suppress(InterruptedError):
            readable, _, _ = select.select(list(waiting), [], [], timeout)
            for fd in readable:
                worker = waiting[fd]
                if os.read(fd, 1) == READY:
                    worker.ready = True
                    log.info("worker %d (pid %d) serving", worker.slot, worker.proc.pid)
                else:  # EOF: it exited before serving; the poll that follows says how
                    worker.ready = True

    def _stop_all(self) -> None:
        alive = [w for w in self.workers.values() if w.proc.poll() is None]
        for worker in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for worker in alive:
            try:
                worker.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning(
                    "worker %d (pid %d) did not stop; killing it", worker.slot, worker.proc.pid
                )
                worker.proc.kill()
                worker.proc.wait()
        for worker in self.workers.values():
            worker.close_pipe()
            log.info(
                "worker %d (pid %d) stopped (%s)",
                worker.slot,
                worker.proc.pid,
                _describe(worker.proc.returncode),
            )
        self.workers.clear()


def _describe(code: int | None) -> str:
    if code is not None and code < 0:
        return signal.Signals(-code).name
    return f"code {code}"


def _die_with_parent(parent: int) -> None:
    """Linux: this worker gets SIGTERM when the supervisor dies, however it dies."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        raise SystemExit(1)


def worker_main() -> int:
    """A worker process: the settings come pickled on stdin from the supervisor."""
    import asyncio

    from runyard.ops.logs import configure
    from runyard.server import serve

    spec: WorkerSpec = pickle.loads(sys.stdin.buffer.read())
    _die_with_parent(spec.parent)
    configure(spec.log_level, spec.log_format, worker=spec.slot)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    ready_fd = int(os.environ.pop("RUNYARD_READY_FD"))

    def ready() -> None:
        with contextlib.suppress(OSError):
            os.write(ready_fd, READY)
            os.close(ready_fd)

    try:
        asyncio.run(serve(spec.settings, on_ready=ready))
    except KeyboardInterrupt:
        pass
    except Exception:
        # In the log's own format (JSON lines stay JSON); the supervisor restarts us.
        log.exception("worker %d (pid %d) failed", spec.slot, os.getpid())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(worker_main())
