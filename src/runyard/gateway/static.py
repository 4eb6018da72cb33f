"""Static assets served beside the API: a directory of files the gateway is given.

Generic: the gateway knows nothing of what the files are (runyard hands it its
dashboard). The files are read once, when the site is built, and answered from
memory, so a request path is only ever a key into that table: nothing outside
the directory can be reached, whatever dots or encodings the path holds.
Only GET and HEAD reach it, and only for paths no HTTP rule claims (routes from
the rules, ``/openapi.json`` and ``/docs`` take precedence). ``/`` and any
directory answer its ``index`` file.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["StaticSite"]

Send = Callable[[dict[str, Any]], Awaitable[None]]

# A site's files are small; a file over this is refused at load, not served.
MAX_FILE_BYTES = 4 * 1024 * 1024

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}

# The assets come from the same origin as the API they call; nothing else is loaded.
_SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
)


def _content_type(path: Path) -> str:
    known = _TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


@dataclass
class StaticSite:
    """The files under ``directory`` at URL paths relative to ``/``.

    ``index`` answers ``/`` (and ``dir/``); ``cache_control`` goes on every
    answer (``no-cache`` by default: the files change with the server)."""

    directory: Path | str
    index: str = "index.html"
    cache_control: str = "no-cache"
    _files: dict[str, tuple[bytes, str]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        root = Path(self.directory).resolve()
        if not root.is_dir():
            raise ValueError(f"static site directory {root} does not exist")
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.name.startswith(".") or "__pycache__" in path.parts:
                continue
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValueError(f"static file {path} is larger than {MAX_FILE_BYTES} bytes")
            rel = path.relative_to(root).as_posix()
            entry = (path.read_bytes(), _content_type(path))
            self._files["/" + rel] = entry
            if path.name == self.index:
                parent = rel[: -len(self.index)]
                self._files["/" + parent] = entry

    def paths(self) -> list[str]:
        """Every URL path the site answers."""
        return sorted(self._files)

    def lookup(self, path: str) -> tuple[bytes, str] | None:
        """The body and content type of ``path`` (query string ignored), or None."""
        return self._files.get(path.split("?", 1)[0])

    async def respond(self, method: str, path: str, send: Send) -> bool:
        """Answer ``path`` if it is one of the site's files; False when it is not."""
        if method not in ("GET", "HEAD"):
            return False
        found = self.lookup(path)
        if found is None:
            return False
        body, ctype = found
        headers = [
            ("content-type", ctype),
            ("content-length", str(len(body))),
            ("cache-control", self.cache_control),
            *_SECURITY_HEADERS,
        ]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": b"" if method == "HEAD" else body,
                "more_body": False,
            }
        )
        return True
