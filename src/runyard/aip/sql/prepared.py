"""A plan's page query prepared once per shape and then run on the driver.

Building a SELECT, looking it up in SQLAlchemy's compiled cache and wrapping
the rows in Result objects costs about three times the SQLite query itself on
a page of 50 (docs/performance.md). Every page of the same shape (collection,
base query, filter text, order, first page or not, skip or not) has the same
SQL text; only named values change: the base's own (the parent), the cursor,
LIMIT and OFFSET. So the first page of a shape runs through SQLAlchemy as
usual, and the SQL text and driver parameters SQLAlchemy sent (bind
processors applied) are kept; later pages fill in the named values and call
the driver's cursor directly."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Connection, CursorResult, Select, bindparam
from sqlalchemy.exc import DBAPIError

from runyard.aip.listing import ListPlan

LIMIT = "_page_limit"
OFFSET = "_page_offset"
CURSOR = "_page_cursor_{}"
CACHE_SIZE = 1024


def cursor_params(plan: ListPlan) -> list[BindParameter[Any]]:
    return [bindparam(CURSOR.format(i)) for i in range(len(plan.order.terms))]


def slot_values(plan: ListPlan, values: Mapping[str, Any]) -> dict[str, Any]:
    """The named values of one page: the base's, LIMIT, OFFSET and the cursor."""
    out = {**values, LIMIT: plan.limit, OFFSET: plan.offset}
    for i, value in enumerate(plan.cursor or ()):
        out[CURSOR.format(i)] = value
    return out


@dataclass(frozen=True)
class Prepared:
    """SQL text and driver parameters of one shape, and where each named value goes."""

    sql: str
    parameters: Sequence[Any] | Mapping[str, Any]
    slots: Mapping[str, tuple[Any, ...]]  # name → its positions (or keys) in parameters

    @classmethod
    def of(cls, result: CursorResult[Any], names: Sequence[str]) -> Prepared | None:
        """What `result` (one execution) sent, if every value in `names` can be found."""
        context: Any = result.context
        compiled = context.compiled
        sent = context.parameters[0] if len(context.parameters) == 1 else None
        if compiled is None or sent is None:
            return None
        slots: dict[str, tuple[Any, ...]] = {}
        if isinstance(sent, Mapping):
            if not all(name in sent for name in names):
                return None
            slots = {name: (name,) for name in names}
        else:
            order = list(compiled.positiontup or ())
            if len(order) != len(sent):
                return None
            for name in names:
                where = tuple(i for i, bound in enumerate(order) if bound == name)
                if not where:
                    return None
                slots[name] = where
        return cls(context.statement, sent, slots)

    def parameters_for(self, values: Mapping[str, Any]) -> Any:
        if isinstance(self.parameters, Mapping):
            named = dict(self.parameters)
            for name, keys in self.slots.items():
                named[keys[0]] = values[name]
            return named
        positional = list(self.parameters)
        for name, positions in self.slots.items():
            for i in positions:
                positional[i] = values[name]
        return tuple(positional)


_prepared: dict[Hashable, Prepared | None] = {}


def _key(plan: ListPlan, shape: Hashable, dialect: str) -> Hashable:
    return (
        shape,
        dialect,
        plan.collection.name,
        plan.filter_text,
        plan.order.normalized,
        plan.cursor is not None,
        plan.offset > 0,
    )


def _named(plan: ListPlan, values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in slot_values(plan, values).items() if _used(k, plan)}


def statement(
    plan: ListPlan, shape: Hashable, dialect: str, values: Mapping[str, Any]
) -> tuple[str, Any] | None:
    """The SQL text and driver parameters of the plan's page when its shape
    was prepared on `dialect` already (by fetch_page), else None."""
    prepared = _prepared.get(_key(plan, shape, dialect))
    if prepared is None:
        return None
    return prepared.sql, prepared.parameters_for(_named(plan, values))


def fetch_page(
    conn: Connection,
    build: Callable[[], Select[Any]],
    plan: ListPlan,
    shape: Hashable,
    values: Mapping[str, Any],
) -> Sequence[Sequence[Any]]:
    """The rows of the plan's page for the base's named `values`; `build` makes
    its query (with the names of slot_values as bind parameters) when the
    shape has not been prepared yet."""
    key = _key(plan, shape, conn.dialect.name)
    named = _named(plan, values)
    prepared = _prepared.get(key)
    if prepared is not None:
        return _run(conn, prepared.sql, prepared.parameters_for(named))
    result = conn.execute(build(), named)
    rows = result.all()
    if key not in _prepared:
        if len(_prepared) >= CACHE_SIZE:
            _prepared.clear()
        _prepared[key] = Prepared.of(result, list(named))
    return rows


def _used(name: str, plan: ListPlan) -> bool:
    if name == OFFSET:
        return plan.offset > 0
    return True


def _run(conn: Connection, sql: str, parameters: Any) -> Sequence[Sequence[Any]]:
    """The rows of `sql` on the connection's driver cursor. A driver error
    leaves as SQLAlchemy's, as it would from conn.execute, so callers map it
    the same way (a lost connection: OperationalError, UNAVAILABLE)."""
    dbapi_error: type[Exception] = conn.dialect.loaded_dbapi.Error
    cursor = None
    try:
        cursor = conn.connection.cursor()
        cursor.execute(sql, parameters)
        return cursor.fetchall()
    except dbapi_error as exc:
        driver_error: Any = exc
        if conn.dialect.is_disconnect(driver_error, conn.connection.dbapi_connection, cursor):
            # Once more through SQLAlchemy: it fails the same way and replaces the
            # connection (and the pool's older ones), as for any other statement.
            return conn.exec_driver_sql(sql, parameters).all()
        raise DBAPIError.instance(
            sql, None, exc, dbapi_error, hide_parameters=True, dialect=conn.dialect
        ) from exc
    finally:
        if cursor is not None:
            with contextlib.suppress(dbapi_error):
                cursor.close()
