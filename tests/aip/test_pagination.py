"""AIP-158 paging (aip.md §4): page sizes and signed tokens (the core), the
keyset predicate and run_list's pages, skip and total_size (the SQL adapter)
on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import random
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, Text, create_engine, select

from runyard.aip.errors import ApiError
from runyard.aip.filtering import Field, FieldType, Schema
from runyard.aip.listing import Collection, ListRequest, plan_list
from runyard.aip.ordering import OrderField, parse_order_by
from runyard.aip.pagination import PageTokenCodec, fingerprint, page_size
from runyard.aip.sql.keyset import after, order_clauses
from runyard.aip.sql.listing import ListResult, count_query, page_query, run_list, run_plan
from tests.plugins.databases import sqlalchemy_url

CODEC = PageTokenCodec(b"0123456789abcdef-test")

metadata = MetaData()
pages = Table(
    "page_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("parent", Text, nullable=False),
    Column("state", Integer, nullable=False),
    Column("create_time", Integer, nullable=False),
    Column("start_time", Integer, nullable=True),
)
p = pages.c
COLLECTION = Collection(
    name="page_items",
    schema=Schema.of(
        Field("state", FieldType.INT),
        Field("create_time", FieldType.INT),
    ),
    order_fields={
        "state": OrderField("state"),
        "create_time": OrderField("create_time"),
        "start_time": OrderField("start_time", nullable=True),
    },
    default_order="create_time desc",
    tiebreaker=(OrderField("id"),),
    default_page_size=7,
    max_page_size=40,
    max_skip=100,
)


def invalid(exc: pytest.ExceptionInfo[ApiError], reason: str, field: str) -> None:
    assert exc.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert exc.value.reason == reason
    assert [v.field for v in exc.value.field_violations] == [field]


# --- page_size ---------------------------------------------------------------


def test_page_size() -> None:
    assert page_size(0, 50, 1000) == 50
    assert page_size(1, 50, 1000) == 1
    assert page_size(1000, 50, 1000) == 1000
    assert page_size(5000, 50, 1000) == 1000
    with pytest.raises(ApiError) as info:
        page_size(-1, 50, 1000)
    invalid(info, "INVALID_PAGE_SIZE", "page_size")


# --- tokens ------------------------------------------------------------------


def test_token_round_trip() -> None:
    token = CODEC.encode("fp", [3, "x", 1.5])
    assert "=" not in token and "+" not in token and "/" not in token
    assert CODEC.decode(token, "fp", 3) == [3, "x", 1.5]


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        PageTokenCodec(b"short")


def bad_token(token: str, fp: str = "fp", arity: int = 2) -> str:
    with pytest.raises(ApiError) as info:
        CODEC.decode(token, fp, arity)
    invalid(info, "INVALID_PAGE_TOKEN", "page_token")
    return str(info.value.metadata["why"])


def test_token_rejections() -> None:
    token = CODEC.encode("fp", [1, 2])
    assert bad_token(token, fp="other") == "the request's filter, order_by or parent changed"
    assert bad_token(token, arity=3) == "malformed"
    assert bad_token(PageTokenCodec(b"another-secret-16").encode("fp", [1, 2])) == "bad signature"
    assert bad_token("x" * 5000) == "too long"
    assert bad_token("!!!") in ("bad signature", "malformed")
    assert bad_token("") in ("bad signature", "malformed")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for i in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[i // 8] ^= 1 << (i % 8)
        bad_token(base64.urlsafe_b64encode(bytes(flipped)).decode())
    assert bad_token(token[:-2]) in ("bad signature", "malformed")


def test_signed_but_unexpected_contents_are_rejected() -> None:
    def signed(payload: bytes) -> str:
        raw = CODEC._sign(payload) + payload
        return base64.urlsafe_b64encode(raw).decode()

    assert bad_token(signed(b"not json")) == "malformed"
    assert bad_token(signed(b'{"a": 1}')) == "malformed"
    assert bad_token(signed(b'[2, "fp", [1, 2]]')) == "unknown version"
    assert bad_token(signed(b'[1, "fp", {"a": 1}]')) == "malformed"
    assert bad_token(signed(b'[1, "fp", [true, 2]]')) == "malformed"
    assert bad_token(signed(b'[1, "fp", [null, 2]]')) == "malformed"
    assert bad_token(signed(b'[1, "fp", [[1], 2]]')) == "malformed"
    # signed with the real secret, but past what a database column can compare
    for values in (b"[9223372036854775808, 2]", b"[1, -9223372036854775809]", b"[Infinity, 1]"):
        assert bad_token(signed(b'[1, "fp", ' + values + b"]")) == "cursor value out of range"


def test_fingerprint_separates_its_parts() -> None:
    assert fingerprint("a", "bc") != fingerprint("ab", "c")
    assert fingerprint("a", "b") == fingerprint("a", "b")


# --- the keyset predicate ----------------------------------------------------


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(sqlalchemy_url(database_url))
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def fill(engine: Engine, n: int, seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    rows = [
        {
            "id": i,
            "parent": "a" if i % 5 else "b",
            "state": rnd.randint(0, 3),
            "create_time": rnd.randint(0, n // 3),  # many ties
            "start_time": rnd.choice([None, rnd.randint(0, 9)]),
        }
        for i in range(1, n + 1)
    ]
    with engine.begin() as conn:
        conn.execute(pages.delete())
        if rows:
            conn.execute(pages.insert(), rows)
    return rows


ORDERS = [
    "create_time desc",
    "create_time",
    "state asc, create_time desc",
    "state desc, create_time",
    "start_time",
    "start_time desc, state",
]


def sort_key(row: dict[str, Any], order: str) -> list[Any]:
    parsed = parse_order_by(order, COLLECTION.order_fields, "", COLLECTION.tiebreaker)
    key = []
    for f, desc in parsed.terms:
        value = row[f.name] if row[f.name] is not None else -1
        key.append(-value if desc else value)
    return key


@pytest.mark.parametrize("order", ORDERS)
def test_after_is_the_rows_past_the_cursor(engine: Engine, order: str) -> None:
    rows = fill(engine, 60)
    parsed = parse_order_by(order, COLLECTION.order_fields, "", COLLECTION.tiebreaker)
    ordered = sorted(rows, key=lambda r: sort_key(r, order))
    with engine.connect() as conn:
        for cut in (0, 1, 17, 59):
            cursor = ordered[cut]
            values = [cursor[f.name] if cursor[f.name] is not None else -1 for f, _ in parsed.terms]
            got = conn.execute(
                select(p.id).where(after(parsed, values, p)).order_by(*order_clauses(parsed, p))
            ).scalars()
            assert list(got) == [r["id"] for r in ordered[cut + 1 :]]


# --- run_list ----------------------------------------------------------------


def page(engine: Engine, **kwargs: Any) -> ListResult:
    request = ListRequest(parent="a", **kwargs)
    with engine.connect() as conn:
        base = select(p.id).where(p.parent == "a")
        return run_list(conn, base, COLLECTION, request, CODEC, p)


def ids(result: ListResult) -> list[int]:
    return [r[0] for r in result.rows]


def all_pages(engine: Engine, **kwargs: Any) -> list[list[int]]:
    out, token = [], ""
    while True:
        result = page(engine, page_token=token, **kwargs)
        out.append(ids(result))
        token = result.next_page_token
        if not token:
            return out


@pytest.mark.parametrize("order", ORDERS)
def test_pages_cover_the_list_once(engine: Engine, order: str) -> None:
    rows = [r for r in fill(engine, 90) if r["parent"] == "a"]
    expected = [r["id"] for r in sorted(rows, key=lambda r: sort_key(r, order))]
    got = all_pages(engine, order_by=order, page_size=10)
    assert [i for chunk in got for i in chunk] == expected
    assert all(len(chunk) == 10 for chunk in got[:-1])


def test_page_sizes_in_run_list(engine: Engine) -> None:
    fill(engine, 100)
    assert len(ids(page(engine))) == COLLECTION.default_page_size
    assert len(ids(page(engine, page_size=5000))) == COLLECTION.max_page_size
    with pytest.raises(ApiError) as info:
        page(engine, page_size=-1)
    invalid(info, "INVALID_PAGE_SIZE", "page_size")


def test_last_page_has_an_empty_token_and_no_trailing_empty_page(engine: Engine) -> None:
    rows = [r for r in fill(engine, 50) if r["parent"] == "a"]
    assert len(rows) == 40
    for size in (5, 8, 10, 20, 40):  # exact divisors: no empty page after the last
        got = all_pages(engine, page_size=size)
        assert len(got) == 40 // size and all(got)
    got = all_pages(engine, page_size=7)
    assert [len(c) for c in got] == [7, 7, 7, 7, 7, 5]
    assert page(engine, page_size=40).next_page_token == ""
    fill(engine, 0)
    empty = page(engine)
    assert ids(empty) == [] and empty.next_page_token == ""


def test_a_different_page_size_with_the_same_token(engine: Engine) -> None:
    rows = [r for r in fill(engine, 50) if r["parent"] == "a"]
    expected = [r["id"] for r in sorted(rows, key=lambda r: sort_key(r, "create_time desc"))]
    first = page(engine, page_size=5)
    second = page(engine, page_size=12, page_token=first.next_page_token)
    third = page(engine, page_size=1, page_token=second.next_page_token)
    assert ids(first) + ids(second) + ids(third) == expected[:18]


def test_token_bound_to_the_request(engine: Engine) -> None:
    fill(engine, 50)
    token = page(engine, page_size=5, filter="state >= 1").next_page_token
    assert page(engine, page_size=5, filter=" state >= 1 ", page_token=token).rows
    for changed in (
        {"filter": "state >= 2"},
        {"filter": ""},
        {"filter": "state >= 1", "order_by": "create_time"},
    ):
        with pytest.raises(ApiError) as info:
            page(engine, page_token=token, **changed)
        invalid(info, "INVALID_PAGE_TOKEN", "page_token")
    with engine.connect() as conn, pytest.raises(ApiError) as info:
        run_list(
            conn,
            select(p.id),
            COLLECTION,
            ListRequest(parent="b", filter="state >= 1", page_token=token),
            CODEC,
            p,
        )
    invalid(info, "INVALID_PAGE_TOKEN", "page_token")
    # The default order and the same order written out are the same request.
    token = page(engine, page_size=5).next_page_token
    assert page(engine, order_by="create_time  desc", page_token=token).rows


def test_skip(engine: Engine) -> None:
    rows = [r for r in fill(engine, 100) if r["parent"] == "a"]
    expected = [r["id"] for r in sorted(rows, key=lambda r: sort_key(r, "create_time desc"))]
    # AIP-158: skip=30 without a token starts at the 31st; with a token it skips
    # past the token's position: page 2 of size 20 plus skip 30 starts at the 81st.
    assert ids(page(engine, page_size=10, skip=30)) == expected[30:40]
    first = page(engine, page_size=20)
    assert (
        ids(page(engine, page_size=10, skip=60, page_token=first.next_page_token))
        == (expected[80:90])
    )
    # The token of a skipped page continues after that page.
    skipped = page(engine, page_size=10, skip=30)
    assert ids(page(engine, page_size=10, page_token=skipped.next_page_token)) == expected[40:50]
    beyond = page(engine, page_size=10, skip=100)
    assert ids(beyond) == [] and beyond.next_page_token == ""
    for bad in (-1, COLLECTION.max_skip + 1):
        with pytest.raises(ApiError) as info:
            page(engine, skip=bad)
        invalid(info, "INVALID_SKIP", "skip")


def test_total_size_only_when_asked(engine: Engine) -> None:
    fill(engine, 50)
    assert page(engine).total_size is None
    assert page(engine, show_total_size=True).total_size == 40
    assert page(engine, show_total_size=True, filter="state = 0").total_size == len(
        [r for r in fill(engine, 50) if r["parent"] == "a" and r["state"] == 0]
    )
    token = page(engine, page_size=5).next_page_token
    # total_size counts the whole filtered list, not what is left after the token.
    assert page(engine, page_token=token, page_size=5, show_total_size=True).total_size == 40


# --- a plan's statements, for a store that runs them itself -----------------


def test_a_plan_as_statements(engine: Engine) -> None:
    rows = [r for r in fill(engine, 60) if r["parent"] == "a"]
    expected = [r["id"] for r in sorted(rows, key=lambda r: sort_key(r, "create_time desc"))]
    request = ListRequest(parent="a", page_size=10, show_total_size=True, filter="state >= 0")
    plan = plan_list(COLLECTION, request, CODEC)
    assert plan.limit == 11 and plan.offset == 0 and plan.cursor is None
    base = select(p.id).where(p.parent == "a")
    with engine.connect() as conn:
        counted = count_query(plan, base, p)
        assert counted is not None and conn.execute(counted).scalar_one() == len(rows)
        first, token = plan.page(conn.execute(page_query(plan, base, p)).all())
        assert [r.id for r in first] == expected[:10] and token
        nxt = plan_list(
            COLLECTION,
            ListRequest(parent="a", page_size=10, page_token=token, filter="state >= 0"),
            CODEC,
        )
        assert nxt.cursor is not None and count_query(nxt, base, p) is None
        second = run_plan(conn, base, nxt, p)
    assert [r.id for r in second.rows] == expected[10:20]


def test_run_list_result_unpacks() -> None:
    rows, token, total = ListResult([], "", None)
    assert (rows, token, total) == ([], "", None)


def test_options_bind_the_token(engine: Engine) -> None:
    fill(engine, 30)
    flagged = dataclasses.replace(COLLECTION, options=("show_deleted",))

    def listed(token: str = "", **options: Any) -> ListResult:
        request = ListRequest("a", page_size=5, page_token=token, options=options)
        with engine.connect() as conn:
            return run_list(conn, select(p.id), flagged, request, CODEC, p)

    token = listed(show_deleted=True).next_page_token
    assert listed(token, show_deleted=True).rows
    for other in ({}, {"show_deleted": False}):
        with pytest.raises(ApiError) as info:
            listed(token, **other)
        invalid(info, "INVALID_PAGE_TOKEN", "page_token")


def test_the_cursor_precedes_the_filter() -> None:
    # SQLite ranges an index on the first bound it finds for a column; the
    # cursor's is always the tighter one (its row passed the filter), so it goes
    # first (reference/performance.md, the row-value trap; bench/paging_bench.py).
    request = ListRequest(parent="a", filter="create_time < 99")
    first = plan_list(COLLECTION, request, CODEC)
    token = CODEC.encode(first.fingerprint, [50, 7])
    plan = plan_list(
        COLLECTION,
        ListRequest(parent="a", filter="create_time < 99", page_token=token),
        CODEC,
    )
    query = page_query(plan, select(p.id).where(p.parent == "a"), p)
    sql = str(query.compile())
    assert sql.index("parent =") < sql.index("create_time <= :") < sql.index("create_time < :")
