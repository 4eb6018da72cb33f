"""Store references build the names their patterns parse, and parse what they build."""

from __future__ import annotations

from runyard.store.refs import AutomationRef, ExecutionRef, RunRef, WorkspaceRef

WS = WorkspaceRef("acme", "data")
RUN = RunRef(AutomationRef(WS, "nightly"), "r1")


def test_names_round_trip() -> None:
    assert WS.name == "organizations/acme/workspaces/data"
    assert WorkspaceRef.parse(WS.name) == WS
    assert AutomationRef.parse(RUN.automation.name) == RUN.automation
    assert RUN.name == "organizations/acme/workspaces/data/automations/nightly/runs/r1"
    assert RunRef.parse(RUN.name) == RUN
    assert RUN.event_name(3) == RUN.name + "/events/3"
    parsed = RunRef.parse(RUN.name)  # keeps the name it parsed: the one RUN formats
    assert parsed.name == RUN.name and parsed.event_name(3) == RUN.event_name(3)
    assert hash(parsed) == hash(RUN)
    execution = ExecutionRef(WS, "x1")
    assert ExecutionRef.parse(execution.name) == execution
    assert execution.outputs_name == execution.name + "/outputs"
    assert ExecutionRef.parse(execution.outputs_name, outputs=True) == execution


def test_wildcard_automation() -> None:
    every = AutomationRef.parse(WS.name + "/automations/-", wildcard=True)
    assert every == AutomationRef(WS, "-") and every.name == WS.name + "/automations/-"


def test_automation_id_of_a_name_or_an_id() -> None:
    assert AutomationRef.id_of(RUN.automation.name) == "nightly"
    assert AutomationRef.id_of("nightly") == "nightly"
    assert AutomationRef.id_of("Nightly") is None
    assert AutomationRef.id_of(RUN.name) is None
