"""Secrets: argon2 password hashes, API tokens stored as SHA-256, random public keys.

API tokens carry 240 random bits, so a fast hash is enough to make a stolen database
useless for calling the API (as GitHub and Stripe do); passwords are low-entropy and get
argon2id.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "cs_"  # noqa: S105 (a public prefix, not a secret)
TOKEN_VISIBLE_CHARS = 11  # "cs_" plus 8 random characters, shown in listings

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(30)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def visible_prefix(token: str) -> str:
    return token[:TOKEN_VISIBLE_CHARS]


def new_password() -> str:
    return secrets.token_urlsafe(12)


def new_public_key(nbytes: int = 12) -> str:
    """A public identifier (site key): unguessable, URL-safe, no look-alike characters mixed in."""
    return secrets.token_hex(nbytes)


def new_webhook_secret() -> str:
    """The key an account's PBX signs generic call webhooks with (HMAC-SHA256)."""
    return "whsec_" + secrets.token_hex(24)
