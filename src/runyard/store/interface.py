"""The store's interfaces, one per aggregate (workspaces and automations, runs
and their events, executions, run aggregates), which the API layer is typed
against; `Store` is all of them. runyard.store.sql.SqlStore implements them on
SQLite and PostgreSQL; methods are synchronous and run on worker threads
(SQLite's run writes on the event loop, see `LoopWriter`).

Writes that carry a request key (AIP-155) store their answer in the same
transaction, and a repeat with that key gets the first answer back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from runyard.aip.listing import ListPlan
from runyard.aip.pagination import PageTokens
from runyard.domain.aggregates import AutomationTotals, Totals
from runyard.domain.runs import Transition
from runyard.store.refs import AutomationRef, ExecutionRef, OperationRef, RunRef, WorkspaceRef
from runyard.v1 import automation_pb2, execution_pb2, operation_pb2, run_pb2, workspace_pb2

if TYPE_CHECKING:
    from runyard.store.tokens import TokenStore

T = TypeVar("T")

Run = run_pb2.Run
RunEvent = run_pb2.RunEvent
StateChange = run_pb2.RunEvent.StateChange


class LoopWriter(Protocol):
    """Runs write calls on the event loop (runyard.store.loop_writes on
    SQLite, runyard.store.pg_loop_writes on PostgreSQL)."""

    def serves(self, loop: asyncio.AbstractEventLoop) -> bool: ...

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_page_token: str
    total_size: int | None = None


@dataclass
class ImportedRun:
    """A run with its whole timeline, for bulk loading (demo data, benchmarks, imports)."""

    automation: str
    run_id: str
    run: Run
    events: list[RunEvent]
    paused_from: int = 0


# Given the run as stored and where a paused run was, returns the change to make.
ApplyTransition = Callable[[Run, int], Transition]
# Given the run to retry, returns the new run and its first state change.
BuildRetry = Callable[[Run], tuple[Run, StateChange]]

Operation = operation_pb2.Operation


@dataclass(frozen=True)
class BulkAction:
    """What an operation does to each run: the states it applies to, and either a
    state change (`apply`) or a retry (`build`)."""

    states: frozenset[int]
    apply: ApplyTransition | None = None
    build: BuildRetry | None = None


@dataclass(frozen=True)
class RunSelection:
    """The runs of a bulk action: a parent (automation or `-`) and a filter, or names."""

    parent: AutomationRef
    filter: str
    names: Sequence[RunRef] = ()


class Lists(Protocol):
    """A store with List calls signs their page tokens; the API layer plans each
    page (runyard.aip.listing.plan_list) with them before calling the store."""

    @property
    def page_tokens(self) -> PageTokens: ...


class WorkspaceStore(Lists, Protocol):
    def create_workspace(
        self, ref: WorkspaceRef, workspace: workspace_pb2.Workspace, request_key: str
    ) -> workspace_pb2.Workspace: ...

    def get_workspace(self, ref: WorkspaceRef) -> workspace_pb2.Workspace: ...

    def list_workspaces(self, organization: str, plan: ListPlan) -> Page[bytes]: ...

    def update_workspace(
        self,
        ref: WorkspaceRef,
        mutate: Callable[[workspace_pb2.Workspace], workspace_pb2.Workspace],
        etag: str,
        now_us: int,
        validate_only: bool = False,
    ) -> workspace_pb2.Workspace: ...

    def is_empty(self) -> bool:
        """Whether no workspace exists yet (a fresh database)."""
        ...

    def create_automation(
        self, ref: AutomationRef, automation: automation_pb2.Automation, request_key: str
    ) -> automation_pb2.Automation: ...

    def get_automation(self, ref: AutomationRef) -> automation_pb2.Automation: ...

    def list_automations(self, workspace: WorkspaceRef, plan: ListPlan) -> Page[bytes]: ...

    def update_automation(
        self,
        ref: AutomationRef,
        mutate: Callable[[automation_pb2.Automation], automation_pb2.Automation],
        now_us: int,
    ) -> automation_pb2.Automation: ...

    def delete_automation(self, ref: AutomationRef, etag: str) -> None: ...


class RunStore(Lists, Protocol):
    @property
    def loop_writes(self) -> LoopWriter | None:
        """Where run writes may run on the event loop (SQLite), else None."""
        ...

    def create_run(self, ref: RunRef, run: Run, change: StateChange, request_key: str) -> Run: ...

    def get_run(self, ref: RunRef) -> Run: ...

    def list_runs(self, parent: AutomationRef, plan: ListPlan) -> Page[bytes]: ...

    def change_run(
        self, ref: RunRef, etag: str, request_key: str, apply: ApplyTransition
    ) -> Run: ...

    def retry_run(
        self, ref: RunRef, new_run_id: str, etag: str, request_key: str, build: BuildRetry
    ) -> Run: ...

    def append_journal(
        self,
        ref: RunRef,
        entries: Sequence[RunEvent.JournalEntry],
        now_us: int,
        request_key: str = "",
        check: Callable[[Run], None] | None = None,
    ) -> list[RunEvent]: ...

    def list_run_events(self, parent: RunRef, plan: ListPlan) -> Page[bytes]: ...

    def import_runs(self, workspace: WorkspaceRef, runs: Sequence[ImportedRun]) -> None: ...


class AsyncRunReads(Protocol):
    """RunStore's hot reads as coroutines awaited on the event loop, for a store
    whose reads wait on a network (PostgreSQL): the same answers and errors."""

    async def get_run(self, ref: RunRef) -> Run: ...

    async def list_runs(self, parent: AutomationRef, plan: ListPlan) -> Page[bytes]: ...

    async def list_run_events(self, parent: RunRef, plan: ListPlan) -> Page[bytes]: ...

    async def close(self) -> None: ...


class AggregateStore(Protocol):
    """Totals per [bounds[i], bounds[i+1]) of create_time, and per automation
    (ids after `after`, at most `limit`; and whether more follow) over
    [start_us, end_us) (None: open). The queries are in runyard.store.aggregates."""

    @property
    def page_tokens(self) -> PageTokens: ...

    def daily_run_aggregates(
        self, workspace: WorkspaceRef, bounds: Sequence[int], filter: str
    ) -> list[Totals]: ...

    def automation_run_aggregates(
        self,
        workspace: WorkspaceRef,
        start_us: int | None,
        end_us: int | None,
        filter: str,
        after: str,
        limit: int,
    ) -> tuple[list[AutomationTotals], bool]: ...

    def rebuild_rollups(self) -> int:
        """Recomputes every rollup from the runs table; returns how many runs were counted."""
        ...


class ExecutionStore(Lists, Protocol):
    def record_execution(
        self,
        ref: ExecutionRef,
        execution: execution_pb2.Execution,
        outputs: execution_pb2.ExecutionOutputs,
        request_key: str = "",
    ) -> execution_pb2.Execution: ...

    def import_executions(
        self,
        workspace: WorkspaceRef,
        items: Sequence[tuple[str, execution_pb2.Execution, execution_pb2.ExecutionOutputs]],
    ) -> list[execution_pb2.Execution]: ...

    def get_execution(self, ref: ExecutionRef) -> execution_pb2.Execution: ...

    def get_execution_outputs(self, ref: ExecutionRef) -> execution_pb2.ExecutionOutputs: ...

    def list_executions(self, workspace: WorkspaceRef, plan: ListPlan) -> Page[bytes]: ...


class OperationStore(Lists, Protocol):
    """Long-running operations (runyard.store.operations)."""

    def create_operation(
        self, ref: OperationRef, operation: Operation, selection: RunSelection, request_key: str
    ) -> Operation: ...

    def count_runs(self, selection: RunSelection, states: frozenset[int]) -> int:
        """How many runs of `selection` are in `states` now."""
        ...

    def get_operation(self, ref: OperationRef) -> Operation: ...

    def list_operations(self, workspace: WorkspaceRef, plan: ListPlan) -> Page[bytes]: ...

    def list_operation_failures(self, ref: OperationRef, plan: ListPlan) -> Page[bytes]: ...

    def cancel_operation(self, ref: OperationRef, now_us: int) -> Operation: ...

    def claim_operation(self, owner: str, now_us: int, lease_us: int) -> int | None:
        """Takes the lease of an unfinished operation nobody holds; its row id."""
        ...

    def advance_operation(
        self,
        op_id: int,
        owner: str,
        now_us: int,
        lease_us: int,
        limit_for: Callable[[Operation], int],
        action_for: Callable[[Operation], BulkAction],
    ) -> Operation | None:
        """Changes up to `limit_for(operation)` more runs in one transaction and
        records the progress; None when `owner` no longer holds the lease or it is done."""
        ...

    def release_operation(self, op_id: int, owner: str) -> None: ...


class ArchiveStore(Protocol):
    """Retention (runyard.store.archive): the counts and look-ups of archiving
    and purging (the moves themselves are operation batches)."""

    def count_runs_to_archive(self, workspace: WorkspaceRef, cutoff_us: int) -> int: ...

    def count_runs_to_purge(self, workspace: WorkspaceRef, cutoff_us: int) -> int: ...

    def retention_workspaces(self) -> list[workspace_pb2.Workspace]: ...

    def unfinished_operation(self, workspace: WorkspaceRef, action: int) -> bool: ...


class RetentionStore(OperationStore, ArchiveStore, Protocol):
    """What starting archive and purge operations needs."""

    def get_workspace(self, ref: WorkspaceRef) -> workspace_pb2.Workspace: ...


class Store(
    WorkspaceStore,
    RunStore,
    AggregateStore,
    ExecutionStore,
    OperationStore,
    ArchiveStore,
    Protocol,
):
    """Every aggregate on one database."""

    # Access tokens (runyard.store.tokens) and the key their secrets are hashed with.
    tokens: TokenStore
    token_pepper: bytes

    def close(self) -> None: ...

    def ping(self) -> None: ...
