"""Customer identity: a sender id is what a signed token says, nothing else."""
from __future__ import annotations

import stat
import time

import jwt
import pytest

from bot.identity import MAX_TTL_SECONDS, IdentityError, bearer, issue, verify, verify_claims

KEY = "test-secret-of-this-test-only-0123456789"


def test_a_token_proves_its_sender(data_dir, monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_JWT_SECRET", KEY)
    assert verify(issue("customer-1")) == "customer-1"
    sender, expires = verify_claims(issue("customer-1", ttl_seconds=60))
    assert sender == "customer-1" and 55 < expires - time.time() <= 60


def test_issued_tokens_always_expire_within_the_maximum(data_dir, monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_JWT_SECRET", KEY)
    for ttl in (0, None, -5, MAX_TTL_SECONDS + 1):
        with pytest.raises(ValueError, match="valid for"):
            issue("customer-1", ttl_seconds=ttl)


def test_clocks_that_differ_by_seconds_are_forgiven(data_dir, monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_JWT_SECRET", KEY)
    now = int(time.time())
    early = jwt.encode({"sub": "c", "iat": now + 5, "nbf": now + 5, "exp": now + 600}, KEY, algorithm="HS256")
    assert verify(early) == "c"  # issued "in the future" by a clock 5 s ahead
    just_expired = jwt.encode({"sub": "c", "exp": now - 10}, KEY, algorithm="HS256")
    assert verify(just_expired) == "c"
    with pytest.raises(IdentityError, match="expired"):
        verify(jwt.encode({"sub": "c", "exp": now - 60}, KEY, algorithm="HS256"))


def test_a_short_secret_is_refused(data_dir, monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_JWT_SECRET", "short-secret")
    with pytest.raises(SystemExit, match="at least 32 bytes"):
        issue("customer-1")


def test_an_audience_when_configured_is_required(data_dir, monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_JWT_SECRET", KEY)
    monkeypatch.setenv("CANDOR_JWT_AUDIENCE", "shop.example")
    assert verify(issue("c")) == "c"
    with pytest.raises(IdentityError, match="not valid"):
        verify(jwt.encode({"sub": "c", "exp": int(time.time()) + 60}, KEY, algorithm="HS256"))
    with pytest.raises(IdentityError, match="not valid"):
        verify(jwt.encode({"sub": "c", "aud": "other.example", "exp": int(time.time()) + 60}, KEY, algorithm="HS256"))


@pytest.mark.parametrize(
    "claims, key, complaint",
    [
        ({"sub": "customer-1", "exp": int(time.time()) - 100}, KEY, "expired"),
        ({"sub": "customer-1"}, "another-key-that-is-long-enough-too-0123", "not valid"),
        ({"name": "customer-1"}, KEY, "not valid"),
        ({"sub": ""}, KEY, "sender id"),
    ],
)
def test_tokens_that_prove_nothing(data_dir, monkeypatch, claims, key, complaint) -> None:
    monkeypatch.setenv("CANDOR_JWT_SECRET", KEY)
    with pytest.raises(IdentityError, match=complaint):
        verify(jwt.encode(claims, key, algorithm="HS256"))
    with pytest.raises(IdentityError, match="sign in"):
        verify(None)


def test_an_unsigned_token_is_refused(data_dir, monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_JWT_SECRET", KEY)
    unsigned = jwt.encode({"sub": "customer-1"}, None, algorithm="none")
    with pytest.raises(IdentityError):
        verify(unsigned)


def test_without_a_configured_key_one_is_generated_owner_only(data_dir, monkeypatch) -> None:
    monkeypatch.delenv("CANDOR_JWT_SECRET", raising=False)
    token = issue("customer-2")
    key_file = data_dir / "jwt_secret"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert verify(token) == "customer-2"


def test_bearer_header() -> None:
    assert bearer({"Authorization": "Bearer abc.def"}) == "abc.def"
    assert bearer({"authorization": "bearer abc"}) == "abc"
    assert bearer({"Authorization": "Basic abc"}) is None
    assert bearer({}) is None


def test_the_data_dir_is_the_owners_only(data_dir) -> None:
    from bot.config import settings

    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "candor.db").write_text("x")
    (data_dir / "candor.db").chmod(0o644)
    data_dir.chmod(0o755)
    settings().lock_down()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "candor.db").stat().st_mode) == 0o600


def test_a_socket_binding_ends_when_its_token_does() -> None:
    from bot.channels.socketio import Binding
    from bot.identity import LEEWAY_SECONDS

    assert not Binding("c", None).expired()
    assert not Binding("c", time.time() - LEEWAY_SECONDS + 5).expired()
    assert Binding("c", time.time() - LEEWAY_SECONDS - 5).expired()
