"""AIP-160 checker and compiler: type errors (aip.md §1.4 C), runyard's
semantics on SQL data (§1.4 D) on SQLite and PostgreSQL, and the same cases
through the in-memory evaluator."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from sqlalchemy import Engine

from runyard.aip.errors import ApiError
from runyard.aip.filtering import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, Schema, parse
from runyard.aip.filtering.evaluator import evaluate, matches
from tests.aip.filtertable import (
    NO_SEARCH,
    SCHEMA,
    compiled,
    engine_for,
    insert,
    row,
    select_ids,
    ts,
)

ROWS = [
    row(
        1,
        display_name="nightly-build",
        state=2,
        count=5,
        score=1.5,
        create_time=ts("2024-01-01T00:00:00Z"),
        start_time=ts("2024-01-01T00:01:00Z"),
        ttl=30_000_000,
        note="disk full on /var",
        labels={"team": "infra", "env": "prod"},
    ),
    row(
        2,
        display_name="Nightly-Build",
        state=4,
        done=True,
        count=10,
        score=2.5,
        create_time=ts("2024-02-01T00:00:00Z"),
        labels={"team": "web"},
        parent="p2",
    ),
    row(3, state=1, create_time=ts("2024-01-01T04:00:00Z"), ttl=1_500_000, note=""),
    row(
        4,
        display_name="deploy-prod",
        state=3,
        done=True,
        count=100,
        score=-1.0,
        create_time=ts("2025-06-01T00:00:00Z"),
        start_time=ts("2025-06-01T00:00:10Z"),
        ttl=90_000_000,
        note="Disk Full again",
        labels={"env": "prod", "ci.myorg/run": "42"},
    ),
    row(
        5,
        display_name="a*b",
        state=4,
        count=-3,
        score=3.25,
        create_time=ts("2022-08-12T21:22:22Z"),
        start_time=ts("2022-08-12T21:22:23Z"),
        ttl=500_000,
        note="literal * star",
        labels={"team": "x", "my key": "v", "a.b": "dotted"},
    ),
    row(
        6,
        display_name="50%_off\\",
        state=2,
        count=7,
        score=0.5,
        create_time=ts("2024-01-01T00:00:00.000001Z"),
        note="café ÉTÉ",
        labels={"team": "Infra"},
        parent="p2",
    ),
]
ALL = {r["id"] for r in ROWS}
NOTE_SET = {1, 3, 4, 5, 6}
STARTED = {1, 4, 5}

SEMANTICS: list[tuple[str, set[int]]] = [
    ("", ALL),
    # enums: by name only
    ("state = RUNNING", {1, 6}),
    ("state = RUNNING OR state = PENDING", {1, 3, 6}),
    ("state != FAILED", {1, 3, 4, 6}),
    ("-state = FAILED", {1, 3, 4, 6}),
    ("NOT state = FAILED", {1, 3, 4, 6}),
    ("state:*", ALL),
    ('"state" = FAILED', {2, 5}),
    ("state: FAILED", {2, 5}),
    # precedence on data: OR binds tighter than AND
    ("state = FAILED AND done = true OR count = 5", {2}),
    ("(state = FAILED AND done = true) OR count = 5", {1, 2}),
    ("state = FAILED done = true OR count = 5", {2}),
    ("count = 5 OR state = FAILED done = true", {2}),
    # bools
    ("done = true", {2, 4}),
    ("done = false", {1, 3, 5, 6}),
    ("done != true", {1, 3, 5, 6}),
    ("done:*", {2, 4}),
    # ints and floats
    ("count > -1", {1, 2, 3, 4, 6}),
    ("count = -3", {5}),
    ("count >= 10", {2, 4}),
    ("count:*", ALL - {3}),
    ("count:7", {6}),
    ("score >= 2.5", {2, 5}),
    ("score = 3.25", {5}),
    ("score < 0", {4}),
    ("score > 1", {1, 2, 5}),
    ("score = 2.5e0", {2}),
    ("score <= -1", {4}),
    # timestamps: RFC 3339 with offsets, compared as instants
    ('create_time > "2024-01-01T00:00:00Z"', {2, 3, 4, 6}),
    ('create_time >= "2023-12-31T23:00:00-05:00"', {2, 3, 4}),
    ('create_time = "2023-12-31T23:00:00-05:00"', {3}),
    ('create_time = "2024-01-01T05:30:00+01:30"', {3}),
    ('create_time = "2024-01-01T00:00:00.000001Z"', {6}),
    ('create_time < "2022-08-12T22:22:22+01:00"', set()),
    ('create_time <= "2022-08-12T22:22:22+01:00"', {5}),
    ('create_time != "2022-08-12T22:22:22+01:00"', ALL - {5}),
    ("create_time:*", ALL),
    ('create_time:"2022-08-12T22:22:22+01:00"', {5}),
    # nullable message fields: unset never matches, not even under != or NOT
    ("start_time:*", STARTED),
    ("NOT start_time:*", ALL - STARTED),
    ('start_time < "2030-01-01T00:00:00Z"', STARTED),
    ('NOT start_time < "2030-01-01T00:00:00Z"', set()),
    ('start_time != "2024-01-01T00:01:00Z"', {4, 5}),
    ('NOT start_time = "2024-01-01T00:01:00Z"', {4, 5}),
    ('NOT (start_time = "2024-01-01T00:01:00Z" OR count = 7)', {4, 5}),
    # durations: 30s, 1.5s
    ("ttl > 30s", {4}),
    ("ttl >= 30s", {1, 4}),
    ("ttl = 1.5s", {3}),
    ("ttl < 1s", {5}),
    ("ttl = 0.5s", {5}),
    ('ttl = "90s"', {4}),
    ("ttl != 30s", {3, 4, 5}),
    ("NOT ttl = 30s", {3, 4, 5}),
    ("ttl:*", {1, 3, 4, 5}),
    # strings: exact, case-sensitive; != matches an empty string
    ('display_name = "nightly-build"', {1}),
    ("display_name = nightly-build", {1}),
    ('display_name != "x"', ALL),
    ('display_name = ""', {3}),
    ("display_name:*", ALL - {3}),
    ('display_name < "b"', {3, 5, 6, 2}),
    ('display_name >= "deploy-prod"', {1, 4}),
    # wildcards: prefix, suffix, contains; case-sensitive on both databases
    ('display_name = "nightly*"', {1}),
    ('display_name = "Nightly*"', {2}),
    ('display_name = "*-build"', {1}),
    ('display_name = "*Build"', {2}),
    ('display_name = "*ight*"', {1, 2}),
    ('display_name = "*IGHT*"', set()),
    ('display_name != "nightly*"', ALL - {1}),
    ('display_name = "*"', ALL),
    ('display_name = "**"', ALL),
    ('display_name = "a\\*b"', {5}),
    ('display_name = "a\\**"', {5}),
    ('display_name = "*\\*b"', {5}),
    ('display_name = "a*"', {5}),
    ('display_name = "50%*"', {6}),
    ('display_name = "5_*"', set()),
    ('display_name = "*%_*"', {6}),
    ('display_name = "*\\\\"', {6}),
    ('display_name = "*_off\\\\"', {6}),
    ('display_name = "50%_off\\\\"', {6}),
    # a nullable string: the wildcard forms keep unset values out too
    ('note = "*"', NOTE_SET),
    ('note != "*"', set()),
    ('NOT note != "*"', NOTE_SET),
    ('NOT note = "disk*"', {3, 4, 5, 6}),
    ('note != "x"', NOTE_SET),
    ('NOT note = "x"', NOTE_SET),
    ("note:*", NOTE_SET),
    ('detail.note = "disk*"', {1}),
    # resource names: the literal is converted to the stored form
    ('parent = "things/p2"', {2, 6}),
    ('parent = "p2"', {2, 6}),
    ('parent != "things/p1"', {2, 6}),
    ('parent = "p*"', ALL),
    # maps
    ('labels.team = "infra"', {1}),
    ('labels.team = "Infra"', {6}),
    ('labels.team = "i*"', {1}),
    ('labels.team != "infra"', {2, 5, 6}),
    ('NOT labels.team = "infra"', {2, 3, 4, 5, 6}),
    ("labels:team", {1, 2, 5, 6}),
    ('labels:"team"', {1, 2, 5, 6}),
    ("labels.team:*", {1, 2, 5, 6}),
    ("NOT labels:team", {3, 4}),
    ('labels.env = "prod"', {1, 4}),
    ('labels.env:"prod"', {1, 4}),
    ('labels:"ci.myorg/run"', {4}),
    ('labels."ci.myorg/run" = "42"', {4}),
    ('labels."my key" = "v"', {5}),
    ('labels."a.b" = "dotted"', {5}),
    ('labels.team > "j"', {2, 5}),
    ("labels:nope", set()),
    # text search: substring, case-insensitive for ASCII letters, over the text fields
    ('"disk full"', {1, 4}),
    ("disk", {1, 4}),
    ("disk full", {1, 4}),
    ("Disk -again", {1}),
    ("nightly", {1, 2}),
    ("NIGHTLY OR deploy", {1, 2, 4}),
    ('"\\*"', {5}),
    ('""', set()),
    ('"café"', {6}),
    ('"été"', set()),  # non-ASCII letters are not folded
    ('"ÉTÉ"', {6}),  # ... and match exactly, on both sides
    ('"éTÉ"', set()),
    ('"CAFé"', {6}),  # ASCII letters fold
    ('"CAFÉ"', set()),  # É does not
    ("note:* disk", {1, 4}),
    (" New   York ", set()),
    # the full name of a field, or through a traversal, wherever the value is
    ("e = 1 OR state = FAILED", set()),  # replaced below by an error case
]
SEMANTICS.pop()


ERRORS: list[tuple[str, str]] = [
    # §1.4 C (einride checker_test.go) in runyard's terms
    ("yesterday < request.time", "unknown field 'yesterday'"),
    ("(msg.endsWith('world') AND retries < 10)", "function msg.endsWith() is not supported"),
    ("expire_time > time.now()", "unknown field 'expire_time'"),
    ("create_time > time.now()", "the right-hand side must be a literal value"),
    ('time.now() > timestamp("INVALID")', "function time.now() is not supported"),
    ('ttl > duration("30s")', "the right-hand side must be a literal value"),
    ('create_time = "2022-08-12 22:22:22"', "RFC 3339"),
    ('create_time > "2024-01-01"', "RFC 3339"),
    ('create_time > "2024-01-01T00:00:00"', "RFC 3339"),
    ('create_time > "20240101T000000Z"', "RFC 3339"),
    ('create_time > "2024-13-01T00:00:00Z"', "RFC 3339"),
    ('create_time > "2024-01-01T00:00:60Z"', "RFC 3339"),
    ("create_time > 2024", "RFC 3339"),
    ("state = running", "'running' is not a state"),
    ("state = 2", "'2' is not a state"),
    ('state = "Running"', "is not a state"),
    ("state = BOGUS", "one of: PENDING, RUNNING, SUCCEEDED, FAILED"),
    ("state > RUNNING", "> is not defined for the enum field 'state'"),
    ("state <= RUNNING", "<= is not defined"),
    ("done < true", "< is not defined for the bool field 'done'"),
    ("done = ture", "takes true or false"),
    ("done = TRUE", "takes true or false"),
    ("done = 1", "takes true or false"),
    ("count = abc", "takes an integer"),
    ("count = 1.5", "takes an integer"),
    ("count = 0x1F", "takes an integer"),
    ("count = 99999999999999999999", "takes an integer"),
    ("score = abc", "takes a number"),
    ("score = nan", "finite"),
    ("score = 1e999", "finite"),
    ("ttl > 30", "takes a duration"),
    ("ttl > 1m", "takes a duration"),
    ("ttl > 1.5.5s", "takes a duration"),
    ("ttl > s", "takes a duration"),
    ("unknown = 1", "unknown field 'unknown'"),
    ("e[0].foo = 42", "unknown field 'e[0].foo'"),
    ("state.name = RUNNING", "'state' has no field 'name'"),
    ('display_name = "a*b"', "wildcard only at the start or end"),
    ('display_name = "*a*b*"', "wildcard only at the start or end"),
    ('display_name < "a*"', "wildcards work only with = and !="),
    ('display_name = "a" = "b"', "expected a value"),
    ("count = (1 OR 2)", "the right-hand side must be a literal value"),
    ("count = f(1)", "the right-hand side must be a literal value"),
    ('labels = "x"', "use labels:KEY"),
    ("labels:*", "use labels:KEY"),
    ('labels.a.b = "x"', "labels values have no fields"),
    ('labels.team = "a*b"', "wildcard only at the start or end"),
    ('parent = "things/bad name"', "parent: 'bad name' is not a thing name"),
    ('parent = "x/y"', "is not a thing name"),
    ("regex(m.key, '^.*prod.*$')", "function regex() is not supported"),
    ("a = -b", "expected a value"),
    ("AND a", "unexpected keyword AND"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[e[0][:40] for e in ERRORS])
def test_type_errors_are_invalid_argument(text: str, message: str) -> None:
    with pytest.raises(ApiError) as info:
        compiled(text, SCHEMA)
    err = info.value
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.reason == "INVALID_FILTER"
    assert [v.field for v in err.field_violations] == ["filter"]
    assert message in err.field_violations[0].description
    assert err.metadata["position"].isdigit()
    tree = None
    try:
        tree = parse(text)
    except ValueError:
        return
    assert tree is not None
    with pytest.raises(ValueError, match="at position"):
        evaluate(tree, SCHEMA, ROWS[0])


def test_the_position_points_at_the_offending_literal() -> None:
    with pytest.raises(ApiError) as info:
        compiled('count = 1 AND create_time > "yesterday"', SCHEMA)
    assert info.value.metadata["position"] == str(len("count = 1 AND create_time > "))


def test_unknown_field_lists_the_filterable_fields() -> None:
    with pytest.raises(ApiError) as info:
        compiled("unknown = 1", SCHEMA)
    assert "filterable fields: count, create_time, detail.note, display_name" in str(info.value)
    status = info.value.to_status()
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]


@pytest.mark.parametrize(
    "text",
    ["New York Giants", "-30", "prod", "expr.type_map.1.type", '"disk full"', "count = 1 b"],
)
def test_bare_words_need_a_collection_with_text_search(text: str) -> None:
    # Policy (aip.md §1.4 C): a bare word is a text search, allowed where the
    # collection documents its text fields, else INVALID_ARGUMENT.
    with pytest.raises(ApiError, match="no text search"):
        compiled(text, NO_SEARCH)
    assert compiled(text, SCHEMA) is not None


OK = [
    # §1.4 C cases that type-check
    'display_name = "Karin Boye" AND NOT done = true',
    "count < 10 OR count >= 100",
    *(f"score {op} 3" for op in ("=", ">=", "<=", ">", "<", "!=")),
    "display_name=com.google",
    *(f'create_time {op} "2022-08-12T22:22:22+01:00"' for op in ("=", "!=", "<", ">", "<=", ">=")),
    "create_time:*",
    "state = RUNNING",
    "state = RUNNING AND NOT state = FAILED",
    "labels:schedule",
    'labels.schedule = "test"',
    "ttl > 20s",
    "ttl > -1.5s",
    "ttl > 1.000000001s",
    'create_time > "2024-01-01T00:00:00.123456789+14:00"',
    'create_time > "2024-01-01t00:00:00z"',
    "score = 2.997e9",
    "score = -2.4",
    "count = -30",
    "count = 9223372036854775807",
]


@pytest.mark.parametrize("text", OK)
def test_well_typed_filters_compile(text: str) -> None:
    assert compiled(text, SCHEMA) is not None


def test_every_literal_is_a_bound_parameter() -> None:
    condition = compiled(
        'display_name = "x\'; DROP TABLE t; --" AND labels."k\'" = "v" AND evil', SCHEMA
    )
    assert condition is not None
    sql = str(condition.compile())
    assert "DROP" not in sql and "evil" not in sql and "k'" not in sql


def test_limits_are_invalid_argument() -> None:
    for text, why in [
        ("x" * (MAX_LENGTH + 1), "longer than"),
        ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), "nested deeper"),
        (" OR ".join(["count = 1"] * (MAX_TERMS + 1)), "more than"),
        ("(" * 10_000, "longer than"),
        ("(" * MAX_LENGTH, "nested deeper"),
    ]:
        with pytest.raises(ApiError, match=why) as info:
            compiled(text, SCHEMA)
        assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = engine_for(database_url)
    insert(engine, ROWS)
    yield engine
    engine.dispose()


def test_semantics_on_sql(engine: Engine) -> None:
    wrong = {}
    for text, expected in SEMANTICS:
        got = select_ids(engine, text)
        if got != expected:
            wrong[text] = (sorted(got), sorted(expected))
    assert wrong == {}, f"{len(wrong)} of {len(SEMANTICS)} filters differ (got, expected)"


@pytest.mark.parametrize(("text", "expected"), SEMANTICS, ids=[s[0][:50] for s in SEMANTICS])
def test_semantics_in_the_evaluator(text: str, expected: set[int]) -> None:
    tree = parse(text)
    assert {r["id"] for r in ROWS if matches(tree, SCHEMA, r)} == expected


def test_filter_limits_on_sql(engine: Engine) -> None:
    deep = "(" * MAX_DEPTH + "state = RUNNING" + ")" * MAX_DEPTH
    assert select_ids(engine, deep) == {1, 6}
    many = " OR ".join(f"count = {i}" for i in range(MAX_TERMS))
    assert select_ids(engine, many) == {1, 2, 3, 6}
    with pytest.raises(ApiError):
        select_ids(engine, "(" + deep + ")")


def test_schema_without_text_fields_is_usable(engine: Engine) -> None:
    schema: Schema = NO_SEARCH
    assert select_ids(engine, "state = FAILED", schema) == {2, 5}
