"""Who a customer is: the sender id in a signed token, never what a client claims.

Customers (or the shop's login in front of them) send `Authorization: Bearer <JWT>`: HS256,
signed with `CANDOR_JWT_SECRET` (at least 32 bytes), claim `sub` = the sender id; `exp`,
when present, is honoured with 30 s of leeway for clocks that differ (so is `nbf`/`iat`), and
`aud` must be `CANDOR_JWT_AUDIENCE` when that is set. `python -m bot token --sender ID` issues
one for testing and for shops without a backend of their own: always with an expiry, at
most `MAX_TTL_SECONDS`.
"""
from __future__ import annotations

import os
import time
from typing import Any, Mapping, Optional, Tuple

import jwt

from bot.config import settings

ALGORITHM = "HS256"
MAX_SENDER_LENGTH = 128
LEEWAY_SECONDS = 30
MAX_TTL_SECONDS = 30 * 86400
MIN_SECRET_BYTES = 32


class IdentityError(Exception):
    """The request does not prove who sends it; the message says why, for the client."""


def audience() -> Optional[str]:
    """`CANDOR_JWT_AUDIENCE`: when set, tokens must name it in `aud` (and issued ones do)."""
    return os.environ.get("CANDOR_JWT_AUDIENCE", "").strip() or None


def secret() -> str:
    """The signing key; refused when shorter than 32 bytes (HS256 wants a key as long as its hash)."""
    key = settings().jwt_secret()[0]
    if len(key.encode("utf-8")) < MIN_SECRET_BYTES:
        raise SystemExit(f"CANDOR_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long "
                         f"(it has {len(key.encode('utf-8'))}); e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'")
    return key


def issue(sender_id: str, ttl_seconds: int = 86400) -> str:
    """A signed token for `sender_id`, valid for `ttl_seconds` (1 s to 30 days)."""
    if not sender_id or len(sender_id) > MAX_SENDER_LENGTH:
        raise ValueError(f"a sender id has 1 to {MAX_SENDER_LENGTH} characters")
    if not ttl_seconds or not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"a token is valid for 1 to {MAX_TTL_SECONDS} seconds")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sender_id, "iat": now, "exp": now + ttl_seconds}
    if audience():
        claims["aud"] = audience()
    return jwt.encode(claims, secret(), algorithm=ALGORITHM)


def verify(token: Optional[str]) -> str:
    """The sender id a token proves; IdentityError when it proves nothing."""
    return verify_claims(token)[0]


def verify_claims(token: Optional[str]) -> Tuple[str, Optional[float]]:
    """The sender id a token proves and when the token expires (None: never)."""
    if not token:
        raise IdentityError("sign in first: send 'Authorization: Bearer <token>' (a JWT whose 'sub' is your sender id)")
    try:
        claims = jwt.decode(token, secret(), algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS,
                            audience=audience(), options={"require": ["sub"], "verify_aud": bool(audience())})
    except jwt.ExpiredSignatureError as exc:
        raise IdentityError("the token has expired: sign in again") from exc
    except jwt.PyJWTError as exc:
        raise IdentityError("the token is not valid") from exc
    sender = claims.get("sub")
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_LENGTH:
        raise IdentityError("the token's 'sub' must be a sender id of 1 to 128 characters")
    expires = claims.get("exp")
    return sender, float(expires) if isinstance(expires, (int, float)) else None


def bearer(headers: Mapping[str, str]) -> Optional[str]:
    """The token of an `Authorization: Bearer ...` header, if any."""
    value = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
