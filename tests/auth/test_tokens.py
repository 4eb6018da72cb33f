"""TokenService, the bootstrap command, secrets at rest, the recorded actor,
file modes and the insecure development mode."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import grpc
import httpx
import pytest
import sqlalchemy as sa

from runyard.v1 import (
    run_pb2,
    run_service_pb2,
    token_pb2,
    token_pb2_grpc,
    workspace_pb2,
    workspace_pb2_grpc,
)
from tests.auth.conftest import AUTO, ORG, World
from tests.plugins.databases import sqlalchemy_url
from tests.plugins.servers import RunyardProcess


def _md(secret: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {secret}"),)


def test_create_get_list_revoke(world: World) -> None:
    admin = world.server.token(ORG, "admin")
    with grpc.insecure_channel(world.server.grpc_target) as ch:
        tokens = token_pb2_grpc.TokenServiceStub(ch)
        made = tokens.CreateToken(
            token_pb2.CreateTokenRequest(
                parent=f"organizations/{ORG}",
                token=token_pb2.Token(role=token_pb2.Token.VIEWER, display_name="dash"),
            ),
            metadata=_md(admin),
        )
        assert made.secret.startswith("ryd_") and made.creator.startswith("organizations/")
        got = tokens.GetToken(token_pb2.GetTokenRequest(name=made.name), metadata=_md(admin))
        assert got.secret == "" and got.display_name == "dash" and got.creator
        listed = tokens.ListTokens(
            token_pb2.ListTokensRequest(parent=f"organizations/{ORG}"), metadata=_md(admin)
        )
        assert made.name in [t.name for t in listed.tokens]
        assert all(not t.secret for t in listed.tokens)
        ws = workspace_pb2_grpc.WorkspaceServiceStub(ch)
        ws.GetWorkspace(
            workspace_pb2.GetWorkspaceRequest(name=f"organizations/{ORG}/workspaces/data"),
            metadata=_md(made.secret),
        )
        revoked = tokens.RevokeToken(
            token_pb2.RevokeTokenRequest(name=made.name), metadata=_md(admin)
        )
        assert revoked.HasField("revoke_time")
        with pytest.raises(grpc.RpcError) as err:
            ws.GetWorkspace(
                workspace_pb2.GetWorkspaceRequest(name=f"organizations/{ORG}/workspaces/data"),
                metadata=_md(made.secret),
            )
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_no_secret_is_stored(world: World) -> None:
    secrets = [s.split(" ", 1)[1] for s in world.secrets.values() if s.startswith("Bearer ryd_")]
    engine = sa.create_engine(sqlalchemy_url(world.server.database_url))
    meta = sa.MetaData()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # expression indexes
        meta.reflect(engine)
    found = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                for value in row:
                    blob = value if isinstance(value, bytes) else str(value).encode()
                    found += [table.name for s in secrets if s.encode() in blob]
                    found += [table.name for s in secrets if s[4:].encode() in blob]
    engine.dispose()
    assert not found


def test_actor_is_the_token(world: World) -> None:
    operator = world.server.token(ORG, "operator")
    with grpc.insecure_channel(world.server.grpc_target) as ch:
        runs = run_service_pb2_grpc_stub(ch)
        run = runs.CreateRun(
            run_service_pb2.CreateRunRequest(parent=AUTO, run=run_pb2.Run()),
            metadata=_md(operator),
        )
        paused = runs.PauseRun(
            run_service_pb2.PauseRunRequest(name=run.name, reason="look"),
            metadata=(*_md(operator), ("x-runyard-actor", "ceo@example.com")),
        )
    assert paused.paused_by.startswith(f"organizations/{ORG}/tokens/")
    assert paused.started_by == paused.paused_by


def run_service_pb2_grpc_stub(ch: grpc.Channel):  # type: ignore[no-untyped-def]
    from runyard.v1 import run_service_pb2_grpc

    return run_service_pb2_grpc.RunServiceStub(ch)


def test_openapi_declares_bearer(world: World) -> None:
    doc = httpx.get(world.server.http_base + "/openapi.json").json()
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["security"] == [{"bearerAuth": []}]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runyard", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_bootstrap_a_new_organization(database_url: str, tmp_path: Path) -> None:
    made = _cli(
        "tokens",
        "create",
        "--database-url",
        database_url,
        "--organization",
        "newco",
        "--role",
        "admin",
        "--display-name",
        "first admin",
        "--expires-in",
        "1d",
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("ryd_")
    if database_url.startswith("sqlite"):
        db = Path(database_url.removeprefix("sqlite:///"))
        assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    server = RunyardProcess(database_url, tmp_path)
    server.start()
    try:
        with grpc.insecure_channel(server.grpc_target) as ch:
            ws = workspace_pb2_grpc.WorkspaceServiceStub(ch).CreateWorkspace(
                workspace_pb2.CreateWorkspaceRequest(
                    parent="organizations/newco",
                    workspace_id="main",
                    workspace=workspace_pb2.Workspace(),
                ),
                metadata=_md(secret),
            )
            assert ws.name == "organizations/newco/workspaces/main"
            with pytest.raises(grpc.RpcError) as err:
                workspace_pb2_grpc.WorkspaceServiceStub(ch).CreateWorkspace(
                    workspace_pb2.CreateWorkspaceRequest(
                        parent="organizations/acme",
                        workspace_id="main",
                        workspace=workspace_pb2.Workspace(),
                    ),
                    metadata=_md(secret),
                )
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        listed = _cli(
            "tokens",
            "list",
            "--database-url",
            database_url,
            "--organization",
            "newco",
            cwd=tmp_path,
        )
        assert "first admin" in listed.stdout and "admin" in listed.stdout
        name = next(w for w in listed.stdout.split() if w.startswith("organizations/newco/"))
        revoked = _cli("tokens", "revoke", "--database-url", database_url, name, cwd=tmp_path)
        assert revoked.returncode == 0, revoked.stderr
    finally:
        server.stop()


def test_insecure_mode_is_explicit_and_loud(tmp_path: Path) -> None:
    server = RunyardProcess(f"sqlite:///{tmp_path / 'dev.db'}", tmp_path)
    server.start("--insecure-no-auth")
    try:
        with grpc.insecure_channel(server.grpc_target) as ch:
            ws = workspace_pb2_grpc.WorkspaceServiceStub(ch).CreateWorkspace(
                workspace_pb2.CreateWorkspaceRequest(
                    parent="organizations/any",
                    workspace_id="w",
                    workspace=workspace_pb2.Workspace(),
                )
            )
        assert ws.name == "organizations/any/workspaces/w"
    finally:
        server.stop()
    log = server.log.read_text()
    assert "INSECURE" in log and "principal=insecure-no-auth" in log


def test_demo_token_file(tmp_path: Path) -> None:
    server = RunyardProcess(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path)
    server.start("--demo")
    try:
        token_file = tmp_path / "runyard-demo-token"
        assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
        secret = token_file.read_text().strip()
        r = httpx.get(
            server.http_base + "/v1/organizations/demo/workspaces/main/automations",
            headers={"authorization": f"Bearer {secret}"},
        )
        assert r.status_code == 200, r.text
        assert (
            httpx.get(
                server.http_base + "/v1/organizations/demo/workspaces/main/automations"
            ).status_code
            == 401
        )
    finally:
        server.stop()


def test_last_use_time_is_recorded(world: World) -> None:
    """A token's first use is written back (in the background, so bounded polling)."""
    admin = world.server.token(ORG, "admin")
    with grpc.insecure_channel(world.server.grpc_target) as ch:
        tokens = token_pb2_grpc.TokenServiceStub(ch)
        made = tokens.CreateToken(
            token_pb2.CreateTokenRequest(
                parent=f"organizations/{ORG}", token=token_pb2.Token(role=token_pb2.Token.VIEWER)
            ),
            metadata=_md(admin),
        )
        assert not made.HasField("last_use_time")
        workspace_pb2_grpc.WorkspaceServiceStub(ch).GetWorkspace(
            workspace_pb2.GetWorkspaceRequest(name=f"organizations/{ORG}/workspaces/data"),
            metadata=_md(made.secret),
        )
        got = made
        for _ in range(100):
            got = tokens.GetToken(token_pb2.GetTokenRequest(name=made.name), metadata=_md(admin))
            if got.HasField("last_use_time"):
                break
            time.sleep(0.05)
        assert got.HasField("last_use_time")


def test_wildcards_never_reach_other_organizations(world: World) -> None:
    """`-` for the organization or the workspace is outside every token's scope."""
    admin = world.server.token(ORG, "admin")
    with grpc.insecure_channel(world.server.grpc_target) as ch:
        runs = run_service_pb2_grpc_stub(ch)
        for parent in (
            "organizations/-/workspaces/-/automations/-",
            "organizations/-/workspaces/data/automations/-",
        ):
            with pytest.raises(grpc.RpcError) as err:
                runs.ListRuns(run_service_pb2.ListRunsRequest(parent=parent), metadata=_md(admin))
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        limited = world.server.token(ORG, "admin", workspace="data")
        with pytest.raises(grpc.RpcError) as err:
            runs.ListRuns(
                run_service_pb2.ListRunsRequest(
                    parent=f"organizations/{ORG}/workspaces/-/automations/-"
                ),
                metadata=_md(limited),
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
