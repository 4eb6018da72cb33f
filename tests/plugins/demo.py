"""One runyard server with the demo organization for the whole session, shared
by the read-mostly suites of the people's interfaces (command line, dashboard).
Tests that change runs pick their runs by state when they run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.plugins.servers import RunyardProcess

DEMO_WORKSPACE = "organizations/demo/workspaces/main"


def mint_token(server: RunyardProcess, organization: str, role: str) -> str:
    """A token of ``organization`` with ``role`` on the demo server."""
    return server.token(organization, role)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunyardProcess]:
    workdir = tmp_path_factory.mktemp("demo-server")
    server = RunyardProcess(f"sqlite:///{workdir / 'demo.db'}", workdir)
    server.start("--demo")
    try:
        yield server
    finally:
        server.stop()
