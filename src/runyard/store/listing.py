"""The List queries of every collection: which rows belong to the parent, and
which fields a filter and an order_by may name (via runyard.aip).

Filterable and sortable fields are documented in docs/filtering.md."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, select

from runyard.aip.filtering import Field, FieldType, Schema
from runyard.aip.listing import Collection, ListRequest, run_list
from runyard.aip.names import is_valid_id
from runyard.aip.ordering import OrderField
from runyard.aip.pagination import PageTokenCodec
from runyard.store import tables as t
from runyard.store.interface import ListParams, Page
from runyard.store.refs import AutomationRef, WorkspaceRef
from runyard.v1 import automation_pb2, execution_pb2, run_pb2

Run = run_pb2.Run


def _enum(descriptor: Any) -> dict[str, int]:
    return {v.name: v.number for v in descriptor.values}


def automation_id(value: str) -> str:
    """`organizations/o/workspaces/w/automations/a` or `a` → `a`."""
    parts = value.split("/")
    if len(parts) == 6 and parts[0::2] == ["organizations", "workspaces", "automations"]:
        value = parts[5]
    if not is_valid_id(value):
        raise ValueError(f"{value!r} is not an automation name or id")
    return value


def _timestamps(table: Any, *names: str, nullable: tuple[str, ...] = ()) -> list[Field]:
    return [Field(n, FieldType.TIMESTAMP, table.c[n], nullable=n in nullable) for n in names]


def _strings(table: Any, *names: str) -> list[Field]:
    return [Field(n, FieldType.STRING, table.c[n]) for n in names]


r = t.runs.c
RUNS = Collection(
    name="runs",
    schema=Schema.of(
        Field("state", FieldType.ENUM, r.state, _enum(Run.DESCRIPTOR.enum_types_by_name["State"])),
        Field(
            "trigger",
            FieldType.ENUM,
            r.trigger,
            _enum(Run.DESCRIPTOR.enum_types_by_name["Trigger"]),
        ),
        Field(
            "end_reason",
            FieldType.ENUM,
            r.end_reason,
            _enum(Run.DESCRIPTOR.enum_types_by_name["EndReason"]),
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
    order_fields={
        "create_time": OrderField("create_time", r.create_time),
        "start_time": OrderField("start_time", r.start_time, nullable=True),
        "end_time": OrderField("end_time", r.end_time, nullable=True),
        "update_time": OrderField("update_time", r.update_time),
        "duration": OrderField("duration", r.duration, nullable=True),
        "state": OrderField("state", r.state),
        "attempt": OrderField("attempt", r.attempt),
        "config_version": OrderField("config_version", r.config_version),
    },
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
            _enum(run_pb2.RunEvent.DESCRIPTOR.enum_types_by_name["Type"]),
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
            _enum(execution_pb2.Execution.DESCRIPTOR.enum_types_by_name["State"]),
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
    order_fields={
        "create_time": OrderField("create_time", x.create_time),
        "start_time": OrderField("start_time", x.start_time, nullable=True),
        "end_time": OrderField("end_time", x.end_time, nullable=True),
        "duration": OrderField("duration", x.duration, nullable=True),
    },
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
            _enum(automation_pb2.Automation.DESCRIPTOR.enum_types_by_name["Kind"]),
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


def _page(
    conn: Connection,
    base: Select[Any],
    collection: Collection,
    parent: str,
    params: ListParams,
    codec: PageTokenCodec,
) -> Page[bytes]:
    request = ListRequest(
        parent,
        params.filter,
        params.order_by,
        params.page_size,
        params.page_token,
        params.skip,
        params.show_total_size,
    )
    result = run_list(conn, base, collection, request, codec)
    return Page([row[0] for row in result.rows], result.next_page_token, result.total_size)


def list_workspaces(
    conn: Connection, organization: str, params: ListParams, codec: PageTokenCodec
) -> Page[bytes]:
    base = select(t.workspaces.c.body).where(t.workspaces.c.organization == organization)
    return _page(conn, base, WORKSPACES, f"organizations/{organization}", params, codec)


def list_automations(
    conn: Connection,
    workspace: WorkspaceRef,
    ws_id: int,
    params: ListParams,
    codec: PageTokenCodec,
) -> Page[bytes]:
    base = select(t.automations.c.body).where(t.automations.c.workspace_id == ws_id)
    return _page(conn, base, AUTOMATIONS, workspace.name, params, codec)


def list_runs(
    conn: Connection,
    parent: AutomationRef,
    ws_id: int,
    params: ListParams,
    codec: PageTokenCodec,
) -> Page[bytes]:
    base = select(t.runs.c.body).where(t.runs.c.workspace_id == ws_id)
    if parent.automation != "-":
        base = base.where(t.runs.c.automation == parent.automation)
    return _page(conn, base, RUNS, parent.name, params, codec)


def list_run_events(
    conn: Connection, run_name: str, run_id: int, params: ListParams, codec: PageTokenCodec
) -> Page[bytes]:
    base = select(t.run_events.c.body).where(t.run_events.c.run_id == run_id)
    return _page(conn, base, RUN_EVENTS, run_name, params, codec)


def list_executions(
    conn: Connection,
    workspace: WorkspaceRef,
    ws_id: int,
    params: ListParams,
    codec: PageTokenCodec,
) -> Page[bytes]:
    base = select(t.executions.c.body).where(t.executions.c.workspace_id == ws_id)
    return _page(conn, base, EXECUTIONS, workspace.name, params, codec)
