"""Customer identity: a sender id is what a signed token says, nothing else."""
from __future__ import annotations

import stat
import time

import jwt
import pytest

from bot.identity import IdentityError, bearer, issue, verify


def test_a_token_proves_its_sender(data_dir, monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_JWT_SECRET", "test-secret-of-this-test-only")
    assert verify(issue("customer-1")) == "customer-1"
    assert verify(issue("customer-1", ttl_seconds=None)) == "customer-1"  # no expiry asked for


@pytest.mark.parametrize(
    "claims, key, complaint",
    [
        ({"sub": "customer-1", "exp": int(time.time()) - 10}, "test-secret-of-this-test-only", "expired"),
        ({"sub": "customer-1"}, "another-key", "not valid"),
        ({"name": "customer-1"}, "test-secret-of-this-test-only", "not valid"),
        ({"sub": ""}, "test-secret-of-this-test-only", "sender id"),
    ],
)
def test_tokens_that_prove_nothing(data_dir, monkeypatch, claims, key, complaint) -> None:
    monkeypatch.setenv("CANDOR_JWT_SECRET", "test-secret-of-this-test-only")
    with pytest.raises(IdentityError, match=complaint):
        verify(jwt.encode(claims, key, algorithm="HS256"))
    with pytest.raises(IdentityError, match="sign in"):
        verify(None)


def test_an_unsigned_token_is_refused(data_dir, monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_JWT_SECRET", "test-secret-of-this-test-only")
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
