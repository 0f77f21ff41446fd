"""The vault: originals a purpose needs, encrypted with a per-conversation key.

Each conversation gets its own Fernet data key (AES-128-CBC + HMAC, from `cryptography`),
stored only wrapped by the master key: `CANDOR_VAULT_KEY`, or a key generated once into
the data dir with owner-only permissions. Destroying a conversation's data key makes every
value of that conversation unreadable (erasure).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.config import settings
from bot.storage.db import engine, vault_items, vault_keys


class VaultError(Exception):
    """The master key is missing, malformed or does not open the vault."""


def _key_file() -> Path:
    return settings().data_dir / "vault.key"


@functools.lru_cache(maxsize=4)
def _master_key(env_value: str, key_file: str) -> bytes:
    if env_value:
        key = env_value.strip().encode()
    else:
        path = Path(key_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(Fernet.generate_key())
        key = path.read_bytes().strip()
    try:
        Fernet(key)
    except ValueError as exc:
        raise VaultError(
            "CANDOR_VAULT_KEY (or the data dir's vault.key) must be a Fernet key: "
            "32 url-safe base64-encoded bytes, e.g. from `python -c 'from cryptography.fernet "
            "import Fernet; print(Fernet.generate_key().decode())'`"
        ) from exc
    return key


def master_key() -> bytes:
    return _master_key(os.environ.get("CANDOR_VAULT_KEY", ""), str(_key_file()))


@functools.lru_cache(maxsize=4)
def _digest_key(master: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"candor-placeholders").derive(master)


def digest(entity_type: str, folded_value: str) -> str:
    """A keyed hash of a value: lets a conversation reuse a placeholder without storing the value."""
    key = _digest_key(master_key())
    return hmac.new(key, f"{entity_type}\x00{folded_value}".encode(), hashlib.sha256).hexdigest()


class Vault:
    """Encrypted originals per conversation (sender id)."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url
        self._master = Fernet(master_key())

    def _data_key(self, conn, sender_id: str, create: bool) -> Optional[Fernet]:
        row = conn.execute(
            sa.select(vault_keys.c.wrapped_key).where(vault_keys.c.sender_id == sender_id)
        ).scalar_one_or_none()
        if row is None:
            if not create:
                return None
            key = Fernet.generate_key()
            conn.execute(
                vault_keys.insert().values(
                    sender_id=sender_id,
                    wrapped_key=self._master.encrypt(key),
                    created_at=dt.datetime.now(dt.timezone.utc),
                )
            )
            return Fernet(key)
        try:
            return Fernet(self._master.decrypt(row))
        except InvalidToken as exc:
            raise VaultError("the master key does not open this vault") from exc

    def put(self, sender_id: str, placeholder: str, entity_type: str, value: str) -> None:
        with engine(self.url).begin() as conn:
            key = self._data_key(conn, sender_id, create=True)
            conn.execute(
                vault_items.delete().where(
                    vault_items.c.sender_id == sender_id, vault_items.c.placeholder == placeholder
                )
            )
            conn.execute(
                vault_items.insert().values(
                    sender_id=sender_id,
                    placeholder=placeholder,
                    entity_type=entity_type,
                    ciphertext=key.encrypt(value.encode()),
                    created_at=dt.datetime.now(dt.timezone.utc),
                )
            )

    def get(self, sender_id: str, placeholder: str) -> Optional[str]:
        """The original behind a placeholder, or None (never stored, or destroyed)."""
        with engine(self.url).begin() as conn:
            key = self._data_key(conn, sender_id, create=False)
            ciphertext = conn.execute(
                sa.select(vault_items.c.ciphertext).where(
                    vault_items.c.sender_id == sender_id, vault_items.c.placeholder == placeholder
                )
            ).scalar_one_or_none()
        if key is None or ciphertext is None:
            return None
        return key.decrypt(ciphertext).decode()

    def seal(self, sender_id: str, text: str) -> bytes:
        """Encrypt `text` with the conversation's key (erased with it by `destroy`)."""
        with engine(self.url).begin() as conn:
            return self._data_key(conn, sender_id, create=True).encrypt(text.encode())

    def unseal(self, sender_id: str, sealed: bytes) -> Optional[str]:
        """The text `seal` encrypted, or None once the conversation's key is destroyed."""
        with engine(self.url).begin() as conn:
            key = self._data_key(conn, sender_id, create=False)
        if key is None:
            return None
        try:
            return key.decrypt(sealed).decode()
        except InvalidToken:
            return None

    def destroy(self, sender_id: str) -> None:
        """Crypto-shred: drop the conversation's data key and its ciphertexts."""
        with engine(self.url).begin() as conn:
            conn.execute(vault_items.delete().where(vault_items.c.sender_id == sender_id))
            conn.execute(vault_keys.delete().where(vault_keys.c.sender_id == sender_id))
