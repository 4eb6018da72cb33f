"""Resource names in requests, parsed into store references with the request
field a malformed one is reported on (the patterns are in runyard.store.refs)."""

from __future__ import annotations

from runyard.store.refs import (
    ORGANIZATION,
    AutomationRef,
    ExecutionRef,
    OperationRef,
    RunRef,
    WorkspaceRef,
)


def organization(name: str, field: str = "parent") -> str:
    return ORGANIZATION.parse(name, field)["organization"]


def workspace(name: str, field: str = "name") -> WorkspaceRef:
    return WorkspaceRef.parse(name, field)


def automation(name: str, field: str = "name", *, wildcard: bool = False) -> AutomationRef:
    return AutomationRef.parse(name, field, wildcard=wildcard)


def run(name: str, field: str = "name") -> RunRef:
    return RunRef.parse(name, field)


def execution(name: str, field: str = "name") -> ExecutionRef:
    return ExecutionRef.parse(name, field)


def execution_outputs(name: str, field: str = "name") -> ExecutionRef:
    return ExecutionRef.parse(name, field, outputs=True)


def operation(name: str, field: str = "name") -> OperationRef:
    return OperationRef.parse(name, field)
