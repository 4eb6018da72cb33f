"""A test table with one column of every filterable type, its Schema, and
helpers to load rows into SQLite or PostgreSQL (tests/plugins/databases.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Engine,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    select,
)

from runyard.aip.filtering import Field, FieldType, Schema
from runyard.aip.sql import compile_filter
from tests.plugins.databases import sqlalchemy_url

metadata = MetaData()
items = Table(
    "filter_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("display_name", Text, nullable=False),
    Column("state", Integer, nullable=False),
    Column("done", Boolean, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("score", Float, nullable=False),
    Column("create_time", BigInteger, nullable=False),
    Column("start_time", BigInteger, nullable=True),
    Column("ttl", BigInteger, nullable=True),
    Column("note", Text, nullable=True),
    Column("labels", JSON, nullable=False),
    Column("parent", Text, nullable=False),
)

STATES = {"STATE_UNSPECIFIED": 0, "PENDING": 1, "RUNNING": 2, "SUCCEEDED": 3, "FAILED": 4}


def parent_id(value: str) -> str:
    """`things/ID` or `ID` → `ID`."""
    value = value.removeprefix("things/")
    if not value or not value.isalnum():
        raise ValueError(f"{value!r} is not a thing name")
    return value


c = items.c
SCHEMA = Schema.of(
    Field("display_name", FieldType.STRING),
    Field("state", FieldType.ENUM, enum_values=STATES),
    Field("done", FieldType.BOOL),
    Field("count", FieldType.INT),
    Field("score", FieldType.FLOAT),
    Field("create_time", FieldType.TIMESTAMP),
    Field("start_time", FieldType.TIMESTAMP, nullable=True),
    Field("ttl", FieldType.DURATION, nullable=True),
    Field("note", FieldType.STRING, nullable=True),
    Field("labels", FieldType.MAP),
    Field("parent", FieldType.RESOURCE_NAME, convert=parent_id),
    Field("detail.note", FieldType.STRING, "note", nullable=True),
    text_fields=("display_name", "note"),
)
NO_SEARCH = Schema(SCHEMA.fields)

COLUMNS = [col.name for col in items.columns]


def ts(text: str) -> int:
    """RFC 3339 → UTC epoch microseconds."""
    delta = datetime.fromisoformat(text.replace("Z", "+00:00")) - datetime.fromisoformat(
        "1970-01-01T00:00:00+00:00"
    )
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def row(id: int, **values: Any) -> dict[str, Any]:
    """A full row: proto3 defaults for what is not given, None for nullable fields."""
    base: dict[str, Any] = {
        "id": id,
        "display_name": "",
        "state": 0,
        "done": False,
        "count": 0,
        "score": 0.0,
        "create_time": 0,
        "start_time": None,
        "ttl": None,
        "note": None,
        "labels": {},
        "parent": "p1",
    }
    base.update(values)
    return base


def engine_for(database_url: str) -> Engine:
    engine = create_engine(sqlalchemy_url(database_url))
    metadata.create_all(engine)
    return engine


def insert(engine: Engine, rows: Iterable[Mapping[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(items.delete())
        rows = list(rows)
        if rows:
            conn.execute(items.insert(), rows)


def compiled(text: str, schema: Schema = SCHEMA) -> ColumnElement[bool] | None:
    """The SQL condition of `text` on the test table (runyard.aip.sql)."""
    return compile_filter(text, schema, c)


def select_ids(engine: Engine, text: str, schema: Schema = SCHEMA) -> set[int]:
    condition = compiled(text, schema)
    query = select(c.id)
    if condition is not None:
        query = query.where(condition)
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())
