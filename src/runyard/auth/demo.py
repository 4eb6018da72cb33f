"""The demo's admin token: kept in a file (owner-readable only) so the README
tour can read it, and reused across restarts while it is still valid."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from runyard.auth import secrets
from runyard.auth.issue import issue_token
from runyard.store.interface import Store
from runyard.v1 import token_pb2

log = logging.getLogger("runyard.auth")

DEMO_ORGANIZATION = "demo"


def ensure_demo_token(store: Store, path: Path) -> str:
    """The secret in `path` if it is a valid token of this store, else a new
    admin token of organizations/demo written there."""
    now_us = time.time_ns() // 1000
    if path.exists():
        secret = path.read_text().strip()
        if secrets.well_formed(secret):
            record = store.tokens.find_token(secrets.digest(store.token_pepper, secret))
            if (
                record is not None
                and record.revoke_us is None
                and (record.expire_us is None or record.expire_us > now_us)
            ):
                return secret
    token = issue_token(
        store.tokens,
        store.token_pepper,
        DEMO_ORGANIZATION,
        token_pb2.Token(role=token_pb2.Token.ADMIN, display_name="demo admin"),
        creator="bootstrap",
        now_us=now_us,
    )
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token.secret + "\n")
    log.info("demo admin token %s written to %s", token.name, path)
    return token.secret
