"""A child's stdout and stderr lines, batched into journal entries.

One reader thread per pipe puts lines on one queue (so entries keep the order
in which lines arrived); one sender takes up to `max_lines` at a time, or what
arrived within `interval`, and appends them with a request_id so a retried
append applies once."""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from typing import IO

from google.protobuf import struct_pb2

from runyard.v1 import run_pb2

log = logging.getLogger("runyard.runner")
Entry = run_pb2.RunEvent.JournalEntry
MAX_LINE = 64 * 1024
_DONE = object()


def entry(stream: str, line: str) -> Entry:
    payload = struct_pb2.Struct()
    payload.update({"line": line, "stream": stream})
    return Entry(node_kind="Output", node_id=stream, payload=payload)


class OutputPump:
    """Reads the pipes, echoes each line (when `echo` is given) and sends batches."""

    def __init__(
        self,
        send: Callable[[list[Entry], str], None],
        *,
        max_lines: int = 200,
        interval: float = 0.2,
        echo: Callable[[str, str], None] | None = None,
    ) -> None:
        self.send = send
        self.max_lines = max_lines
        self.interval = interval
        self.echo = echo
        self.lines: queue.Queue[object] = queue.Queue()
        self.readers: list[threading.Thread] = []
        self.sender = threading.Thread(target=self._send_loop, name="output-sender", daemon=True)
        self.sent = 0
        self.dropped = 0

    def start(self, pipes: dict[str, IO[bytes]]) -> None:
        for name, pipe in pipes.items():
            t = threading.Thread(target=self._read, args=(name, pipe), daemon=True)
            t.start()
            self.readers.append(t)
        self.sender.start()

    def _read(self, stream: str, pipe: IO[bytes]) -> None:
        with pipe:
            for raw in iter(pipe.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")[:MAX_LINE]
                if self.echo is not None:
                    self.echo(stream, line)
                self.lines.put(entry(stream, line))

    def finish(self, timeout: float = 30.0) -> None:
        """Waits for the pipes to close and every line to be sent."""
        for t in self.readers:
            t.join(timeout)
        self.lines.put(_DONE)
        self.sender.join(timeout)

    def _send_loop(self) -> None:
        done = False
        while not done:
            batch: list[Entry] = []
            try:
                item = self.lines.get(timeout=self.interval)
            except queue.Empty:
                continue
            while True:
                if item is _DONE:
                    done = True
                    break
                batch.append(item)  # type: ignore[arg-type]
                if len(batch) >= self.max_lines:
                    break
                try:
                    item = self.lines.get(timeout=self.interval if len(batch) < 2 else 0.02)
                except queue.Empty:
                    break
            if batch:
                self._send(batch)

    def _send(self, batch: list[Entry]) -> None:
        try:
            self.send(batch, str(uuid.uuid4()))
            self.sent += len(batch)
        except Exception as exc:  # the run ended (cancelled), or the server is gone
            self.dropped += len(batch)
            log.warning("dropped %d output lines: %s", len(batch), exc)
