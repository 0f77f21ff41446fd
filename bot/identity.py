"""Who a customer is: the sender id in a signed token, never what a client claims.

Customers (or the shop's login in front of them) send `Authorization: Bearer <JWT>`: HS256,
signed with `CANDOR_JWT_SECRET`, claim `sub` = the sender id; `exp`, when present, is
honoured. `python -m bot token --sender ID` issues one for testing and for shops without
a backend of their own.
"""
from __future__ import annotations

import time
from typing import Any, Mapping, Optional

import jwt

from bot.config import settings

ALGORITHM = "HS256"
MAX_SENDER_LENGTH = 128


class IdentityError(Exception):
    """The request does not prove who sends it; the message says why, for the client."""


def issue(sender_id: str, ttl_seconds: Optional[int] = 86400) -> str:
    """A signed token for `sender_id`, valid for `ttl_seconds` (None: no expiry)."""
    if not sender_id or len(sender_id) > MAX_SENDER_LENGTH:
        raise ValueError(f"a sender id has 1 to {MAX_SENDER_LENGTH} characters")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sender_id, "iat": now}
    if ttl_seconds:
        claims["exp"] = now + ttl_seconds
    return jwt.encode(claims, settings().jwt_secret()[0], algorithm=ALGORITHM)


def verify(token: Optional[str]) -> str:
    """The sender id a token proves; IdentityError when it proves nothing."""
    if not token:
        raise IdentityError("sign in first: send 'Authorization: Bearer <token>' (a JWT whose 'sub' is your sender id)")
    try:
        claims = jwt.decode(token, settings().jwt_secret()[0], algorithms=[ALGORITHM],
                            options={"require": ["sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise IdentityError("the token has expired: sign in again") from exc
    except jwt.PyJWTError as exc:
        raise IdentityError("the token is not valid") from exc
    sender = claims.get("sub")
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_LENGTH:
        raise IdentityError("the token's 'sub' must be a sender id of 1 to 128 characters")
    return sender


def bearer(headers: Mapping[str, str]) -> Optional[str]:
    """The token of an `Authorization: Bearer ...` header, if any."""
    value = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
