"""The collections of every List call: which fields a filter and an order_by
may name (runyard.aip declarations, free of SQL: the API layer validates a
request against them before the store is called), the table columns those
fields are stored in, and `page`, which runs a validated plan.

Filterable and sortable fields are documented in docs/filtering.md."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Select

from runyard.aip.filtering import Field, FieldType, Schema
from runyard.aip.listing import Collection, ListPlan
from runyard.aip.ordering import OrderField
from runyard.aip.sql.columns import Columns
from runyard.aip.sql.listing import run_plan
from runyard.store.interface import Page
from runyard.store.refs import AutomationRef
from runyard.v1 import automation_pb2, execution_pb2, operation_pb2, run_pb2

Run = run_pb2.Run


def _enum(descriptor: Any) -> dict[str, int]:
    return {v.name: v.number for v in descriptor.values}


# Enum names a filter may use, one map per enum (the aggregate filters use these too).
RUN_STATES = _enum(Run.State.DESCRIPTOR)
RUN_TRIGGERS = _enum(Run.Trigger.DESCRIPTOR)


def automation_id(value: str) -> str:
    """`organizations/o/workspaces/w/automations/a` or `a` → `a`."""
    automation = AutomationRef.id_of(value)
    if automation is None:
        raise ValueError(f"{value!r} is not an automation name or id")
    return automation


def _timestamps(*names: str, nullable: tuple[str, ...] = ()) -> list[Field]:
    return [Field(n, FieldType.TIMESTAMP, nullable=n in nullable) for n in names]


def _orders(*names: str, nullable: tuple[str, ...] = ()) -> dict[str, OrderField]:
    return {n: OrderField(n, nullable=n in nullable) for n in names}


def _strings(*names: str) -> list[Field]:
    return [Field(n, FieldType.STRING) for n in names]


def _enum_field(name: str, descriptor: Any, key: str = "") -> Field:
    return Field(name, FieldType.ENUM, key, _enum(descriptor))


RUNS = Collection(
    name="runs",
    schema=Schema.of(
        Field("state", FieldType.ENUM, enum_values=RUN_STATES),
        Field("trigger", FieldType.ENUM, enum_values=RUN_TRIGGERS),
        _enum_field("end_reason", Run.EndReason.DESCRIPTOR),
        *_timestamps(
            "create_time",
            "start_time",
            "end_time",
            "update_time",
            nullable=("start_time", "end_time"),
        ),
        Field("duration", FieldType.DURATION, nullable=True),
        Field("exit_code", FieldType.INT, nullable=True),
        Field("attempt", FieldType.INT),
        Field("config_version", FieldType.INT),
        Field("replica_index", FieldType.INT),
        *_strings(
            "caller",
            "started_by",
            "trace_id",
            "external_execution_id",
            "automation_revision_id",
            "pause_reason",
        ),
        Field("failure.message", FieldType.STRING, "failure_message"),
        Field("retried_run", FieldType.RESOURCE_NAME),
        Field("automation", FieldType.RESOURCE_NAME, convert=automation_id),
        Field("labels", FieldType.MAP),
        text_fields=("failure_message", "pause_reason", "caller", "started_by", "run"),
    ),
    order_fields=_orders(
        "create_time",
        "start_time",
        "end_time",
        "update_time",
        "duration",
        "state",
        "attempt",
        "config_version",
        nullable=("start_time", "end_time", "duration"),
    ),
    default_order="create_time desc",
    tiebreaker=(OrderField("id"),),
    options=("show_archived",),
)

RUN_EVENTS = Collection(
    name="run_events",
    schema=Schema.of(
        _enum_field("type", run_pb2.RunEvent.Type.DESCRIPTOR),
        Field("node_kind", FieldType.STRING),
        Field("journal.node_kind", FieldType.STRING, "node_kind"),
        Field("create_time", FieldType.TIMESTAMP),
        Field("sequence", FieldType.INT),
    ),
    order_fields={"sequence": OrderField("sequence")},
    default_order="sequence",
    tiebreaker=(OrderField("sequence"),),
    default_page_size=100,
)

EXECUTIONS = Collection(
    name="executions",
    schema=Schema.of(
        _enum_field("state", execution_pb2.Execution.State.DESCRIPTOR),
        *_strings("resource", "resource_version", "caller", "failure_reason"),
        Field("run", FieldType.RESOURCE_NAME),
        *_timestamps(
            "create_time",
            "start_time",
            "end_time",
            nullable=("start_time", "end_time"),
        ),
        Field("duration", FieldType.DURATION, nullable=True),
        text_fields=("resource", "failure_reason", "caller"),
    ),
    order_fields=_orders(
        "create_time",
        "start_time",
        "end_time",
        "duration",
        nullable=("start_time", "end_time", "duration"),
    ),
    default_order="create_time desc",
    tiebreaker=(OrderField("id"),),
    options=("show_archived",),
)

AUTOMATIONS = Collection(
    name="automations",
    schema=Schema.of(
        Field("display_name", FieldType.STRING),
        _enum_field("kind", automation_pb2.Automation.Kind.DESCRIPTOR),
        Field("config_version", FieldType.INT),
        Field("labels", FieldType.MAP),
        *_timestamps("create_time", "update_time"),
        text_fields=("display_name", "automation"),
    ),
    order_fields={
        "name": OrderField("name", "automation"),
        "display_name": OrderField("display_name"),
        "create_time": OrderField("create_time"),
        "update_time": OrderField("update_time"),
    },
    default_order="name",
    tiebreaker=(OrderField("id"),),
)

WORKSPACES = Collection(
    name="workspaces",
    schema=Schema.of(
        Field("display_name", FieldType.STRING),
        Field("labels", FieldType.MAP),
        *_timestamps("create_time", "update_time"),
        text_fields=("display_name", "workspace"),
    ),
    order_fields={
        "name": OrderField("name", "workspace"),
        "display_name": OrderField("display_name"),
        "create_time": OrderField("create_time"),
    },
    default_order="name",
    tiebreaker=(OrderField("id"),),
)

_META = operation_pb2.OperationMetadata
OPERATIONS = Collection(
    name="operations",
    schema=Schema.of(
        Field("done", FieldType.BOOL),
        Field("metadata.state", FieldType.ENUM, "state", _enum(_META.State.DESCRIPTOR)),
        Field("metadata.action", FieldType.ENUM, "action", _enum(_META.Action.DESCRIPTOR)),
        Field("metadata.create_time", FieldType.TIMESTAMP, "create_time"),
        Field("state", FieldType.ENUM, enum_values=_enum(_META.State.DESCRIPTOR)),
        Field("action", FieldType.ENUM, enum_values=_enum(_META.Action.DESCRIPTOR)),
        Field("create_time", FieldType.TIMESTAMP),
    ),
    order_fields={"create_time": OrderField("create_time")},
    default_order="create_time desc",
    tiebreaker=(OrderField("id"),),
)

OPERATION_FAILURES = Collection(
    name="operation_failures",
    schema=Schema.of(Field("skipped", FieldType.BOOL)),
    order_fields={"sequence": OrderField("sequence")},
    default_order="sequence",
    tiebreaker=(OrderField("sequence"),),
)


def page(
    conn: Connection,
    plan: ListPlan,
    collection: Collection,
    base: Select[Any],
    columns: Columns,
    values: Mapping[str, Any] | None = None,
) -> Page[bytes]:
    """One page of `plan`, which must be a plan of `collection`; `base` selects
    the stored bodies of the parent's rows, whose fields are in `columns`.

    With `values`, `base` is a constant query whose parent is given by these
    named bind parameters, and the page runs prepared (runyard.aip.sql.prepared)."""
    if plan.collection is not collection:
        raise TypeError(f"a plan of {plan.collection.name} listed as {collection.name}")
    if values is None:
        result = run_plan(conn, base, plan, columns)
    else:
        result = run_plan(conn, base, plan, columns, shape=base, values=values)
    return Page([row[0] for row in result.rows], result.next_page_token, result.total_size)
