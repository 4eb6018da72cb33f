"""runyard.v1.TokenService: an organization's admins issue, read and revoke tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from runyard.aip.errors import required
from runyard.api import names
from runyard.api.context import blocking, list_plan, now_us, principal, reading, request_key
from runyard.api.pages import framed_response
from runyard.auth.issue import TOKEN, issue_token
from runyard.gateway.framed import Framed
from runyard.store.interface import Store
from runyard.store.tokens import TOKENS
from runyard.v1 import token_pb2, token_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
Token = token_pb2.Token


class TokenService(token_pb2_grpc.TokenServiceServicer):
    def __init__(self, store: Store, on_revoke: Callable[[str], None] = lambda _: None) -> None:
        self.store = store
        self.on_revoke = on_revoke

    async def CreateToken(self, request: token_pb2.CreateTokenRequest, context: Ctx) -> Token:
        org = names.organization(request.parent)
        if not request.HasField("token"):
            raise required("token")
        who = principal()
        key = request_key("CreateToken", request.parent, request.request_id, request)
        return await blocking(
            lambda: issue_token(
                self.store.tokens,
                self.store.token_pepper,
                org,
                request.token,
                creator=who.name if who else "anonymous",
                now_us=now_us(),
                request_key=key,
            )
        )

    async def GetToken(self, request: token_pb2.GetTokenRequest, context: Ctx) -> Token:
        ids = TOKEN.parse(request.name, "name")
        return await reading(self.store.tokens.get_token, ids["organization"], ids["token"])

    async def ListTokens(
        self, request: token_pb2.ListTokensRequest, context: Ctx
    ) -> Framed[token_pb2.ListTokensResponse]:
        org = names.organization(request.parent)
        plan = list_plan(request, TOKENS, self.store.tokens.page_tokens)
        page = await reading(self.store.tokens.list_tokens, org, plan)
        return framed_response(token_pb2.ListTokensResponse, page)

    async def RevokeToken(self, request: token_pb2.RevokeTokenRequest, context: Ctx) -> Token:
        ids = TOKEN.parse(request.name, "name")
        token = await blocking(
            self.store.tokens.revoke_token, ids["organization"], ids["token"], now_us()
        )
        self.on_revoke(token.name)
        return token
