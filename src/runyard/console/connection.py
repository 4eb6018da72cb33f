"""Where the command connects and with what token.

Precedence, highest first: ``--server``/``--token``, then ``RUNYARD_SERVER``/
``RUNYARD_TOKEN``, then the config file's default server, then
``127.0.0.1:50051`` without a token. ``--server`` (or ``RUNYARD_SERVER``) takes
``HOST:PORT`` or the name of a server in the config file::

    # ~/.config/runyard/config.toml ($RUNYARD_CONFIG names another file)
    default = "local"

    [servers.local]
    address = "127.0.0.1:50051"
    token = "ry_..."        # optional

    [servers.prod]
    address = "runyard.example.com:443"
    tls = true
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from runyard.v1 import (
    automation_pb2_grpc,
    operation_pb2_grpc,
    run_batch_service_pb2_grpc,
    run_service_pb2_grpc,
    workspace_pb2_grpc,
)

__all__ = ["Client", "ConfigError", "Target", "add_arguments", "connect", "resolve"]

DEFAULT_SERVER = "127.0.0.1:50051"
DEFAULT_TIMEOUT = 30.0

M = TypeVar("M", bound=Message)


class ConfigError(Exception):
    """The config file or a connection option is unusable (a usage error)."""


@dataclass(frozen=True)
class Target:
    address: str
    token: str | None = None
    tls: bool = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The connection options every API command takes."""
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--server",
        metavar="HOST:PORT|NAME",
        help=f"gRPC address or a server named in the config file "
        f"(default: $RUNYARD_SERVER, the config's default, else {DEFAULT_SERVER})",
    )
    group.add_argument(
        "--token",
        help="API token sent as 'authorization: Bearer' (default: $RUNYARD_TOKEN; "
        "prefer the variable: options show in the process list)",
    )
    group.add_argument("--tls", action="store_true", default=None, help="connect with TLS")
    group.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"deadline of each call (default: {DEFAULT_TIMEOUT:g})",
    )


def config_path(env: dict[str, str]) -> Path:
    if env.get("RUNYARD_CONFIG"):
        return Path(env["RUNYARD_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "runyard" / "config.toml"


def load_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    servers = data.get("servers", {})
    if not isinstance(servers, dict) or not all(isinstance(v, dict) for v in servers.values()):
        raise ConfigError(f"{path}: [servers.NAME] tables expected")
    return data


def resolve(args: argparse.Namespace, env: dict[str, str] | None = None) -> Target:
    """The target from the options, the environment and the config file."""
    env = dict(os.environ) if env is None else env
    path = config_path(env)
    config = load_config(path)
    servers: dict[str, dict[str, Any]] = config.get("servers", {})
    chosen = args.server or env.get("RUNYARD_SERVER") or config.get("default")
    entry: dict[str, Any] = {}
    if chosen and chosen in servers:
        entry = servers[chosen]
        address = entry.get("address")
        if not isinstance(address, str) or not address:
            raise ConfigError(f"{path}: servers.{chosen} has no address")
    elif chosen and ":" in chosen:
        address = chosen
    elif chosen:
        raise ConfigError(f"unknown server {chosen!r}: give HOST:PORT or a name from {path}")
    else:
        address = DEFAULT_SERVER
    token = args.token or env.get("RUNYARD_TOKEN") or entry.get("token") or None
    tls = bool(args.tls if args.tls is not None else entry.get("tls", False))
    return Target(address, token, tls)


class Client:
    """The API's stubs on one channel; every call carries the token and a deadline."""

    def __init__(self, channel: grpc.Channel, target: Target, timeout: float) -> None:
        self.channel = channel
        self.target = target
        self.timeout = timeout
        self.metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {target.token}"),) if target.token else ()
        )
        self.runs = run_service_pb2_grpc.RunServiceStub(channel)
        self.automations = automation_pb2_grpc.AutomationServiceStub(channel)
        self.operations = operation_pb2_grpc.OperationServiceStub(channel)
        self.batch = run_batch_service_pb2_grpc.RunBatchServiceStub(channel)
        self.workspaces = workspace_pb2_grpc.WorkspaceServiceStub(channel)

    def call(self, method: Callable[..., M], request: Message) -> M:
        return method(request, metadata=self.metadata, timeout=self.timeout)


@contextmanager
def connect(args: argparse.Namespace) -> Iterator[Client]:
    target = resolve(args)
    if target.tls:
        channel = grpc.secure_channel(target.address, grpc.ssl_channel_credentials())
    else:
        channel = grpc.insecure_channel(target.address)
    with channel:
        yield Client(channel, target, args.timeout)
