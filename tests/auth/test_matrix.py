"""The permission matrix, cell by cell, over gRPC and over HTTP: every RPC of
every service x no token, a malformed, unknown, expired or revoked token, a
token of another organization, a workspace-limited token on another
workspace, and each role. Outside a token's scope the answer for an existing
and for a missing resource is byte-identical (AIP-211)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import httpx
import pytest

from runyard.auth import policy
from runyard.v1 import token_pb2
from tests.auth.conftest import World
from tests.auth.matrix import Call, calls

CALLS = calls()
UNAUTHENTICATED = ("none", "malformed", "unknown", "expired", "revoked")
OUTSIDE = ("other-org", "other-workspace")
ROLES = ("viewer", "operator", "runner", "admin")
DENIED = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}
HTTP_CODE = {grpc.StatusCode.UNAUTHENTICATED: 401, grpc.StatusCode.PERMISSION_DENIED: 403}


def expected(identity: str, call: Call) -> grpc.StatusCode | None:
    """The documented answer, or None for 'allowed' (anything but a denial)."""
    if identity in UNAUTHENTICATED:
        return grpc.StatusCode.UNAUTHENTICATED
    if identity in OUTSIDE:
        return grpc.StatusCode.PERMISSION_DENIED
    if identity == "workspace-admin":
        return (
            grpc.StatusCode.PERMISSION_DENIED
            if call.rule.scope is policy.Scope.ORGANIZATION
            else None
        )
    role = token_pb2.Token.Role.Value(identity.upper())
    return None if policy.allows(role, call.rule.permission) else grpc.StatusCode.PERMISSION_DENIED


IDENTITIES = (*UNAUTHENTICATED, *OUTSIDE, *ROLES, "workspace-admin")


@pytest.fixture(scope="module")
def channel(world: World) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(world.server.grpc_target) as ch:
        yield ch


@pytest.fixture(scope="module")
def http(world: World) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=world.server.http_base) as client:
        yield client


@pytest.mark.parametrize("identity", IDENTITIES)
def test_grpc_matrix(world: World, channel: grpc.Channel, identity: str) -> None:
    wrong = []
    for call in CALLS:
        want = expected(identity, call)
        code, _ = call.grpc(channel, call.harmless_target(world), world.secrets[identity])
        if (want is None and code in DENIED) or (want is not None and code != want):
            wrong.append(f"{call.method.full_name}: {code.name}, expected {want or 'allowed'}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("identity", IDENTITIES)
def test_http_matrix(world: World, http: httpx.Client, identity: str) -> None:
    wrong = []
    for call in CALLS:
        want = expected(identity, call)
        if want is None and call.streaming:
            continue  # an allowed watch keeps the connection open
        r = call.http(http, call.harmless_target(world), world.secrets[identity])
        if want is None:
            if r.status_code in (401, 403):
                wrong.append(f"{call.method.full_name}: {r.status_code}, expected allowed")
            continue
        if r.status_code != HTTP_CODE[want]:
            wrong.append(f"{call.method.full_name}: {r.status_code} {r.text[:200]}")
        elif want is grpc.StatusCode.UNAUTHENTICATED and not r.headers.get(
            "www-authenticate", ""
        ).startswith("Bearer"):
            wrong.append(f"{call.method.full_name}: 401 without WWW-Authenticate: Bearer")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("identity", OUTSIDE)
def test_outside_scope_reveals_nothing(
    world: World, channel: grpc.Channel, http: httpx.Client, identity: str
) -> None:
    auth = world.secrets[identity]
    for call in CALLS:
        existing, missing = call.target_names(world)
        a, b = call.grpc(channel, existing, auth), call.grpc(channel, missing, auth)
        assert a == b, call.method.full_name
        assert a[0] == grpc.StatusCode.PERMISSION_DENIED
        ra, rb = call.http(http, existing, auth), call.http(http, missing, auth)
        assert (ra.status_code, ra.content) == (rb.status_code, rb.content), call.method.full_name
        assert ra.status_code == 403


def test_every_rpc_is_in_the_policy() -> None:
    # calls() asserts each method has a rule; each rule's field must exist too.
    for call in CALLS:
        call.request("organizations/x")
