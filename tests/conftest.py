"""Shared test set-up: generated test protos on sys.path, database fixtures."""

import sys
from pathlib import Path

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
