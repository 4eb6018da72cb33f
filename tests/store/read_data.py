"""A small workspace for the read-path tests: two automations (one idle), seven
runs, one with a journal of six entries, and the ListRuns plan of a page of three."""

from __future__ import annotations

import time
from typing import Any

from runyard.aip.listing import ListPlan, ListRequest, plan_list
from runyard.domain import runs as domain
from runyard.store import listing
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.v1 import automation_pb2, run_pb2, run_service_pb2, workspace_pb2


def fill(store: SqlStore, workspace: WorkspaceRef) -> None:
    store.create_workspace(workspace, workspace_pb2.Workspace(display_name=workspace.workspace), "")
    for automation in ("etl", "idle"):
        ref = AutomationRef(workspace, automation)
        store.create_automation(ref, automation_pb2.Automation(display_name=automation), "")
    etl = AutomationRef(workspace, "etl")
    for i in range(7):
        actor = domain.Actor("tests", time.time_ns() // 1000)
        run, change = domain.new_run(run_pb2.Run(caller=f"c{i % 2}"), actor)
        store.create_run(RunRef(etl, f"r{i}"), run, change, "")
    entries = [
        run_pb2.RunEvent.JournalEntry(node_kind="FunctionCall", node_id=f"s{i}") for i in range(6)
    ]
    store.append_journal(RunRef(etl, "r3"), entries, time.time_ns() // 1000)


def plan(store: SqlStore, parent: AutomationRef, token: str = "", **fields: Any) -> ListPlan:
    request = run_service_pb2.ListRunsRequest(
        parent=parent.name, page_size=3, page_token=token, **fields
    )
    return plan_list(listing.RUNS, ListRequest.of(request, listing.RUNS), store.page_tokens)
