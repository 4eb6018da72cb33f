"""Shared test set-up: generated test protos on sys.path, database fixtures,
the slow tests first."""

import sys
from pathlib import Path

import pytest

_GEN = Path(__file__).parent / "gen"
if _GEN.is_dir() and str(_GEN) not in sys.path:
    sys.path.insert(0, str(_GEN))

pytest_plugins = [
    "tests.plugins.databases",
    "tests.plugins.servers",
    "tests.plugins.demo",
    "tests.plugins.watching",
    "tests.plugins.gateways",
    "tests.plugins.own_postgres",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked slow run first (otherwise in collection order): under
    pytest-xdist a long test that starts last leaves the other worker idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
