"""Parsed resource names: what the API layer hands to the store."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkspaceRef:
    organization: str
    workspace: str

    @property
    def name(self) -> str:
        return f"organizations/{self.organization}/workspaces/{self.workspace}"


@dataclass(frozen=True)
class AutomationRef:
    workspace: WorkspaceRef
    automation: str  # "-" (AIP-159) lists across the workspace

    @property
    def name(self) -> str:
        return f"{self.workspace.name}/automations/{self.automation}"


@dataclass(frozen=True)
class RunRef:
    automation: AutomationRef
    run: str

    @property
    def name(self) -> str:
        return f"{self.automation.name}/runs/{self.run}"


@dataclass(frozen=True)
class ExecutionRef:
    workspace: WorkspaceRef
    execution: str

    @property
    def name(self) -> str:
        return f"{self.workspace.name}/executions/{self.execution}"

    @property
    def outputs_name(self) -> str:
        return f"{self.name}/outputs"
