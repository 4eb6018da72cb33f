"""Log set-up: text lines, or one JSON object per line (``--log-format json``).

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
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            out.update(access)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(_TEXT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            extra = " ".join(f"{k}={v}" for k, v in access.items() if k not in _IN_MESSAGE)
            if extra:
                line = f"{line} {extra}"
        return line


# Fields the text message already shows.
_IN_MESSAGE = frozenset(
    {"kind", "method", "code", "status", "duration_ms", "principal", "path"}
)


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Root logging to stderr in ``fmt`` ("text" or "json")."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level)
