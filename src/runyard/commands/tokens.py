"""`runyard tokens create|list|revoke`: token administration straight on the
database, for the first admin token of an organization (bootstrap) and for
operators with database access. Admins with a token use TokenService instead."""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import Any

from runyard.commands.server_commands import DATABASE_HELP

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^(\d+)([smhdw])$")


def register(sub: Any) -> None:
    tokens = sub.add_parser(
        "tokens",
        help="create, list and revoke access tokens directly in the database",
        description="Token administration on the database itself. `tokens create` is how an "
        "organization gets its first admin token; it prints the secret alone on the last "
        "line of stdout (shown once, stored only as a keyed hash).",
    )
    actions = tokens.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="issue a token and print its secret")
    create.add_argument("--database-url", help=DATABASE_HELP)
    create.add_argument("--organization", required=True, help="organization id, e.g. acme")
    create.add_argument("--role", required=True, choices=["viewer", "operator", "runner", "admin"])
    create.add_argument("--workspace", help="limit the token to this workspace id")
    create.add_argument(
        "--expires-in", metavar="DURATION", help="lifetime such as 30m, 12h, 90d or 2w"
    )
    create.add_argument("--display-name", default="", help="a human-readable name")
    create.set_defaults(func=_create)

    lister = actions.add_parser("list", help="list an organization's tokens (no secrets)")
    lister.add_argument("--database-url", help=DATABASE_HELP)
    lister.add_argument("--organization", required=True)
    lister.set_defaults(func=_list)

    revoke = actions.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("--database-url", help=DATABASE_HELP)
    revoke.add_argument("name", help="organizations/ORG/tokens/ID")
    revoke.set_defaults(func=_revoke)


def parse_duration(text: str) -> int:
    """`90d` -> seconds."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) <= 0:
        raise SystemExit(f"--expires-in: expected a duration such as 30m, 12h or 90d, got {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _store(args: argparse.Namespace) -> Any:
    from runyard.store.engine import resolve_url
    from runyard.store.sql import open_store

    return open_store(resolve_url(args.database_url))


def _create(args: argparse.Namespace) -> int:
    from runyard.aip.errors import ApiError
    from runyard.aip.names import is_valid_id
    from runyard.auth.issue import issue_token
    from runyard.v1 import token_pb2

    if not is_valid_id(args.organization):
        raise SystemExit(f"--organization: {args.organization!r} is not a valid id")
    token = token_pb2.Token(role=args.role.upper(), display_name=args.display_name)
    if args.workspace:
        token.workspace = f"organizations/{args.organization}/workspaces/{args.workspace}"
    if args.expires_in:
        token.ttl.FromSeconds(parse_duration(args.expires_in))
    store = _store(args)
    try:
        issued = issue_token(
            store.tokens,
            store.token_pepper,
            args.organization,
            token,
            creator="bootstrap",
            now_us=time.time_ns() // 1000,
        )
    except ApiError as error:
        print(f"runyard tokens create: {error.message}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"created {issued.name} ({args.role}); the secret is shown only now:")
    print(issued.secret)
    return 0


def _list(args: argparse.Namespace) -> int:
    from runyard.aip.listing import ListRequest, plan_list
    from runyard.store.tokens import TOKENS
    from runyard.v1 import token_pb2

    store = _store(args)
    try:
        params = ListRequest(parent=f"organizations/{args.organization}", page_size=1000)
        print(f"{'NAME':<45} {'ROLE':<9} {'WORKSPACE':<20} {'STATE':<8} DISPLAY NAME")
        while True:
            plan = plan_list(TOKENS, params, store.tokens.page_tokens)
            page = store.tokens.list_tokens(args.organization, plan)
            for body in page.items:
                t = token_pb2.Token.FromString(body)
                state = _state(t)
                ws = t.workspace.rsplit("/", 1)[-1] if t.workspace else "*"
                role = token_pb2.Token.Role.Name(t.role).lower()
                print(f"{t.name:<45} {role:<9} {ws:<20} {state:<8} {t.display_name}")
            if not page.next_page_token:
                return 0
            params = ListRequest(
                parent=params.parent, page_size=1000, page_token=page.next_page_token
            )
    finally:
        store.close()


def _state(token: Any) -> str:
    if token.HasField("revoke_time"):
        return "revoked"
    if (
        token.HasField("expire_time")
        and token.expire_time.ToMicroseconds() <= time.time_ns() // 1000
    ):
        return "expired"
    return "active"


def _revoke(args: argparse.Namespace) -> int:
    from runyard.aip.errors import ApiError
    from runyard.auth.issue import TOKEN

    store = _store(args)
    try:
        ids = TOKEN.parse(args.name, "name")
        store.tokens.revoke_token(ids["organization"], ids["token"], time.time_ns() // 1000)
    except ApiError as error:
        print(f"runyard tokens revoke: {error.message}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"revoked {args.name}")
    return 0
