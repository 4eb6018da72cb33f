"""``/docs/try``: Swagger UI on the gateway's OpenAPI document, to try requests.

The assets are vendored in the package (``static/swagger-ui``, from the npm
package swagger-ui-dist by ``scripts/vendor-swagger-ui.sh``; Apache-2.0, its
LICENSE beside them): no CDN, no network at run time. Pages and assets are
read once and kept.
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib import resources

__all__ = ["PATHS", "asset"]

_PREFIX = "/docs/swagger-ui/"
_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "init.js": "text/javascript; charset=utf-8",
    "LICENSE": "text/plain; charset=utf-8",
}
PATHS = frozenset({"/docs/try", *(_PREFIX + name for name in _FILES)})


def _page(title: str) -> bytes:
    t = escape(title)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{t} — try it</title>"
        f'<link rel=stylesheet href="{_PREFIX}swagger-ui.css"></head><body>'
        '<div id="swagger-ui"></div>'
        f'<script src="{_PREFIX}swagger-ui-bundle.js"></script>'
        f'<script src="{_PREFIX}init.js"></script>'
        "</body></html>"
    ).encode()


@cache
def _file(name: str) -> bytes:
    return resources.files("runyard.gateway").joinpath("static", "swagger-ui", name).read_bytes()


def asset(path: str, title: str) -> tuple[str, bytes]:
    """The content type and bytes of one of :data:`PATHS`."""
    if path == "/docs/try":
        return "text/html; charset=utf-8", _page(title)
    name = path.removeprefix(_PREFIX)
    return _FILES[name], _file(name)
