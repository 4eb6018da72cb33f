"""The dashboard's files as runyard's server serves them (no browser needed)."""

from __future__ import annotations

import re

import httpx

from tests.plugins.servers import RunyardProcess

IMPORT = re.compile(r'from "\./([\w.-]+)"')


def test_every_module_the_page_loads_is_served(demo_server: RunyardProcess) -> None:
    with httpx.Client(base_url=demo_server.http_base) as http:
        page = http.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        seen: set[str] = set()
        todo = ["app.js", "style.css", "favicon.svg"]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            r = http.get(f"/{name}")
            assert r.status_code == 200, name
            if name.endswith(".js"):
                assert r.headers["content-type"].startswith("text/javascript")
                todo.extend(IMPORT.findall(r.text))
        assert {"api.js", "runs.js", "run.js", "workspace.js", "chart.js", "dom.js"} <= seen
        assert "operations.js" in seen
        # The API keeps its own answers beside the site.
        assert http.get("/v1/nothing").status_code == 404
        assert http.get("/docs").status_code == 200
