"""Database fixtures: every store-touching test runs on SQLite and, when
RUNYARD_TEST_POSTGRES_URL is set, on PostgreSQL."""

import pytest
from pathlib import Path


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runyard.db'}"
