"""runyard's resource names: one pattern per resource type (AIP-122), and the
parsed references the API layer hands to the store. Names are parsed and built
from the same patterns (runyard.aip.names.Pattern), nowhere else."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from runyard.aip.names import Pattern, is_valid_id

ORGANIZATION = Pattern("organizations/{organization}", "runyard.dev/Organization")
WORKSPACE = ORGANIZATION.child("workspaces", "workspace", "runyard.dev/Workspace")
AUTOMATION = WORKSPACE.child("automations", "automation", "runyard.dev/Automation")
RUN = AUTOMATION.child("runs", "run", "runyard.dev/Run")
RUN_EVENT = RUN.child("events", "event", "runyard.dev/RunEvent")
EXECUTION = WORKSPACE.child("executions", "execution", "runyard.dev/Execution")
TOKEN = ORGANIZATION.child("tokens", "token", "runyard.dev/Token")
OPERATION = WORKSPACE.child("operations", "operation", "runyard.dev/Operation")
EXECUTION_OUTPUTS = Pattern(EXECUTION.template + "/outputs", "runyard.dev/ExecutionOutputs")


@dataclass(frozen=True)
class WorkspaceRef:
    organization: str
    workspace: str

    @property
    def name(self) -> str:
        return WORKSPACE.format(**self.ids())

    def ids(self) -> dict[str, str]:
        return {"organization": self.organization, "workspace": self.workspace}

    @classmethod
    def parse(cls, name: str, field: str = "name") -> WorkspaceRef:
        ids = WORKSPACE.parse(name, field)
        return cls(ids["organization"], ids["workspace"])


@dataclass(frozen=True)
class AutomationRef:
    workspace: WorkspaceRef
    automation: str  # "-" (AIP-159) lists across the workspace

    @property
    def name(self) -> str:
        return AUTOMATION.format(**self.ids())

    def ids(self) -> dict[str, str]:
        return {**self.workspace.ids(), "automation": self.automation}

    @classmethod
    def parse(cls, name: str, field: str = "name", *, wildcard: bool = False) -> AutomationRef:
        ids = AUTOMATION.parse(name, field, wildcards=("automation",) if wildcard else ())
        return cls(WorkspaceRef(ids["organization"], ids["workspace"]), ids["automation"])

    @staticmethod
    def id_of(value: str) -> str | None:
        """The automation id of a full automation name or of a bare id; None for neither."""
        ids = AUTOMATION.match(value)
        if ids is not None:
            return ids["automation"]
        return value if is_valid_id(value) else None


@dataclass(frozen=True)
class RunRef:
    automation: AutomationRef
    run: str

    @functools.cached_property
    def name(self) -> str:
        return RUN.format(**self.automation.ids(), run=self.run)

    def event_name(self, sequence: int) -> str:
        # Event ids are their sequence numbers: built here, never parsed.
        # RUN_EVENT is RUN's child "events/{event}".
        return f"{self.name}/events/{sequence}"

    @classmethod
    def parse(cls, name: str, field: str = "name") -> RunRef:
        ids = RUN.parse(name, field)
        workspace = WorkspaceRef(ids["organization"], ids["workspace"])
        ref = cls(AutomationRef(workspace, ids["automation"]), ids["run"])
        # A name that parses is the canonical one: `name` would format it again.
        ref.__dict__["name"] = name
        return ref


@dataclass(frozen=True)
class ExecutionRef:
    workspace: WorkspaceRef
    execution: str

    @property
    def name(self) -> str:
        return EXECUTION.format(**self.workspace.ids(), execution=self.execution)

    @property
    def outputs_name(self) -> str:
        return EXECUTION_OUTPUTS.format(**self.workspace.ids(), execution=self.execution)

    @classmethod
    def parse(cls, name: str, field: str = "name", *, outputs: bool = False) -> ExecutionRef:
        ids = (EXECUTION_OUTPUTS if outputs else EXECUTION).parse(name, field)
        return cls(WorkspaceRef(ids["organization"], ids["workspace"]), ids["execution"])


@dataclass(frozen=True)
class OperationRef:
    workspace: WorkspaceRef
    operation: str

    @property
    def name(self) -> str:
        return OPERATION.format(**self.workspace.ids(), operation=self.operation)

    @classmethod
    def parse(cls, name: str, field: str = "name") -> OperationRef:
        ids = OPERATION.parse(name, field)
        return cls(WorkspaceRef(ids["organization"], ids["workspace"]), ids["operation"])
