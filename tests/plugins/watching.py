"""A runyard server whose watch streams heartbeat every 0.2 s, and stubs on it
with the test automation set up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from tests.plugins.servers import RunyardProcess, Stubs, admin_channel

HEARTBEAT = "0.2"


@pytest.fixture
def watch_server(database_url: str, tmp_path: Path) -> Iterator[RunyardProcess]:
    server = RunyardProcess(database_url, tmp_path)
    server.start("--stream-heartbeat", HEARTBEAT)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def wstubs(watch_server: RunyardProcess) -> Iterator[Stubs]:
    from tests.api.test_run_lifecycle import setup_automation

    with grpc.insecure_channel(watch_server.grpc_target) as channel:
        stubs = Stubs(admin_channel(watch_server, channel))
        setup_automation(stubs)
        yield stubs
