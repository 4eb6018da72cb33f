"""runyard's OpenAPI document, the same from both gateways: descriptions from
the proto comments, a google.rpc.Status whose fields are all optional (proto3
JSON omits defaults), closed objects (unknown fields are refused)."""

from __future__ import annotations

import httpx


def test_document_describes_operations_and_fields(gateway_base: str) -> None:
    doc = httpx.get(f"{gateway_base}/openapi.json", timeout=30).json()
    ops = [op for item in doc["paths"].values() for op in item.values()]
    assert ops and all(op.get("description") for op in ops)
    get_run = next(op for op in ops if op["operationId"] == "runyard.v1.RunService.GetRun")
    assert get_run["description"].startswith("Gets a run")
    schemas = doc["components"]["schemas"]
    run = schemas["runyard.v1.Run"]
    assert run["description"] and run["additionalProperties"] is False
    assert run["properties"]["state"]["description"] == "The lifecycle state."
    status = schemas["google.rpc.Status"]
    assert "required" not in status
    list_runs = next(op for op in ops if op["operationId"] == "runyard.v1.RunService.ListRuns")
    params = {p["name"]: p for p in list_runs["parameters"]}
    assert params["filter"]["description"]
    # Both gateways declare runyard's bearer scheme, required by every operation.
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert (
        "runyard tokens create" in doc["components"]["securitySchemes"]["bearerAuth"]["description"]
    )
    assert doc["security"] == [{"bearerAuth": []}]
    # Streams answer NDJSON and Server-Sent Events, and the document says so.
    watch = next(op for op in ops if op["operationId"] == "runyard.v1.RunService.WatchRunEvents")
    assert set(watch["responses"]["200"]["content"]) == {
        "application/x-ndjson",
        "text/event-stream",
    }


def test_swagger_ui_is_served_from_the_package(gateway_base: str) -> None:
    with httpx.Client(base_url=gateway_base, timeout=30) as c:
        assert 'href="/docs/try"' in c.get("/docs").text
        page = c.get("/docs/try")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "http://" not in page.text and "https://" not in page.text  # no CDN
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "init.js"):
            assert f"/docs/swagger-ui/{asset}" in page.text
            r = c.get(f"/docs/swagger-ui/{asset}")
            assert r.status_code == 200 and r.content
        assert "SwaggerUIBundle" in c.get("/docs/swagger-ui/swagger-ui-bundle.js").text
        assert "/openapi.json" in c.get("/docs/swagger-ui/init.js").text
        assert c.get("/docs/swagger-ui/nope.js").status_code == 404


def test_document_states_the_size_limits(gateway_base: str) -> None:
    schemas = httpx.get(f"{gateway_base}/openapi.json", timeout=30).json()["components"]
    run = schemas["schemas"]["runyard.v1.Run"]["properties"]
    assert run["caller"]["maxLength"] == 16_384
    assert run["labels"]["maxProperties"] == 64
    assert run["labels"]["propertyNames"]["maxLength"] == 63
    assert run["labels"]["additionalProperties"]["maxLength"] == 255
