"""The child process of a run, in a process group of its own so that pause,
continue and cancel reach everything it started."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Sequence

log = logging.getLogger("runyard.runner")


class Child:
    """A command started in a new session (its own process group)."""

    def __init__(self, argv: Sequence[str], *, grace: float) -> None:
        self.grace = grace
        self.proc = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pgid = self.proc.pid  # a new session's leader leads its process group
        self._lock = threading.Lock()
        self.stopping = False
        self._killer: threading.Timer | None = None

    def signal(self, signum: int) -> None:
        with self._lock:
            if self.proc.poll() is not None:
                return
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, signum)

    def pause(self) -> None:
        log.info("pausing process group %d", self.pgid)
        self.signal(signal.SIGSTOP)

    def resume(self) -> None:
        log.info("continuing process group %d", self.pgid)
        self.signal(signal.SIGCONT)

    def terminate(self) -> None:
        """SIGTERM now (continued first if it was stopped), SIGKILL after the grace period."""
        if self.stopping:
            return
        self.stopping = True
        log.info("terminating process group %d (SIGKILL in %.1fs)", self.pgid, self.grace)
        self.signal(signal.SIGTERM)
        self.signal(signal.SIGCONT)
        self._killer = threading.Timer(self.grace, self.signal, args=(signal.SIGKILL,))
        self._killer.daemon = True
        self._killer.start()

    def wait(self) -> int:
        """The exit code; 128 + N when signal N ended it (as shells report it)."""
        code = self.proc.wait()
        if self._killer is not None:
            self._killer.cancel()
        return 128 - code if code < 0 else code
