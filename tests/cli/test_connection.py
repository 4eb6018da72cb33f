"""Where `runyard` connects: options, environment, config file."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from runyard.console.connection import DEFAULT_SERVER, ConfigError, Target, resolve


def _args(server: str | None = None, token: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(server=server, token=token, tls=None)


def test_defaults_and_precedence(tmp_path: Path) -> None:
    env = {"RUNYARD_CONFIG": str(tmp_path / "none.toml")}
    assert resolve(_args(), env) == Target(DEFAULT_SERVER)
    env |= {"RUNYARD_SERVER": "h:1", "RUNYARD_TOKEN": "env"}
    assert resolve(_args(), env) == Target("h:1", "env")
    assert resolve(_args("o:2", "flag"), env) == Target("o:2", "flag")


def test_config_file_names_servers(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'default = "local"\n'
        '[servers.local]\naddress = "127.0.0.1:7000"\ntoken = "t1"\n'
        '[servers.prod]\naddress = "prod:443"\ntls = true\n'
    )
    env = {"RUNYARD_CONFIG": str(config)}
    assert resolve(_args(), env) == Target("127.0.0.1:7000", "t1")
    assert resolve(_args("prod"), env) == Target("prod:443", None, tls=True)
    assert resolve(_args("prod", "x"), env | {"RUNYARD_TOKEN": "y"}).token == "x"
    with pytest.raises(ConfigError, match="unknown server"):
        resolve(_args("staging"), env)


def test_broken_config_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("servers = 3 = 4")
    with pytest.raises(ConfigError, match="cannot read"):
        resolve(_args(), {"RUNYARD_CONFIG": str(config)})
