"""The schema is written twice: store/tables.py (what queries use) and the
Alembic migrations (what databases get). Autogenerate compares a database
migrated to head with tables.py; any difference (a column, type, nullability,
index or constraint added on one side only) fails here, on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, text

from runyard.store import migrate
from runyard.store.engine import make_engine
from runyard.store.tables import metadata

# SQLite cannot reflect expression indexes, so autogenerate skips them (with a
# warning); _sqlite_index_names covers them by name instead.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*expression-based index:UserWarning",
    "ignore:.*expression-based index:sqlalchemy.exc.SAWarning",
)


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Alembic's own bookkeeping table is not part of tables.py.
    return not (type_ == "table" and name == "alembic_version")


def _differences(url: str, target: MetaData) -> tuple[list[Any], set[str] | None]:
    """Autogenerate's differences, and on SQLite the names of every index."""
    engine = make_engine(url, pool_size=1)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={"compare_type": True, "include_object": _include},
            )
            diff = compare_metadata(context, target)
            names = None
            if conn.dialect.name == "sqlite":
                query = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                names = {str(n) for n in conn.execute(text(query)).scalars()}
    finally:
        engine.dispose()
    return diff, names


def test_migrations_match_tables(database_url: str) -> None:
    diff, index_names = _differences(database_url, metadata)
    assert diff == [], "store/tables.py and the migrations differ:\n" + "\n".join(map(str, diff))
    if index_names is not None:
        declared = {str(i.name) for table in metadata.tables.values() for i in table.indexes}
        assert index_names == declared


def test_a_difference_is_noticed(tmp_path: Path) -> None:
    changed = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["runs"].append_column(Column("not_migrated", Integer))
    diff, _ = _differences(f"sqlite:///{tmp_path / 'drift.db'}", changed)
    assert [d[0] for d in diff] == ["add_column"]
