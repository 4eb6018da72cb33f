"""The checker (aip.md §1.4 C, runyard's reading): what each restriction means
once the schema gives it types, with literals in their stored form."""

from __future__ import annotations

from typing import Any

import pytest

from runyard.aip.filtering import FilterTypeError, check, parse
from runyard.aip.filtering.checker import (
    AllOf,
    AnyOf,
    Checked,
    Compare,
    HasKey,
    MapEntry,
    Negation,
    Present,
    TextSearch,
    Wildcard,
)
from tests.aip.filtertable import NO_SEARCH, SCHEMA, ts


def sx(node: Checked) -> Any:
    """A compact, comparable rendering of a checked tree."""
    match node:
        case AllOf(items):
            return ("AND", *map(sx, items))
        case AnyOf(items):
            return ("OR", *map(sx, items))
        case Negation(item):
            return ("NOT", sx(item))
        case Compare(fld, op, value):
            return (op, fld.name, value)
        case Wildcard(fld, core, prefix, suffix, negate):
            return (
                "!~" if negate else "~",
                fld.name,
                ("*" if suffix else "") + core + ("*" if prefix else ""),
            )
        case Present(fld):
            return ("present", fld.name)
        case HasKey(fld, key):
            return ("has", fld.name, key)
        case MapEntry(fld, key, test):
            return ("entry", fld.name, key, sx(test))
        case TextSearch(needle):
            return ("search", needle)
    raise AssertionError(node)


def checked(text: str, schema: Any = SCHEMA) -> Any:
    tree = parse(text)
    assert tree is not None
    return sx(check(tree, schema))


CASES = [
    ("state = RUNNING", ("=", "state", 2)),
    ("state != STATE_UNSPECIFIED", ("!=", "state", 0)),
    ("-state = FAILED", ("NOT", ("=", "state", 4))),
    ("done = true", ("=", "done", True)),
    ("count >= -3", (">=", "count", -3)),
    ("score < 2.5e1", ("<", "score", 25.0)),
    ("count:7", ("=", "count", 7)),
    ('create_time > "2024-01-01T09:00:00+09:00"', (">", "create_time", ts("2024-01-01T00:00:00Z"))),
    (
        'create_time = "2024-01-01T00:00:00.1234567Z"',
        ("=", "create_time", ts("2024-01-01T00:00:00Z") + 123456),
    ),
    ("ttl > 1.5s", (">", "ttl", 1_500_000)),
    ("ttl = -2s", ("=", "ttl", -2_000_000)),
    ("start_time:*", ("present", "start_time")),
    ("display_name:*", ("present", "display_name")),
    ('display_name = "nightly*"', ("~", "display_name", "nightly*")),
    ('display_name != "*-prod"', ("!~", "display_name", "*-prod")),
    ('display_name = "*disk*"', ("~", "display_name", "*disk*")),
    ('display_name = "a\\*b"', ("=", "display_name", "a*b")),
    ("display_name = com.google", ("=", "display_name", "com.google")),
    ('detail.note = "x"', ("=", "detail.note", "x")),
    ('parent = "things/abc"', ("=", "parent", "abc")),
    ("labels:team", ("has", "labels", "team")),
    ("labels.team:*", ("has", "labels", "team")),
    ('labels.team = "x"', ("entry", "labels", "team", ("=", "labels.team", "x"))),
    ('labels."my key" != "b*"', ("entry", "labels", "my key", ("!~", "labels.my key", "b*"))),
    ("Disk", ("search", "disk")),
    ('"disk full"', ("search", "disk full")),
    (
        "a AND b OR c",
        ("AND", ("search", "a"), ("OR", ("search", "b"), ("search", "c"))),
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_checked_meaning(text: str, expected: Any) -> None:
    assert checked(text) == expected


REJECTED = [
    ("unknown = 1", "unknown field 'unknown'"),
    ("state = running", "'running' is not a state"),
    ("state > RUNNING", "> is not defined for the enum field"),
    ("done < true", "< is not defined for the bool field"),
    ("done = yes", "takes true or false"),
    ("count = 1.5", "takes an integer"),
    ("count = 99999999999999999999", "takes an integer"),
    ('create_time > "2024-01-01"', "RFC 3339"),
    ('create_time = "2022-08-12 22:22:22"', "RFC 3339"),
    ("ttl > 30", "duration like 30s"),
    ("ttl > 4h", "duration like 30s"),
    ('display_name = "a*b"', "wildcard only at the start or end"),
    ('display_name > "a*"', "wildcards work only with = and !="),
    ("labels:*", "use labels:KEY"),
    ("labels.a.b = x", "values have no fields"),
    ("state.x = 1", "has no field 'x'"),
    ("count = (1)", "must be a literal"),
    ("f(x)", "function f() is not supported"),
    ("count = f(x)", "must be a literal"),
    ('parent = "things/a-b"', "is not a thing name"),
]


@pytest.mark.parametrize(("text", "message"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected(text: str, message: str) -> None:
    tree = parse(text)
    assert tree is not None
    with pytest.raises(FilterTypeError) as info:
        check(tree, SCHEMA)
    assert message in info.value.description
    assert 0 <= info.value.pos < len(text)


def test_bare_words_need_text_fields() -> None:
    tree = parse("disk")
    assert tree is not None
    with pytest.raises(FilterTypeError, match="no text search"):
        check(tree, NO_SEARCH)
