"""One runyard server per module with a small organization in it, and tokens
of every kind the auth tests need."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from runyard.v1 import (
    automation_pb2,
    run_pb2,
    run_service_pb2,
    runner_service_pb2,
    token_pb2,
    workspace_pb2,
)
from tests.plugins.databases import STORES, fresh_postgres_database, require_postgres_url
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel, mint_token

ORG = "acme"
WS = f"organizations/{ORG}/workspaces/data"
AUTO = f"{WS}/automations/nightly"


@dataclass
class World:
    server: RunyardProcess
    run: str
    execution: str
    token_name: str
    secrets: dict[str, str]


def _expired_and_revoked(server: RunyardProcess) -> tuple[str, str]:
    from runyard.auth import secrets as token_secrets

    store = server._token_store()
    now = time.time_ns() // 1000
    expired_secret = token_secrets.new_secret()
    token = token_pb2.Token(
        name=f"organizations/{ORG}/tokens/texpired0001", role=token_pb2.Token.ADMIN
    )
    token.create_time.FromMicroseconds(now - 10_000_000)
    token.expire_time.FromMicroseconds(now - 1_000_000)
    store.tokens.create_token(
        ORG, token, token_secrets.digest(store.token_pepper, expired_secret), ""
    )
    revoked_secret = mint_token(store, ORG, "admin")
    record = store.tokens.find_token(token_secrets.digest(store.token_pepper, revoked_secret))
    ids = record.token.name.split("/")
    store.tokens.revoke_token(ids[1], ids[3], now)
    return expired_secret, revoked_secret


def build_world(server: RunyardProcess) -> World:
    with grpc.insecure_channel(server.grpc_target) as raw:
        stubs = Stubs(admin_channel(server, raw))
        stubs.workspaces.CreateWorkspace(
            workspace_pb2.CreateWorkspaceRequest(
                parent=f"organizations/{ORG}",
                workspace_id="data",
                workspace=workspace_pb2.Workspace(),
            )
        )
        stubs.workspaces.CreateWorkspace(
            workspace_pb2.CreateWorkspaceRequest(
                parent=f"organizations/{ORG}",
                workspace_id="other",
                workspace=workspace_pb2.Workspace(),
            )
        )
        stubs.automations.CreateAutomation(
            automation_pb2.CreateAutomationRequest(
                parent=WS,
                automation_id="nightly",
                automation=automation_pb2.Automation(kind=automation_pb2.Automation.WORKFLOW),
            )
        )
        run = stubs.runs.CreateRun(run_service_pb2.CreateRunRequest(parent=AUTO, run=run_pb2.Run()))
        execution = stubs.runner.CreateExecution(
            runner_service_pb2.CreateExecutionRequest(
                parent=WS, execution_id="x1", execution=run_pb2_execution(run.name)
            )
        )
        admin = server.token(ORG, "admin")
        token_name = (
            stubs.tokens.ListTokens(
                token_pb2.ListTokensRequest(parent=f"organizations/{ORG}"),
                metadata=(("authorization", f"Bearer {admin}"),),
            )
            .tokens[0]
            .name
        )
    expired, revoked = _expired_and_revoked(server)
    secrets = {
        "none": "",
        "malformed": "Bearer not-a-runyard-token",
        "unknown": "Bearer ryd_" + "A" * 43,
        "expired": f"Bearer {expired}",
        "revoked": f"Bearer {revoked}",
        "other-org": f"Bearer {server.token('globex', 'admin')}",
        "other-workspace": f"Bearer {server.token(ORG, 'admin', workspace='other')}",
        **{
            role: f"Bearer {server.token(ORG, role)}"
            for role in ("viewer", "operator", "runner", "admin")
        },
        "workspace-admin": f"Bearer {server.token(ORG, 'admin', workspace='data')}",
    }
    return World(server, run.name, execution.name, token_name, secrets)


def run_pb2_execution(run: str):  # type: ignore[no-untyped-def]
    from runyard.v1 import execution_pb2

    return execution_pb2.Execution(run=run, resource="warehouse.table")


@pytest.fixture(scope="module", params=STORES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("auth")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'runyard.db'}"
        server = RunyardProcess(url, tmp)
        server.start()
        try:
            yield build_world(server)
        finally:
            server.stop()
        return
    with fresh_postgres_database(require_postgres_url()) as url:
        server = RunyardProcess(url, tmp)
        server.start()
        try:
            yield build_world(server)
        finally:
            server.stop()
