"""run_list end to end: fuzzed filters, order_by strings and page tokens give
OK or INVALID_ARGUMENT only; paging through 10,000 rows under concurrent
inserts; and every store collection (runyard.store.listing) on SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import random
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, func, select

from runyard.aip.errors import ApiError
from runyard.aip.filtering import check_filter
from runyard.aip.listing import Collection, ListRequest
from runyard.aip.ordering import parse_order_by
from runyard.aip.pagination import PageTokenCodec
from runyard.aip.sql.listing import ListResult, run_list
from runyard.store import listing as store
from runyard.store import tables as t
from tests.aip.filtertable import SCHEMA
from tests.aip.test_pagination import CODEC, COLLECTION, metadata, pages
from tests.plugins.databases import sqlalchemy_url

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COLLECTIONS = [store.RUNS, store.RUN_EVENTS, store.EXECUTIONS, store.AUTOMATIONS, store.WORKSPACES]
FILTER_PIECES = [
    *"()\"'\\*.:,=<>!- \t",
    "AND",
    "OR",
    "NOT",
    "state",
    "RUNNING",
    "labels",
    "create_time",
    "duration",
    "1.5s",
    '"2024-01-01T00:00:00Z"',
    "true",
    "f(",
    "9" * 30,
    "é",
]


def only_invalid_argument(exc: ApiError) -> None:
    assert exc.code == grpc.StatusCode.INVALID_ARGUMENT, exc
    assert exc.field_violations


@FUZZ
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(FILTER_PIECES), max_size=40).map("".join),
        st.lists(st.sampled_from(FILTER_PIECES), max_size=40).map(" ".join),
    )
)
def test_fuzzed_filters_are_ok_or_invalid_argument(text: str) -> None:
    for schema in (SCHEMA, *(c.schema for c in COLLECTIONS)):
        try:
            check_filter(text, schema)
        except ApiError as exc:
            only_invalid_argument(exc)
            assert exc.reason == "INVALID_FILTER"


@FUZZ
@given(
    st.one_of(
        st.text(max_size=100),
        st.lists(
            st.sampled_from(["create_time", "state", "name", "desc", "asc", ",", " ", ".", "x"]),
            max_size=20,
        ).map("".join),
    )
)
def test_fuzzed_order_by_is_ok_or_invalid_argument(text: str) -> None:
    for c in (COLLECTION, *COLLECTIONS):
        try:
            parse_order_by(text, c.order_fields, c.default_order, c.tiebreaker)
        except ApiError as exc:
            only_invalid_argument(exc)
            assert exc.reason == "INVALID_ORDER_BY"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(sqlalchemy_url(database_url))
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def listed(engine: Engine, request: ListRequest, codec: PageTokenCodec = CODEC) -> ListResult:
    with engine.connect() as conn:
        base = select(pages.c.id).where(pages.c.parent == request.parent)
        return run_list(conn, base, COLLECTION, request, codec, pages.c)


def test_fuzzed_page_tokens_are_ok_or_invalid_argument(engine: Engine) -> None:
    rows = [
        {"id": i, "parent": "a", "state": i % 4, "create_time": i // 3, "start_time": None}
        for i in range(1, 60)
    ]
    with engine.begin() as conn:
        conn.execute(pages.insert(), rows)
    real = listed(engine, ListRequest("a", filter="state >= 1", page_size=5)).next_page_token
    assert real
    raw = base64.urlsafe_b64decode(real + "=" * (-len(real) % 4))
    other_collection = Collection(
        "other",
        COLLECTION.schema,
        COLLECTION.order_fields,
        "create_time desc",
        COLLECTION.tiebreaker,
    )
    with engine.connect() as conn:
        foreign = run_list(
            conn,
            select(pages.c.id),
            other_collection,
            ListRequest("a", page_size=5),
            CODEC,
            pages.c,
        ).next_page_token
    candidates = [
        foreign,  # another collection
        listed(engine, ListRequest("a", page_size=5)).next_page_token,  # another filter
        listed(
            engine, ListRequest("a", filter="state >= 1", order_by="state", page_size=5)
        ).next_page_token,  # another order
        PageTokenCodec(b"x" * 16).encode("fp", [1, 2]),  # another server secret
    ]
    rnd = random.Random(1)
    for _ in range(300):
        flipped = bytearray(raw)
        for _ in range(rnd.randint(1, 3)):
            i = rnd.randrange(len(flipped) * 8)
            flipped[i // 8] ^= 1 << (i % 8)
        candidates.append(base64.urlsafe_b64encode(bytes(flipped)).rstrip(b"=").decode())
        noise = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 80)))
        candidates.append(base64.urlsafe_b64encode(noise).decode())
        candidates.append("".join(chr(rnd.randint(1, 0x2FFF)) for _ in range(rnd.randint(1, 30))))
        candidates.append(real[: rnd.randrange(len(real))])
        candidates.append(real + rnd.choice(["A", "=", "==", "-", "_", "%"]))
    for token in candidates:
        try:
            listed(engine, ListRequest("a", filter="state >= 1", page_size=5, page_token=token))
        except ApiError as exc:
            only_invalid_argument(exc)
        else:
            assert token == "" or token.startswith(real)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    filter=st.text(max_size=30),
    order_by=st.text(max_size=30) | st.sampled_from(["state", "create_time desc", ""]),
    token=st.text(max_size=60) | st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode()),
    size=st.integers(-3, 2000),
    skip=st.integers(-3, 200),
)
def test_fuzzed_requests_are_ok_or_invalid_argument(
    engine: Engine, filter: str, order_by: str, token: str, size: int, skip: int
) -> None:
    request = ListRequest("a", filter, order_by, size, token, skip, show_total_size=True)
    try:
        listed(engine, request)
    except ApiError as exc:
        only_invalid_argument(exc)


# --- paging through 10,000 rows while rows are inserted ----------------------


@pytest.mark.slow
@pytest.mark.parametrize("order", ["", "create_time", "state asc, create_time desc"])
def test_paging_under_concurrent_inserts(engine: Engine, order: str) -> None:
    n = 10_000
    rnd = random.Random(n)
    existing = [
        {"id": i, "parent": "a", "state": rnd.randint(0, 4), "create_time": rnd.randint(0, 3000)}
        for i in range(1, n + 1)
    ]
    with engine.begin() as conn:
        conn.execute(pages.insert(), existing)
    next_id = n + 1
    go, done = threading.Event(), threading.Event()
    stop = False
    errors: list[BaseException] = []

    def writer() -> None:
        nonlocal next_id
        wrnd = random.Random(7)
        try:
            while True:
                go.wait()
                go.clear()
                if stop:
                    return
                batch = []
                for _ in range(25):
                    # Newer, older, and tied with existing rows, in every state.
                    ct = wrnd.choice([wrnd.randint(3001, 9999), wrnd.randint(-999, -1)])
                    ct = wrnd.choice([ct, wrnd.randint(0, 3000)])
                    batch.append(
                        {
                            "id": next_id,
                            "parent": "a",
                            "state": wrnd.randint(0, 4),
                            "create_time": ct,
                        }
                    )
                    next_id += 1
                with engine.begin() as conn:
                    conn.execute(pages.insert(), batch)
                done.set()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen: list[int] = []
    token = ""
    try:
        for _ in range(1000):
            result = listed(
                engine, ListRequest("a", order_by=order, page_size=997, page_token=token)
            )
            seen.extend(r[0] for r in result.rows)
            token = result.next_page_token
            if not token:
                break
            done.clear()
            go.set()
            assert done.wait(30)
            assert not errors, errors
    finally:
        stop = True
        go.set()
        thread.join(30)
    assert not token
    assert len(seen) == len(set(seen)), "a row was returned twice"
    assert {i for i in seen if i <= n} == set(range(1, n + 1))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(pages)).scalar_one()
    assert total > n + 25  # rows really were inserted while paging


# --- the store's collections --------------------------------------------------

USE_CASES: dict[str, list[str]] = {
    "runs": [
        'state = FAILED AND create_time >= "2024-01-01T00:00:00Z"',
        '"disk full"',
        'labels.team = "infra"',
        "labels:team",
        "labels.team:*",
        'automation = "nightly"',
        'automation = "organizations/o/workspaces/w/automations/nightly"',
        "config_version = 1",
        "duration > 30s OR duration < 1.5s",
        "exit_code != 0",
        "start_time:*",
        'failure.message = "*disk*"',
        "trigger = MANUAL OR end_reason:*",
        'retried_run = ""',
        "attempt > 1 AND replica_index = 0",
        'caller = "ci*" OR started_by:* OR trace_id = "" OR pause_reason:*',
        'external_execution_id = "" AND automation_revision_id != "x"',
        'update_time < "2030-01-01T00:00:00+02:00"',
    ],
    "run_events": [
        'node_kind = "task"',
        'journal.node_kind = "task*"',
        "sequence > 3",
        'create_time > "2024-01-01T00:00:00Z"',
        "type:*",
    ],
    "executions": [
        'resource = "db/*" AND end_time >= "2024-01-01T00:00:00Z"',
        'run = "organizations/o/workspaces/w/automations/a/runs/r"',
        'resource_version != "" OR caller:* OR failure_reason = "*x*"',
        "duration >= 1s AND start_time:*",
        "timeout",
    ],
    "automations": [
        'display_name = "Nightly*"',
        "config_version = 1",
        'labels.env = "prod"',
        'create_time > "2024-01-01T00:00:00Z" AND update_time:*',
        "nightly",
    ],
    "workspaces": [
        'display_name = "*team"',
        'labels.env = "prod"',
        'create_time > "2024-01-01T00:00:00Z"',
        "research",
    ],
}
TABLES = {
    "runs": t.runs,
    "run_events": t.run_events,
    "executions": t.executions,
    "automations": t.automations,
    "workspaces": t.workspaces,
}


@pytest.fixture
def store_engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(sqlalchemy_url(database_url))
    t.metadata.create_all(engine)
    yield engine
    engine.dispose()


def run_row(run: str, **values: Any) -> dict[str, Any]:
    base = {
        "workspace_id": 1,
        "automation": "nightly",
        "run": run,
        "state": 0,
        "trigger": 0,
        "end_reason": 0,
        "attempt": 1,
        "config_version": 1,
        "replica_index": 0,
        "labels": {},
        "create_time": 0,
        "update_time": 0,
        "version": 1,
        "last_event": 0,
        "body": run.encode(),
        "failure_message": "",
        "duration": None,
        "start_time": None,
        "end_time": None,
    }
    base.update(values)
    return base


def test_store_collections_accept_their_documented_filters_and_orders(
    store_engine: Engine,
) -> None:
    for c in COLLECTIONS:
        table = TABLES[c.name]
        assert c.name in USE_CASES
        for text in USE_CASES[c.name]:
            orders = ["", *c.order_fields, *(f"{f} desc" for f in c.order_fields)]
            for order in orders:
                request = ListRequest("p", text, order, page_size=1, show_total_size=True)
                with store_engine.connect() as conn:
                    result = run_list(conn, select(table), c, request, CODEC, table.c)
                assert result.total_size == 0 and result.next_page_token == ""


def test_runs_use_cases_on_data(store_engine: Engine) -> None:
    failed = store.RUNS.schema.fields["state"].enum_values["FAILED"]
    succeeded = store.RUNS.schema.fields["state"].enum_values["SUCCEEDED"]
    day = 86_400 * 1_000_000
    jan = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
    rows = [
        run_row(
            "r1",
            state=failed,
            create_time=jan + day,
            failure_message="Disk full on /",
            labels={"team": "infra"},
        ),
        run_row("r2", state=failed, create_time=jan - day, config_version=2),
        run_row(
            "r3",
            automation="weekly",
            state=succeeded,
            create_time=jan + 2 * day,
            labels={"team": "web"},
            duration=45_000_000,
            start_time=jan,
            end_time=jan + 1,
        ),
    ]
    with store_engine.begin() as conn:
        conn.execute(t.runs.insert(), rows)

    def runs(text: str, base: Any = None) -> list[str]:
        # The `-` automation parent lists the whole workspace: no automation condition.
        query = select(t.runs.c.run).where(t.runs.c.workspace_id == 1) if base is None else base
        request = ListRequest("organizations/o/workspaces/w/automations/-", text, "create_time")
        with store_engine.connect() as conn:
            rows = run_list(conn, query, store.RUNS, request, CODEC, t.runs.c).rows
            return [r[0] for r in rows]

    assert runs('state = FAILED AND create_time >= "2024-01-01T00:00:00Z"') == ["r1"]
    assert runs('"disk full"') == ["r1"]
    assert runs('labels.team = "infra"') == ["r1"]
    assert runs("labels:team") == ["r1", "r3"]
    assert runs('automation = "weekly"') == ["r3"]
    assert runs('automation = "organizations/o/workspaces/w/automations/nightly"') == ["r2", "r1"]
    assert runs("config_version = 1") == ["r1", "r3"]
    assert runs("duration > 30s") == ["r3"]
    assert runs("NOT duration > 30s") == []
    assert runs('failure.message = "Disk*"') == ["r1"]
    with pytest.raises(ApiError, match="is not an automation name"):
        runs('automation = "organizations/o/workspaces/w/runs/x"')
