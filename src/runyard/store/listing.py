"""The List queries of every collection: which rows belong to the parent, and
which fields a filter and an order_by may name (via runyard.aip).

Filterable and sortable fields are documented in docs/filtering.md."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select

from runyard.aip.filtering import Field, FieldType, Schema
from runyard.aip.listing import Collection, ListRequest, run_list
from runyard.aip.ordering import OrderField
from runyard.aip.pagination import PageTokenCodec
from runyard.store import tables as t
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


def _timestamps(table: Any, *names: str, nullable: tuple[str, ...] = ()) -> list[Field]:
    return [Field(n, FieldType.TIMESTAMP, table.c[n], nullable=n in nullable) for n in names]


def _orders(table: Any, *names: str, nullable: tuple[str, ...] = ()) -> dict[str, OrderField]:
    return {n: OrderField(n, table.c[n], nullable=n in nullable) for n in names}


def _strings(table: Any, *names: str) -> list[Field]:
    return [Field(n, FieldType.STRING, table.c[n]) for n in names]


r = t.runs.c
RUNS = Collection(
    name="runs",
    schema=Schema.of(
        Field("state", FieldType.ENUM, r.state, RUN_STATES),
        Field("trigger", FieldType.ENUM, r.trigger, RUN_TRIGGERS),
        Field(
            "end_reason",
            FieldType.ENUM,
            r.end_reason,
            _enum(Run.EndReason.DESCRIPTOR),
        ),
        *_timestamps(
            t.runs,
            "create_time",
            "start_time",
            "end_time",
            "update_time",
            nullable=("start_time", "end_time"),
        ),
        Field("duration", FieldType.DURATION, r.duration, nullable=True),
        Field("exit_code", FieldType.INT, r.exit_code, nullable=True),
        Field("attempt", FieldType.INT, r.attempt),
        Field("config_version", FieldType.INT, r.config_version),
        Field("replica_index", FieldType.INT, r.replica_index),
        *_strings(
            t.runs,
            "caller",
            "started_by",
            "trace_id",
            "external_execution_id",
            "automation_revision_id",
            "pause_reason",
        ),
        Field("failure.message", FieldType.STRING, r.failure_message),
        Field("retried_run", FieldType.RESOURCE_NAME, r.retried_run),
        Field("automation", FieldType.RESOURCE_NAME, r.automation, convert=automation_id),
        Field("labels", FieldType.MAP, r.labels),
        text_fields=(r.failure_message, r.pause_reason, r.caller, r.started_by, r.run),
    ),
    order_fields=_orders(
        t.runs,
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
    tiebreaker=(OrderField("id", r.id),),
)

e = t.run_events.c
RUN_EVENTS = Collection(
    name="run_events",
    schema=Schema.of(
        Field(
            "type",
            FieldType.ENUM,
            e.type,
            _enum(run_pb2.RunEvent.Type.DESCRIPTOR),
        ),
        Field("node_kind", FieldType.STRING, e.node_kind),
        Field("journal.node_kind", FieldType.STRING, e.node_kind),
        Field("create_time", FieldType.TIMESTAMP, e.create_time),
        Field("sequence", FieldType.INT, e.sequence),
    ),
    order_fields={"sequence": OrderField("sequence", e.sequence)},
    default_order="sequence",
    tiebreaker=(OrderField("sequence", e.sequence),),
    default_page_size=100,
)

x = t.executions.c
EXECUTIONS = Collection(
    name="executions",
    schema=Schema.of(
        Field(
            "state",
            FieldType.ENUM,
            x.state,
            _enum(execution_pb2.Execution.State.DESCRIPTOR),
        ),
        *_strings(t.executions, "resource", "resource_version", "caller", "failure_reason"),
        Field("run", FieldType.RESOURCE_NAME, x.run),
        *_timestamps(
            t.executions,
            "create_time",
            "start_time",
            "end_time",
            nullable=("start_time", "end_time"),
        ),
        Field("duration", FieldType.DURATION, x.duration, nullable=True),
        text_fields=(x.resource, x.failure_reason, x.caller),
    ),
    order_fields=_orders(
        t.executions,
        "create_time",
        "start_time",
        "end_time",
        "duration",
        nullable=("start_time", "end_time", "duration"),
    ),
    default_order="create_time desc",
    tiebreaker=(OrderField("id", x.id),),
)

a = t.automations.c
AUTOMATIONS = Collection(
    name="automations",
    schema=Schema.of(
        Field("display_name", FieldType.STRING, a.display_name),
        Field(
            "kind",
            FieldType.ENUM,
            a.kind,
            _enum(automation_pb2.Automation.Kind.DESCRIPTOR),
        ),
        Field("config_version", FieldType.INT, a.config_version),
        Field("labels", FieldType.MAP, a.labels),
        *_timestamps(t.automations, "create_time", "update_time"),
        text_fields=(a.display_name, a.automation),
    ),
    order_fields={
        "name": OrderField("name", a.automation),
        "display_name": OrderField("display_name", a.display_name),
        "create_time": OrderField("create_time", a.create_time),
        "update_time": OrderField("update_time", a.update_time),
    },
    default_order="name",
    tiebreaker=(OrderField("id", a.id),),
)

w = t.workspaces.c
WORKSPACES = Collection(
    name="workspaces",
    schema=Schema.of(
        Field("display_name", FieldType.STRING, w.display_name),
        Field("labels", FieldType.MAP, w.labels),
        *_timestamps(t.workspaces, "create_time", "update_time"),
        text_fields=(w.display_name, w.workspace),
    ),
    order_fields={
        "name": OrderField("name", w.workspace),
        "display_name": OrderField("display_name", w.display_name),
        "create_time": OrderField("create_time", w.create_time),
    },
    default_order="name",
    tiebreaker=(OrderField("id", w.id),),
)

o = t.operations.c
_META = operation_pb2.OperationMetadata
OPERATIONS = Collection(
    name="operations",
    schema=Schema.of(
        Field("done", FieldType.BOOL, o.done),
        Field("metadata.state", FieldType.ENUM, o.state, _enum(_META.State.DESCRIPTOR)),
        Field("metadata.action", FieldType.ENUM, o.action, _enum(_META.Action.DESCRIPTOR)),
        Field("metadata.create_time", FieldType.TIMESTAMP, o.create_time),
        Field("state", FieldType.ENUM, o.state, _enum(_META.State.DESCRIPTOR)),
        Field("action", FieldType.ENUM, o.action, _enum(_META.Action.DESCRIPTOR)),
        Field("create_time", FieldType.TIMESTAMP, o.create_time),
    ),
    order_fields={"create_time": OrderField("create_time", o.create_time)},
    default_order="create_time desc",
    tiebreaker=(OrderField("id", o.id),),
)

f = t.operation_failures.c
OPERATION_FAILURES = Collection(
    name="operation_failures",
    schema=Schema.of(Field("skipped", FieldType.BOOL, f.skipped)),
    order_fields={"sequence": OrderField("sequence", f.sequence)},
    default_order="sequence",
    tiebreaker=(OrderField("sequence", f.sequence),),
)


def page(
    conn: Connection,
    collection: Collection,
    base: Select[Any],
    request: ListRequest,
    codec: PageTokenCodec,
) -> Page[bytes]:
    """One page of `collection`: `base` selects the stored bodies of the parent's rows."""
    result = run_list(conn, base, collection, request, codec)
    return Page([row[0] for row in result.rows], result.next_page_token, result.total_size)
