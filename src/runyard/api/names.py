"""runyard's resource name patterns and their parsing into store references."""

from __future__ import annotations

from runyard.aip.names import Pattern
from runyard.store.refs import AutomationRef, ExecutionRef, RunRef, WorkspaceRef

ORGANIZATION = Pattern("organizations/{organization}", "runyard.dev/Organization")
WORKSPACE = Pattern("organizations/{organization}/workspaces/{workspace}", "runyard.dev/Workspace")
AUTOMATION = Pattern(WORKSPACE.template + "/automations/{automation}", "runyard.dev/Automation")
RUN = Pattern(AUTOMATION.template + "/runs/{run}", "runyard.dev/Run")
EXECUTION = Pattern(WORKSPACE.template + "/executions/{execution}", "runyard.dev/Execution")
EXECUTION_OUTPUTS = Pattern(EXECUTION.template + "/outputs", "runyard.dev/ExecutionOutputs")


def organization(name: str, field: str = "parent") -> str:
    return ORGANIZATION.parse(name, field)["organization"]


def workspace(name: str, field: str = "name") -> WorkspaceRef:
    ids = WORKSPACE.parse(name, field)
    return WorkspaceRef(ids["organization"], ids["workspace"])


def automation(name: str, field: str = "name", *, wildcard: bool = False) -> AutomationRef:
    ids = AUTOMATION.parse(name, field, wildcards=("automation",) if wildcard else ())
    return AutomationRef(WorkspaceRef(ids["organization"], ids["workspace"]), ids["automation"])


def run(name: str, field: str = "name") -> RunRef:
    ids = RUN.parse(name, field)
    return RunRef(
        AutomationRef(WorkspaceRef(ids["organization"], ids["workspace"]), ids["automation"]),
        ids["run"],
    )


def execution(name: str, field: str = "name") -> ExecutionRef:
    ids = EXECUTION.parse(name, field)
    return ExecutionRef(WorkspaceRef(ids["organization"], ids["workspace"]), ids["execution"])


def execution_outputs(name: str, field: str = "name") -> ExecutionRef:
    ids = EXECUTION_OUTPUTS.parse(name, field)
    return ExecutionRef(WorkspaceRef(ids["organization"], ids["workspace"]), ids["execution"])
