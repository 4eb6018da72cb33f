"""The operation worker of a server process: claims one unfinished operation
at a time with a lease and advances it batch by batch, at most at the
operation's rate, renewing the lease with each batch. A lease that expires (its
server was killed) is taken over by whichever server claims next, which
resumes from the recorded cursor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time

from runyard.aip.errors import ApiError
from runyard.jobs import actions
from runyard.store.interface import BulkAction, Operation, OperationStore

log = logging.getLogger(__name__)

MAX_BATCH = 100
DEFAULT_RATE = 500.0
PAUSE_SECONDS = 0.02


def _now_us() -> int:
    return time.time_ns() // 1000


class OperationWorker:
    def __init__(
        self,
        store: OperationStore,
        *,
        lease_seconds: float = 30.0,
        poll_seconds: float = 1.0,
        default_rate: float = DEFAULT_RATE,
    ) -> None:
        self.store = store
        self.lease_us = int(lease_seconds * 1_000_000)
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.default_rate = default_rate
        self.owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Looks for work now (a new operation was created)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                op_id = await asyncio.to_thread(
                    self.store.claim_operation, self.owner, _now_us(), self.lease_us
                )
                if op_id is not None:
                    await self._work(op_id)
                    continue
            except ApiError as err:
                log.warning("operation worker: %s", err)
            except Exception:
                # The worker outlives any one operation's trouble; it tries again later.
                log.exception("operation worker: unexpected error")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def release(self, op_id: int) -> None:
        await asyncio.to_thread(self.store.release_operation, op_id, self.owner)

    def _rate(self, op: Operation) -> float:
        return op.metadata.max_runs_per_second or self.default_rate

    def _batch_size(self, op: Operation) -> int:
        # A batch takes at most a third of the lease at the rate cap.
        return max(1, min(MAX_BATCH, int(self._rate(op) * self.lease_seconds / 3)))

    async def _work(self, op_id: int) -> None:
        log.info("operation worker %s took operation %d", self.owner, op_id)
        last_matched: int | None = None
        try:
            while True:
                started = time.monotonic()
                now = _now_us()

                def action_for(op: Operation, now: int = now) -> BulkAction:
                    return actions.for_operation(op, now)

                op = await asyncio.to_thread(
                    self.store.advance_operation,
                    op_id,
                    self.owner,
                    now,
                    self.lease_us,
                    self._batch_size,
                    action_for,
                )
                if op is None or op.done:
                    return
                rate = self._rate(op)
                matched = op.metadata.matched_count
                visited = self._batch_size(op) if last_matched is None else matched - last_matched
                last_matched = matched
                delay = visited / rate - (time.monotonic() - started)
                # Always a breath between batches, so waiting writers get their turn.
                await asyncio.sleep(max(delay, PAUSE_SECONDS))
        except asyncio.CancelledError:
            await asyncio.shield(self.release(op_id))
            raise
