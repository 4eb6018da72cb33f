"""AIP-132 order_by (aip.md §1.4 E): syntax, the whitelist, the tiebreaker."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text

from runyard.aip.errors import ApiError
from runyard.aip.ordering import MAX_TERMS, OrderField, parse_order_by
from runyard.aip.sql.keyset import order_clauses, sort_key

t = Table(
    "order_items",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("foo", Integer),
    Column("bar", Text),
    Column("foo_bar", Integer),
    Column("start_time", Integer, nullable=True),
)
FIELDS = {
    "foo": OrderField("foo"),
    "bar": OrderField("bar"),
    "foo.bar": OrderField("foo.bar", "foo_bar"),
    "start_time": OrderField("start_time", nullable=True),
    **{f"f{i}": OrderField(f"f{i}", "foo") for i in range(MAX_TERMS + 1)},
}
TIE = (OrderField("id"),)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("", "foo desc, id desc"),
        ("   ", "foo desc, id desc"),
        ("foo desc, bar", "foo desc, bar asc, id asc"),
        ("foo.bar", "foo.bar asc, id asc"),
        (" foo ,  bar desc ", "foo asc, bar desc, id desc"),
        ("foo asc", "foo asc, id asc"),
        ("foo\tdesc", "foo desc, id desc"),
        ("bar desc, foo desc", "bar desc, foo desc, id desc"),
        ("start_time", "start_time asc, id asc"),
        (", ".join(f"f{i}" for i in range(MAX_TERMS)), None),
    ],
)
def test_valid_order_by(text: str, normalized: str | None) -> None:
    order = parse_order_by(text, FIELDS, "foo desc", TIE)
    if normalized is not None:
        assert order.normalized == normalized
    assert order.terms[-1][0].name == "id"
    assert len(order_clauses(order, t.c)) == len(order.terms)


def test_the_tiebreaker_is_not_repeated() -> None:
    fields = {**FIELDS, "id": TIE[0]}
    assert parse_order_by("id desc, foo", fields, "foo", TIE).normalized == "id desc, foo asc"


def test_a_nullable_field_sorts_on_a_sentinel() -> None:
    order = parse_order_by("start_time desc", FIELDS, "foo", TIE)
    assert order.terms[0][0].nullable
    assert "coalesce" in str(sort_key(order.terms[0][0], t.c)).lower()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo,", "is not `field`"),
        (",", "is not `field`"),
        (",foo", "is not `field`"),
        ("foo/bar", "is not `field`"),
        ("foo bar", "is not `field`"),
        ("foo DESC", "is not `field`"),
        ("Foo", "is not `field`"),
        ("foo desc desc", "is not `field`"),
        ("foo.", "is not `field`"),
        ("-foo", "is not `field`"),
        ("unknown", "cannot order by 'unknown'; sortable fields: bar, f0"),
        ("id", "cannot order by 'id'"),
        ("foo, foo desc", "'foo' appears twice"),
        (", ".join(f"f{i}" for i in range(MAX_TERMS + 1)), f"at most {MAX_TERMS}"),
    ],
)
def test_invalid_order_by(text: str, message: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_order_by(text, FIELDS, "foo", TIE)
    err = info.value
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.reason == "INVALID_ORDER_BY"
    assert [v.field for v in err.field_violations] == ["order_by"]
    assert message in err.field_violations[0].description
