"""The tokens table: create, read, list, revoke, and look a secret's hash up.

Secrets never reach this module; it stores the keyed hash the caller gives it
(runyard.auth.secrets). Writes share the store's plumbing (runyard.store.db).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, insert, select, update

from runyard.aip.errors import not_found
from runyard.aip.filtering import Schema
from runyard.aip.listing import Collection, ListPlan
from runyard.aip.ordering import OrderField
from runyard.aip.pagination import PageTokens
from runyard.store import listing
from runyard.store import tables as t
from runyard.store.db import Part, identified, insert_new, opt_micros
from runyard.store.interface import Page
from runyard.store.refs import TOKEN, WorkspaceRef
from runyard.v1 import token_pb2

Token = token_pb2.Token
RESOURCE_TYPE = "runyard.dev/Token"

c = t.tokens.c
TOKENS = Collection(
    name="tokens",
    schema=Schema.of(),
    order_fields={"create_time": OrderField("create_time")},
    default_order="create_time desc",
    tiebreaker=(OrderField("id"),),
)


@dataclass(frozen=True)
class TokenRecord:
    """What authentication needs of a token, found by its secret's hash."""

    token: Token
    expire_us: int | None
    revoke_us: int | None
    last_use_us: int | None


class TokenStore(Protocol):
    def create_token(
        self, organization: str, token: Token, secret_hash: bytes, request_key: str
    ) -> Token: ...

    def get_token(self, organization: str, token_id: str) -> Token: ...

    def list_tokens(self, organization: str, plan: ListPlan) -> Page[bytes]: ...

    @property
    def page_tokens(self) -> PageTokens: ...

    def revoke_token(self, organization: str, token_id: str, now_us: int) -> Token: ...

    def find_token(self, secret_hash: bytes) -> TokenRecord | None: ...

    def touch_token(self, organization: str, token_id: str, now_us: int) -> None: ...


class SqlTokenStore(Part):
    def create_token(
        self, organization: str, token: Token, secret_hash: bytes, request_key: str
    ) -> Token:
        def work(conn: Connection) -> Token:
            stored = identified(token, token.name, versioned=False)
            stored.ClearField("secret")
            statement = insert(t.tokens).values(
                organization=organization,
                token=TOKEN.parse(stored.name)["token"],
                workspace=_workspace_id(stored.workspace),
                role=stored.role,
                secret_hash=secret_hash,
                create_time=opt_micros(stored, "create_time"),
                expire_time=opt_micros(stored, "expire_time"),
                body=stored.SerializeToString(),
            )
            insert_new(conn, statement, RESOURCE_TYPE, stored.name)
            return stored

        return self.db.idempotent(request_key, Token, work)

    def get_token(self, organization: str, token_id: str) -> Token:
        with self.db.read() as conn:
            return _load(conn, organization, token_id)

    @property
    def page_tokens(self) -> PageTokens:
        return self.db.page_tokens

    def list_tokens(self, organization: str, plan: ListPlan) -> Page[bytes]:
        with self.db.read() as conn:
            base = select(c.body).where(c.organization == organization)
            return listing.page(conn, plan, TOKENS, base, t.tokens.c)

    def revoke_token(self, organization: str, token_id: str, now_us: int) -> Token:
        with self.db.write() as conn:
            token = _load(conn, organization, token_id)
            if not token.HasField("revoke_time"):
                token.revoke_time.FromMicroseconds(now_us)
                _save(conn, organization, token_id, token, revoke_time=now_us)
            return token

    def find_token(self, secret_hash: bytes) -> TokenRecord | None:
        with self.db.read() as conn:
            row = conn.execute(
                select(c.body, c.expire_time, c.revoke_time, c.last_use_time).where(
                    c.secret_hash == secret_hash
                )
            ).first()
        if row is None:
            return None
        return TokenRecord(Token.FromString(row[0]), row[1], row[2], row[3])

    def touch_token(self, organization: str, token_id: str, now_us: int) -> None:
        # Called at most once a minute per token (runyard.auth.authenticator).
        with self.db.write() as conn:
            token = _load(conn, organization, token_id)
            token.last_use_time.FromMicroseconds(now_us)
            _save(conn, organization, token_id, token, last_use_time=now_us)


def _load(conn: Connection, organization: str, token_id: str) -> Token:
    row = conn.execute(
        select(c.body).where(c.organization == organization, c.token == token_id)
    ).first()
    if row is None:
        raise not_found(RESOURCE_TYPE, TOKEN.format(organization=organization, token=token_id))
    return Token.FromString(row[0])


def _save(conn: Connection, organization: str, token_id: str, token: Token, **columns: Any) -> None:
    """Rewrites a token's body and the columns that mirror its changed fields."""
    conn.execute(
        update(t.tokens)
        .where(c.organization == organization, c.token == token_id)
        .values(body=token.SerializeToString(), **columns)
    )


def _workspace_id(name: str) -> str:
    return WorkspaceRef.parse(name, "token.workspace").workspace if name else ""
