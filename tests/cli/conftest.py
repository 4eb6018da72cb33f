"""Running `runyard` against the session's demo server (tests/plugins/demo.py)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest

from tests.plugins.demo import DEMO_WORKSPACE, mint_token
from tests.plugins.servers import RunyardProcess

WS = DEMO_WORKSPACE
CLI_TIMEOUT = 60


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Runs `runyard ARGS` against the server: in this process through the
    command's own entry point (quick), or as a child process like a shell would."""

    def __init__(self, server: RunyardProcess, token: str, home: Path) -> None:
        self.server = server
        self.token = token
        self.env = {
            **os.environ,
            "RUNYARD_SERVER": server.grpc_target,
            "RUNYARD_TOKEN": token,
            "RUNYARD_CONFIG": str(home / "absent.toml"),
            "COLUMNS": "200",
            "PYTHONUNBUFFERED": "1",
        }

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        from runyard.cli import main

        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
        err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
        with (
            mock.patch.dict(os.environ, {**self.env, **(env or {})}, clear=True),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                code = main(list(args))
            except SystemExit as e:  # argparse's usage errors
                code = int(e.code or 0)
        return Result(code, _text(out), _text(err))

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """`runyard ARGS` started in the background (the caller waits for it)."""
        return subprocess.Popen(
            [sys.executable, "-m", "runyard", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )

    def process(self, *args: str, env: dict[str, str] | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "runyard", *args],
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=CLI_TIMEOUT,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def rest(self, path: str, **params: Any) -> Any:
        """The REST API's JSON for the same question."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        r = httpx.get(f"{self.server.http_base}/v1/{path}", params=params, headers=headers)
        r.raise_for_status()
        return r.json()


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    raw = stream.buffer
    assert isinstance(raw, io.BytesIO)
    return raw.getvalue().decode()


@pytest.fixture(scope="module")
def cli(demo_server: RunyardProcess, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    token = mint_token(demo_server, "demo", "operator")
    return Cli(demo_server, token, tmp_path_factory.mktemp("home"))
