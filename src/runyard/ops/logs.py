"""Log set-up: text lines, or one JSON object per line (``--log-format json``).

With ``serve --workers N`` every line of a worker says which one wrote it:
``worker`` and ``pid`` fields in JSON, ``[worker N pid P]`` in text.

Access-log records carry their fields in ``record.access`` (a dict): JSON lines
put them at the top level beside time, level, logger and message; text lines
show them as ``key=value`` after the message.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson

__all__ = ["JsonFormatter", "TextFormatter", "configure"]

_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def __init__(self, worker: int | None = None) -> None:
        super().__init__()
        self.worker = worker

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.worker is not None:
            out["worker"] = self.worker
            out["pid"] = record.process
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            out.update(access)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self, worker: int | None = None) -> None:
        tag = "" if worker is None else f" [worker {worker} pid %(process)d]"
        super().__init__(_TEXT.replace("%(name)s", "%(name)s" + tag))

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            extra = " ".join(f"{k}={v}" for k, v in access.items() if k not in _IN_MESSAGE)
            if extra:
                line = f"{line} {extra}"
        return line


# Fields the text message already shows.
_IN_MESSAGE = frozenset({"kind", "method", "code", "status", "duration_ms", "principal", "path"})


def configure(level: str = "INFO", fmt: str = "text", *, worker: int | None = None) -> None:
    """Root logging to stderr in ``fmt`` ("text" or "json"); ``worker``: the slot
    of a ``serve --workers`` process, shown on each line with its pid."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(worker) if fmt == "json" else TextFormatter(worker))
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level)
