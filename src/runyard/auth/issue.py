"""Issuing a token: checks its settings, makes its secret and stores its hash.
The TokenService and `runyard tokens create` both issue tokens through here."""

from __future__ import annotations

from runyard.aip.errors import invalid_argument, required
from runyard.auth import secrets
from runyard.store.refs import TOKEN, WORKSPACE
from runyard.store.tokens import TokenStore
from runyard.v1 import token_pb2

Token = token_pb2.Token
MAX_DISPLAY_NAME = 200


def issue_token(
    tokens: TokenStore,
    pepper: bytes,
    organization: str,
    template: Token,
    *,
    creator: str,
    now_us: int,
    request_key: str = "",
) -> Token:
    """Stores a new token made from `template` and returns it with its secret."""
    token = Token()
    token.CopyFrom(template)
    _check(token, organization, now_us)
    if token.HasField("ttl"):
        token.expire_time.FromMicroseconds(now_us + token.ttl.ToMicroseconds())
        token.ClearField("ttl")
    token.name = TOKEN.format(organization=organization, token=secrets.new_token_id())
    token.creator = creator
    token.create_time.FromMicroseconds(now_us)
    for output_only in ("uid", "last_use_time", "revoke_time", "secret"):
        token.ClearField(output_only)
    secret = secrets.new_secret()
    stored = tokens.create_token(organization, token, secrets.digest(pepper, secret), request_key)
    result = Token()
    result.CopyFrom(stored)
    if stored.name == token.name:  # a replayed request gets no secret again
        result.secret = secret
    return result


def _check(token: Token, organization: str, now_us: int) -> None:
    if token.role == Token.ROLE_UNSPECIFIED:
        raise required("token.role")
    if token.role not in Token.Role.values():
        raise invalid_argument("token.role", "is not a known role", "INVALID_ROLE")
    if token.workspace:
        ids = WORKSPACE.parse(token.workspace, "token.workspace")
        if ids["organization"] != organization:
            raise invalid_argument(
                "token.workspace", "must be a workspace of the token's organization"
            )
    if token.HasField("ttl") and token.HasField("expire_time"):
        raise invalid_argument("token.ttl", "give either ttl or expire_time, not both")
    if token.HasField("ttl") and token.ttl.ToMicroseconds() <= 0:
        raise invalid_argument("token.ttl", "must be positive")
    if token.HasField("expire_time") and token.expire_time.ToMicroseconds() <= now_us:
        raise invalid_argument("token.expire_time", "must be in the future")
    if token.rate_limit < 0 or token.rate_burst < 0:
        raise invalid_argument("token.rate_limit", "must not be negative")
    if len(token.display_name) > MAX_DISPLAY_NAME:
        raise invalid_argument(
            "token.display_name", f"must be at most {MAX_DISPLAY_NAME} characters"
        )
