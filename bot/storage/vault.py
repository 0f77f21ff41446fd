"""The vault: originals a purpose needs, encrypted with a per-conversation key, and the
placeholders each conversation has given out (keyed hashes of the values only).

Each conversation gets its own Fernet data key (AES-128-CBC + HMAC, from `cryptography`),
stored only wrapped by the master key (bot/storage/keys.py). Destroying a conversation's
data key makes every value of that conversation unreadable (erasure).
"""
from __future__ import annotations

import datetime as dt
from typing import Dict, Iterable, Optional, Tuple

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from bot.storage.db import pii_placeholders, vault_items, vault_keys, vault_purposes
from bot.storage.keys import VaultError, master_key


class Vault:
    """Encrypted originals per conversation (sender id)."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine
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
        with self.engine.begin() as conn:
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
        with self.engine.begin() as conn:
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
        with self.engine.begin() as conn:
            return self._data_key(conn, sender_id, create=True).encrypt(text.encode())

    def unseal(self, sender_id: str, sealed: bytes) -> Optional[str]:
        """The text `seal` encrypted, or None once the conversation's key is destroyed."""
        with self.engine.begin() as conn:
            key = self._data_key(conn, sender_id, create=False)
        if key is None:
            return None
        try:
            return key.decrypt(sealed).decode()
        except InvalidToken:
            return None

    def forget_unconsented(self, older_than: dt.datetime) -> int:
        """Destroy the values taken before `older_than` that no consented purpose asked for
        (none tagged them); the number destroyed."""
        tagged = sa.select(vault_purposes.c.placeholder).where(
            vault_purposes.c.sender_id == vault_items.c.sender_id,
            vault_purposes.c.placeholder == vault_items.c.placeholder)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(vault_items.c.sender_id, vault_items.c.placeholder,
                                          vault_items.c.created_at).where(~tagged.exists())).all()
        stale = [(r.sender_id, r.placeholder) for r in rows
                 if (r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=dt.timezone.utc)) < older_than]
        if not stale:
            return 0
        removed = 0
        with self.engine.begin() as conn:
            for sender_id, placeholder in stale:
                removed += conn.execute(vault_items.delete().where(
                    vault_items.c.sender_id == sender_id, vault_items.c.placeholder == placeholder,
                    ~tagged.exists())).rowcount
        return removed

    def destroy(self, sender_id: str) -> None:
        """Crypto-shred: drop the conversation's data key and its ciphertexts."""
        with self.engine.begin() as conn:
            conn.execute(vault_items.delete().where(vault_items.c.sender_id == sender_id))
            conn.execute(vault_keys.delete().where(vault_keys.c.sender_id == sender_id))


class PlaceholderStore:
    """Which placeholder a value got in a conversation, keyed by a keyed hash of the value."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def known(self, sender_id: str) -> Dict[Tuple[str, str], str]:
        """(entity type, value digest) -> placeholder, for one conversation."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(pii_placeholders).where(pii_placeholders.c.sender_id == sender_id)
            ).mappings()
            return {(r["entity_type"], r["value_digest"]): r["placeholder"] for r in rows}

    def add(self, sender_id: str, rows: Iterable[Tuple[str, str, str]]) -> None:
        """Remember (entity type, value digest, placeholder) rows of a conversation."""
        rows = list(rows)
        if rows:
            with self.engine.begin() as conn:
                conn.execute(pii_placeholders.insert(), [
                    {"sender_id": sender_id, "entity_type": kind, "value_digest": value_digest,
                     "placeholder": placeholder} for kind, value_digest, placeholder in rows])
