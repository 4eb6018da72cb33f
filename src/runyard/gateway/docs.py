"""A plain HTML page of the endpoints, rendered from the OpenAPI document.

Self-contained (no scripts, no external assets): one table of operations with
their parameters and request/response schema names, and a link to
``/openapi.json`` for tools.
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["render"]

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}code{font:13px ui-monospace,monospace}
.m{font-weight:600;text-transform:uppercase}.q{color:#555}
"""


def _ref_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return _ref_name(schema.get("items", {})) + "[]"
    return str(schema.get("type", "object"))


def _content_schema(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    for media, c in obj.get("content", {}).items():
        s = c.get("schema", {})
        name = _ref_name(s) if media == "application/json" else media
        return f"{name}" if media == "application/json" else f"{name} ({media})"
    return ""


def render(doc: dict[str, Any]) -> str:
    """The HTML page of ``doc``."""
    title = escape(str(doc.get("info", {}).get("title", "API")))
    rows: list[str] = []
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            path_params = [p for p in op.get("parameters", []) if p["in"] == "path"]
            query = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
            ok = op.get("responses", {}).get("200")
            rows.append(
                "<tr>"
                f"<td class=m>{escape(method)}</td>"
                f"<td><code>{escape(path)}</code>"
                + "".join(
                    f"<div class=q><code>{escape(p['name'])}</code>: "
                    f"{escape(p.get('description', ''))}</div>"
                    for p in path_params
                )
                + "</td>"
                f"<td><code>{escape(str(op.get('x-grpc-method', '')))}</code></td>"
                f"<td class=q>{escape(', '.join(query))}</td>"
                f"<td>{escape(_content_schema(op.get('requestBody')))}</td>"
                f"<td>{escape(_content_schema(ok))}</td>"
                "</tr>"
            )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{title}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{title}</h1>"
        "<p>HTTP/JSON endpoints transcoded to gRPC. Errors are <code>google.rpc.Status</code> "
        "JSON (send <code>Accept: application/problem+json</code> for RFC 9457). "
        'Machine-readable: <a href="/openapi.json">/openapi.json</a>; '
        'try requests in <a href="/docs/try">Swagger UI</a>.</p>'
        "<table><thead><tr><th>Method</th><th>Path</th><th>gRPC method</th>"
        "<th>Query parameters</th><th>Request body</th><th>Response</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )
