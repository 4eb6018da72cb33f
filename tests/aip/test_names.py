"""AIP-122 resource names: table-driven."""

from __future__ import annotations

import grpc
import pytest

from runyard.aip.errors import ApiError
from runyard.aip.names import Pattern, generated_id, is_valid_id

RUN = Pattern(
    "organizations/{organization}/workspaces/{workspace}/automations/{automation}/runs/{run}",
    "runyard.dev/Run",
)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("a", True),
        ("nightly-etl", True),
        ("a1", True),
        ("x" * 63, True),
        ("x" * 64, False),
        ("", False),
        ("1abc", False),
        ("Abc", False),
        ("ab-", False),
        ("a_b", False),
        ("a.b", False),
        ("-", False),
    ],
)
def test_ids(value: str, valid: bool) -> None:
    assert is_valid_id(value) is valid


@pytest.mark.parametrize(
    ("name", "wildcards", "expected"),
    [
        (
            "organizations/o/workspaces/w/automations/a/runs/r1",
            (),
            {"organization": "o", "workspace": "w", "automation": "a", "run": "r1"},
        ),
        (
            "organizations/o/workspaces/w/automations/-/runs/r1",
            ("automation",),
            {"organization": "o", "workspace": "w", "automation": "-", "run": "r1"},
        ),
    ],
)
def test_parse(name: str, wildcards: tuple[str, ...], expected: dict[str, str]) -> None:
    assert RUN.parse(name, wildcards=wildcards) == expected
    assert RUN.format(**expected) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "REQUIRED_FIELD_MISSING"),
        ("organizations/o/workspaces/w/automations/a", "INVALID_RESOURCE_NAME"),
        ("organizations/o/workspaces/w/automations/a/runs/r/x", "INVALID_RESOURCE_NAME"),
        ("organisations/o/workspaces/w/automations/a/runs/r", "INVALID_RESOURCE_NAME"),
        ("organizations/o/workspaces/w/automations/-/runs/r", "INVALID_RESOURCE_NAME"),
        ("organizations/O/workspaces/w/automations/a/runs/r", "INVALID_RESOURCE_NAME"),
        ("organizations//workspaces/w/automations/a/runs/r", "INVALID_RESOURCE_NAME"),
        ("organizations/o/workspaces/w/automations/a/runs/" + "r" * 70, "INVALID_RESOURCE_NAME"),
    ],
)
def test_malformed_names_are_invalid_argument(name: str, reason: str) -> None:
    with pytest.raises(ApiError) as err:
        RUN.parse(name, "parent")
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.reason == reason
    assert [v.field for v in err.value.field_violations] == ["parent"]


def test_format_needs_every_variable_and_no_other() -> None:
    with pytest.raises(ValueError):
        RUN.format(organization="o", workspace="w", automation="a")
    with pytest.raises(ValueError):
        RUN.format(organization="o", workspace="w", automation="a", run="r", extra="x")


def test_match_is_parse_without_the_error() -> None:
    assert RUN.match("organizations/o/workspaces/w/automations/a/runs/r") is not None
    assert RUN.match("organizations/o/workspaces/w/automations/a") is None


def test_generated_ids_are_valid_and_sort_by_creation() -> None:
    first, second = generated_id("r", at_ms=1), generated_id("r", at_ms=2)
    assert is_valid_id(first) and is_valid_id(second) and first < second
    assert generated_id("x", at_ms=255, tail="000007") == "x000000000ff000007"
