"""Differential test: random filters (generated as trees, rendered as text)
over random rows, compiled to SQL on SQLite and PostgreSQL, must select exactly
the rows the in-memory evaluator accepts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from runyard.aip.errors import ApiError
from runyard.aip.filtering import parse
from runyard.aip.filtering.evaluator import matches
from tests.aip.filtertable import SCHEMA, STATES, engine_for, insert, row, select_ids

FILTERS_PER_EXAMPLE = 20

ALPHABET = "aAbB*%_\\ -.é'\""
WORDS = st.text(alphabet=ALPHABET, max_size=4)
INSTANTS = [
    datetime(2024, 1, 1, tzinfo=UTC),
    datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2023, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 0, tzinfo=UTC),
    datetime(2030, 6, 15, 12, 30, tzinfo=UTC),
]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS = [(t - EPOCH) // timedelta(microseconds=1) for t in INSTANTS]
DURATIONS = [0, 500_000, 1_500_000, 30_000_000, -2_000_000]
LABEL_KEYS = ["team", "env", "my key", "a.b"]
LABEL_VALUES = ["", "a", "ab", "A*", "b%", "é"]
OPS = ["=", "!=", "<", "<=", ">", ">="]


def quote(text: str) -> str:
    """A filter string literal whose parsed value is `text`, stars literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("*", "\\*")
    return f'"{escaped}"'


rows_strategy = st.lists(
    st.builds(
        lambda display_name, state, done, count, score, ct, st_, ttl, note, labels, parent: {
            "display_name": display_name,
            "state": state,
            "done": done,
            "count": count,
            "score": score,
            "create_time": ct,
            "start_time": st_,
            "ttl": ttl,
            "note": note,
            "labels": labels,
            "parent": parent,
        },
        WORDS,
        st.sampled_from(sorted(STATES.values())),
        st.booleans(),
        st.integers(-2, 3),
        st.sampled_from([-1.5, 0.0, 0.5, 2.0]),
        st.sampled_from(MICROS),
        st.none() | st.sampled_from(MICROS),
        st.none() | st.sampled_from(DURATIONS),
        st.none() | WORDS,
        st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=3),
        st.sampled_from(["p1", "p2"]),
    ),
    max_size=25,
)


@st.composite
def string_literal(draw: st.DrawFn, wildcards: bool) -> str:
    core = quote(draw(WORDS))[1:-1]
    if wildcards:
        core = ("*" if draw(st.booleans()) else "") + core + ("*" if draw(st.booleans()) else "")
    return f'"{core}"'


@st.composite
def timestamp_literal(draw: st.DrawFn) -> str:
    instant = draw(st.sampled_from(INSTANTS))
    minutes = draw(st.sampled_from([0, 60, -300, 330, 840, -720]))
    local = instant.astimezone(timezone(timedelta(minutes=minutes)))
    text = local.isoformat()
    if minutes == 0 and draw(st.booleans()):
        text = text.replace("+00:00", "Z")
    return f'"{text}"'


def duration_literal(micros: int) -> str:
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), 1_000_000)
    return f"{sign}{whole}.{frac:06d}s" if frac else f"{sign}{whole}s"


@st.composite
def restriction(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(
            ["state", "done", "count", "score", "time", "ttl", "string", "labels", "parent", "text"]
        )
    )
    op = draw(st.sampled_from(OPS))
    if kind == "state":
        name = draw(st.sampled_from(sorted(STATES)))
        return draw(
            st.sampled_from([f"state = {name}", f"state != {name}", f"state:{name}", "state:*"])
        )
    if kind == "done":
        value = draw(st.sampled_from(["true", "false"]))
        return draw(st.sampled_from([f"done = {value}", f"done != {value}", "done:*"]))
    if kind == "count":
        return draw(st.sampled_from([f"count {op} {draw(st.integers(-3, 4))}", "count:*"]))
    if kind == "score":
        value = draw(st.sampled_from(["-1.5", "0", "0.5", "2e0", "1", "-0.25"]))
        return f"score {op} {value}"
    if kind == "time":
        fld = draw(st.sampled_from(["create_time", "start_time"]))
        if draw(st.integers(0, 5)) == 0:
            return f"{fld}:*"
        return f"{fld} {op} {draw(timestamp_literal())}"
    if kind == "ttl":
        if draw(st.integers(0, 5)) == 0:
            return "ttl:*"
        return f"ttl {op} {duration_literal(draw(st.sampled_from([*DURATIONS, 1, 700_000])))}"
    if kind == "string":
        fld = draw(st.sampled_from(["display_name", "note", "detail.note"]))
        if draw(st.integers(0, 6)) == 0:
            return f"{fld}:*"
        wild = op in ("=", "!=") and draw(st.booleans())
        return f"{fld} {op} {draw(string_literal(wild))}"
    if kind == "labels":
        key = draw(st.sampled_from([*LABEL_KEYS, "nope"]))
        ref = key if key.isalpha() else quote(key)
        form = draw(st.integers(0, 3))
        if form == 0:
            return f"labels:{ref}"
        if form == 1:
            return f"labels.{ref}:*"
        wild = op in ("=", "!=") and draw(st.booleans())
        return f"labels.{ref} {op} {draw(string_literal(wild))}"
    if kind == "parent":
        name = draw(st.sampled_from(["p1", "things/p2", "p3", "p*"]))
        return f'parent {draw(st.sampled_from(["=", "!="]))} "{name}"'
    return quote(draw(st.text(alphabet="aAbBé% ", min_size=0, max_size=3)))


def filters(depth: int = 3) -> st.SearchStrategy[str]:
    leaf = restriction()
    if depth == 0:
        return leaf
    inner = filters(depth - 1)
    return st.one_of(
        leaf,
        leaf,
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(" + " AND ".join(xs) + ")"),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(" + " OR ".join(xs) + ")"),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(" + " ".join(xs) + ")"),
        inner.map(lambda x: f"NOT ({x})"),
        inner.map(lambda x: f"-({x})"),
        inner.map(lambda x: f"NOT {x}" if not x.startswith(("NOT", "-", '"')) else f"NOT ({x})"),
    )


FILTERS = filters()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.mark.slow
@settings(
    max_examples=150,  # x FILTERS_PER_EXAMPLE = 3,000 filters per database
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(rows=rows_strategy, data=st.data())
def test_sql_and_evaluator_agree(
    engine: Engine, rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    full = [row(i + 1, **values) for i, values in enumerate(rows)]
    insert(engine, full)
    for _ in range(FILTERS_PER_EXAMPLE):
        text = data.draw(FILTERS, label="filter")
        try:
            got = select_ids(engine, text)
        except ApiError as exc:
            # Only a filter the evaluator rejects too may fail.
            with pytest.raises(ValueError):
                tree = parse(text)
                assert tree is not None
                for r in full:
                    matches(tree, SCHEMA, r)
            assert exc.reason == "INVALID_FILTER"
            continue
        tree = parse(text)
        expected = {r["id"] for r in full if matches(tree, SCHEMA, r)}
        assert got == expected, text
