"""Generated requests from the generated OpenAPI document (schemathesis).

For the Library test service and for runyard (with its demo data), every
operation of /openapi.json gets generated requests; no response may be a 5xx
that is not a genuine upstream failure, and every response must match the
document, with every check schemathesis has; the Library test service, whose
rules its document does not state, skips positive-data acceptance. Bounded by request count: at
most `per_operation` generated requests per operation, each with a timeout; no
assertion on how many fit in a span of time (that is `make bench`'s business).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from runyard.gateway import create_app, serve_http
from tests.gateway.library import start_library
from tests.plugins.servers import RunyardProcess

LIBRARY_PER_OPERATION = 40
RUNYARD_PER_OPERATION = 30
# positive_data_acceptance expects any schema-valid request not to be a 400; the
# Library test service refuses values (negative page sizes, ...) its document
# does not constrain, so it is checked with every other check. runyard: all.
LIBRARY_EXCLUDED = [positive_data_acceptance]
# Genuine upstream failures the Library service produces on purpose.
UPSTREAM_FAILURE_OPS = {"gatewaytest.v1.Library.Fail", "gatewaytest.v1.Library.WatchItems"}

pytestmark = pytest.mark.slow


class LibraryInThread:
    """The Library gRPC server and the gateway on their own loop in a thread."""

    def __init__(self) -> None:
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        import grpc
        from gatewaytest.v1 import gatewaytest_pb2 as pb

        self._stop = asyncio.Event()
        server, port = await start_library()
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        http = await serve_http(create_app(channel, [pb.DESCRIPTOR]), "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{http.port}"
        self._ready.set()
        await self._stop.wait()
        await http.close()
        await channel.close(None)
        await server.stop(None)

    def __enter__(self) -> LibraryInThread:
        self._thread.start()
        assert self._ready.wait(30), "gateway did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def fuzz(
    base_url: str,
    per_operation: int,
    allowed_5xx: set[str],
    headers: dict[str, str] | None = None,
    excluded: list[Any] | None = None,
) -> tuple[dict[str, int], list[str]]:
    """Runs generated requests against every operation; returns the requests sent
    per operation and the failures."""
    doc = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(doc)
    sent: dict[str, int] = {}
    failures: list[str] = []
    with requests.Session() as session:
        session.headers.update(headers or {})
        for result in schema.get_all_operations():
            op = result.ok()
            op_id = op.definition.raw.get("operationId", op.label)
            sent[op_id] = 0

            @settings(
                max_examples=per_operation,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=op.as_strategy(), data=st.data())
            def run(case: Any, data: Any) -> None:
                response = case.call(base_url=base_url, session=session, timeout=10)
                sent[op_id] += 1  # noqa: B023
                if response.status_code >= 500 and op_id in allowed_5xx:  # noqa: B023
                    return
                try:
                    case.validate_response(response, excluded_checks=excluded or [])
                # collect, keep going: one report at the end
                except (Exception, BaseExceptionGroup) as e:
                    failures.append(
                        f"{op_id}: {case.method} {case.formatted_path} "  # noqa: B023
                        f"-> {response.status_code}: {str(e)[:400]}"
                    )

            run()
    return sent, failures


def test_library_openapi_fuzz() -> None:
    with LibraryInThread() as gw:
        sent, failures = fuzz(
            gw.url, LIBRARY_PER_OPERATION, UPSTREAM_FAILURE_OPS, excluded=LIBRARY_EXCLUDED
        )
    assert not failures, "\n".join(failures[:20])
    assert sent and all(sent.values()), f"operations never called: {sent}"


@pytest.fixture(scope="module")
def runyard_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunyardProcess]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    server = RunyardProcess(f"sqlite:///{tmp / 'demo.db'}", tmp, http=True)
    server.start("--demo")
    try:
        yield server
    finally:
        server.stop()


def test_runyard_openapi_fuzz(runyard_http: RunyardProcess) -> None:
    # With the demo organization's admin token, so requests reach the servicers.
    headers = runyard_http.auth_headers("demo")
    sent, failures = fuzz(runyard_http.http_base, RUNYARD_PER_OPERATION, set(), headers)
    assert not failures, "\n".join(failures[:20])
    assert sent and all(sent.values()), f"operations never called: {sent}"
