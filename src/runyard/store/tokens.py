"""The tokens table: create, read, list, revoke, and look a secret's hash up.

Secrets never reach this module; it stores the keyed hash the caller gives it
(runyard.auth.secrets). Writes share SqlStore's transaction plumbing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from google.protobuf.message import Message
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from runyard.aip.errors import already_exists, not_found
from runyard.aip.filtering import Schema
from runyard.aip.listing import Collection, ListRequest
from runyard.aip.ordering import OrderField
from runyard.aip.pagination import PageTokenCodec
from runyard.store import listing
from runyard.store import tables as t
from runyard.store.interface import Page
from runyard.v1 import token_pb2

Token = token_pb2.Token
M = TypeVar("M", bound=Message)
RESOURCE_TYPE = "runyard.dev/Token"

c = t.tokens.c
TOKENS = Collection(
    name="tokens",
    schema=Schema.of(),
    order_fields={"create_time": OrderField("create_time", c.create_time)},
    default_order="create_time desc",
    tiebreaker=(OrderField("id", c.id),),
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

    def list_tokens(self, organization: str, params: ListRequest) -> Page[bytes]: ...

    def revoke_token(self, organization: str, token_id: str, now_us: int) -> Token: ...

    def find_token(self, secret_hash: bytes) -> TokenRecord | None: ...

    def touch_token(self, organization: str, token_id: str, now_us: int) -> None: ...


Tx = Callable[[], AbstractContextManager[Connection]]
Idempotent = Callable[[str, type[M], Callable[[Connection], M]], M]


class SqlTokenStore:
    def __init__(
        self, read: Tx, write: Tx, idempotent: Idempotent[Token], codec: PageTokenCodec
    ) -> None:
        self._read = read
        self._write = write
        self._idempotent = idempotent
        self._codec = codec

    def create_token(
        self, organization: str, token: Token, secret_hash: bytes, request_key: str
    ) -> Token:
        def work(conn: Connection) -> Token:
            stored = Token()
            stored.CopyFrom(token)
            stored.ClearField("secret")
            stored.uid = str(uuid.uuid4())
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(t.tokens).values(
                            organization=organization,
                            token=stored.name.rsplit("/", 1)[1],
                            workspace=_workspace_id(stored.workspace),
                            role=stored.role,
                            secret_hash=secret_hash,
                            create_time=_us(stored, "create_time"),
                            expire_time=_us(stored, "expire_time"),
                            body=stored.SerializeToString(),
                        )
                    )
            except IntegrityError:
                raise already_exists(RESOURCE_TYPE, stored.name) from None
            return stored

        return self._idempotent(request_key, Token, work)

    def get_token(self, organization: str, token_id: str) -> Token:
        with self._read() as conn:
            return _load(conn, organization, token_id)

    def list_tokens(self, organization: str, params: ListRequest) -> Page[bytes]:
        with self._read() as conn:
            base = select(c.body).where(c.organization == organization)
            return listing.page(conn, TOKENS, base, params, self._codec)

    def revoke_token(self, organization: str, token_id: str, now_us: int) -> Token:
        with self._write() as conn:
            token = _load(conn, organization, token_id)
            if not token.HasField("revoke_time"):
                token.revoke_time.FromMicroseconds(now_us)
                conn.execute(
                    update(t.tokens)
                    .where(c.organization == organization, c.token == token_id)
                    .values(revoke_time=now_us, body=token.SerializeToString())
                )
            return token

    def find_token(self, secret_hash: bytes) -> TokenRecord | None:
        with self._read() as conn:
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
        with self._write() as conn:
            token = _load(conn, organization, token_id)
            token.last_use_time.FromMicroseconds(now_us)
            conn.execute(
                update(t.tokens)
                .where(c.organization == organization, c.token == token_id)
                .values(last_use_time=now_us, body=token.SerializeToString())
            )


def _load(conn: Connection, organization: str, token_id: str) -> Token:
    row = conn.execute(
        select(c.body).where(c.organization == organization, c.token == token_id)
    ).first()
    if row is None:
        raise not_found(RESOURCE_TYPE, f"organizations/{organization}/tokens/{token_id}")
    return Token.FromString(row[0])


def _workspace_id(name: str) -> str:
    return name.rsplit("/", 1)[1] if name else ""


def _us(msg: Message, field: str) -> int | None:
    if not msg.HasField(field):
        return None
    ts = getattr(msg, field)
    return int(ts.seconds) * 1_000_000 + int(ts.nanos) // 1000
