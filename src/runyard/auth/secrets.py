"""Token secrets: how they look, how they are made and how they are stored.

A secret is `ryd_` and 43 url-safe base64 characters (32 random bytes, 256
bits). The store keeps only HMAC-SHA256(pepper, secret), where the pepper is
a random key kept in the database's server_secrets table and shared by every
replica. A fast keyed hash is enough: a 256-bit random secret cannot be
guessed or brute-forced from its hash, so a slow password hash (bcrypt,
argon2) would only add milliseconds to every call; the key means a copy of
the tokens table alone does not even allow checking a candidate secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "ryd_"
_SHAPE = re.compile(r"^ryd_[A-Za-z0-9_-]{43}$")


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def well_formed(secret: str) -> bool:
    return bool(_SHAPE.match(secret))


def digest(pepper: bytes, secret: str) -> bytes:
    return hmac.new(pepper, secret.encode("ascii"), hashlib.sha256).digest()


def new_token_id() -> str:
    """A token's id: 12 lower-case letters and digits, starting with a letter."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "t" + "".join(secrets.choice(alphabet) for _ in range(11))
