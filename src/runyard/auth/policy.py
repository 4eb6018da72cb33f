"""The permission matrix as data: which permission each RPC needs, where its
resource name is in the request, and which roles hold which permissions.

An RPC not listed here is refused (PERMISSION_DENIED) whatever the token;
tests/auth/test_policy.py checks that every RPC of every service is listed.
docs/security.md shows the same matrix as a table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from runyard.v1 import token_pb2

Role = token_pb2.Token.Role


class Permission(enum.Enum):
    READ = "read"  # workspaces, automations, runs, events, executions, aggregates
    RUNS_READ = "runs.read"  # runs, their events and executions only
    RUNS_CREATE = "runs.create"
    RUNS_CONTROL = "runs.control"  # pause, continue, cancel, retry
    RUNS_REPORT = "runs.report"  # the RunnerService
    CONFIGURE = "configure"  # create/update/delete workspaces and automations
    TOKENS = "tokens"  # create, read and revoke tokens


class Scope(enum.Enum):
    """How far up the name tree an RPC reaches: a workspace-limited token may
    make WORKSPACE calls in its own workspace and no ORGANIZATION call."""

    ORGANIZATION = "organization"
    WORKSPACE = "workspace"


@dataclass(frozen=True)
class Rule:
    permission: Permission
    # The request field holding the resource name: "name", "parent", or a
    # dotted path such as "automation.name".
    field: str
    scope: Scope = Scope.WORKSPACE


ROLE_PERMISSIONS: dict[int, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ, Permission.RUNS_READ}),
    Role.OPERATOR: frozenset(
        {Permission.READ, Permission.RUNS_READ, Permission.RUNS_CREATE, Permission.RUNS_CONTROL}
    ),
    Role.RUNNER: frozenset({Permission.RUNS_READ, Permission.RUNS_CREATE, Permission.RUNS_REPORT}),
    Role.ADMIN: frozenset(Permission),
}

P = Permission
_RUNS = "/runyard.v1.RunService/"
_RUNNER = "/runyard.v1.RunnerService/"
_WS = "/runyard.v1.WorkspaceService/"
_AUTO = "/runyard.v1.AutomationService/"
_EXEC = "/runyard.v1.ExecutionService/"
_TOKENS = "/runyard.v1.TokenService/"
_OPS = "/runyard.v1.OperationService/"
_BATCH = "/runyard.v1.RunBatchService/"
ORG = Scope.ORGANIZATION

METHODS: dict[str, Rule] = {
    _WS + "CreateWorkspace": Rule(P.CONFIGURE, "parent", ORG),
    _WS + "GetWorkspace": Rule(P.READ, "name"),
    _WS + "ListWorkspaces": Rule(P.READ, "parent", ORG),
    _WS + "UpdateWorkspace": Rule(P.CONFIGURE, "workspace.name"),
    _AUTO + "CreateAutomation": Rule(P.CONFIGURE, "parent"),
    _AUTO + "GetAutomation": Rule(P.READ, "name"),
    _AUTO + "ListAutomations": Rule(P.READ, "parent"),
    _AUTO + "UpdateAutomation": Rule(P.CONFIGURE, "automation.name"),
    _AUTO + "DeleteAutomation": Rule(P.CONFIGURE, "name"),
    _RUNS + "GetRun": Rule(P.RUNS_READ, "name"),
    _RUNS + "ListRuns": Rule(P.RUNS_READ, "parent"),
    _RUNS + "CreateRun": Rule(P.RUNS_CREATE, "parent"),
    _RUNS + "PauseRun": Rule(P.RUNS_CONTROL, "name"),
    _RUNS + "ContinueRun": Rule(P.RUNS_CONTROL, "name"),
    _RUNS + "CancelRun": Rule(P.RUNS_CONTROL, "name"),
    _RUNS + "RetryRun": Rule(P.RUNS_CONTROL, "name"),
    _RUNS + "ListRunEvents": Rule(P.RUNS_READ, "parent"),
    _RUNS + "WatchRunEvents": Rule(P.RUNS_READ, "parent"),
    _RUNS + "WatchRuns": Rule(P.RUNS_READ, "parent"),
    _RUNS + "QueryDailyRunAggregates": Rule(P.READ, "parent"),
    _RUNS + "QueryAutomationRunAggregates": Rule(P.READ, "parent"),
    _RUNNER + "StartRun": Rule(P.RUNS_REPORT, "name"),
    _RUNNER + "CompleteRun": Rule(P.RUNS_REPORT, "name"),
    _RUNNER + "AppendRunEvents": Rule(P.RUNS_REPORT, "parent"),
    _RUNNER + "CreateExecution": Rule(P.RUNS_REPORT, "parent"),
    _EXEC + "GetExecution": Rule(P.RUNS_READ, "name"),
    _EXEC + "ListExecutions": Rule(P.RUNS_READ, "parent"),
    _EXEC + "GetExecutionOutputs": Rule(P.RUNS_READ, "name"),
    _TOKENS + "CreateToken": Rule(P.TOKENS, "parent", ORG),
    _TOKENS + "GetToken": Rule(P.TOKENS, "name", ORG),
    _TOKENS + "ListTokens": Rule(P.TOKENS, "parent", ORG),
    _TOKENS + "RevokeToken": Rule(P.TOKENS, "name", ORG),
    _OPS + "GetOperation": Rule(P.RUNS_READ, "name"),
    _OPS + "ListOperations": Rule(P.RUNS_READ, "parent"),
    _OPS + "ListOperationFailures": Rule(P.RUNS_READ, "parent"),
    _OPS + "CancelOperation": Rule(P.RUNS_CONTROL, "name"),
    _BATCH + "BatchCancelRuns": Rule(P.RUNS_CONTROL, "parent"),
    _BATCH + "BatchPauseRuns": Rule(P.RUNS_CONTROL, "parent"),
    _BATCH + "BatchContinueRuns": Rule(P.RUNS_CONTROL, "parent"),
    _BATCH + "BatchRetryRuns": Rule(P.RUNS_CONTROL, "parent"),
    # Archiving hides nothing (archived runs stay readable); purging deletes for good.
    _BATCH + "ArchiveRuns": Rule(P.RUNS_CONTROL, "parent"),
    _BATCH + "PurgeArchivedRuns": Rule(P.CONFIGURE, "parent"),
}

# Open to everyone: they show the API's shape and liveness, no data.
PUBLIC_PREFIXES = (
    "/grpc.reflection.",
    "/grpc.health.",
)


def is_public(method: str) -> bool:
    return method.startswith(PUBLIC_PREFIXES)


def allows(role: int, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def roles_allowed(permission: Permission) -> list[str]:
    return [Role.Name(r) for r, perms in ROLE_PERMISSIONS.items() if permission in perms]
