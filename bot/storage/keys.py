"""Candor's keys: the vault's master key and the keyed hash used wherever a value must be
recognised without being stored (placeholders, order facts, audit subjects, pseudonyms).

The master key is `CANDOR_VAULT_KEY`, or a key generated once into the data dir with
owner-only permissions. The keyed hash uses a key derived from it (HKDF).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
import threading
from pathlib import Path
from typing import Callable

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.config import settings


class VaultError(Exception):
    """The master key is missing, malformed or does not open the vault."""


def _key_file() -> Path:
    return settings().data_dir / "vault.key"


def _create_key_file(path: Path) -> None:
    """Write a new key so that no reader ever sees a half-written file: the key goes into a
    private temporary file first, which is then linked into place. When another thread or
    process got there first, the link fails and its key is the one used."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


@functools.lru_cache(maxsize=4)
def _master_key(env_value: str, key_file: str) -> bytes:
    if env_value:
        key = env_value.strip().encode()
    else:
        path = Path(key_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create_key_file(path)
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


def digester() -> Callable[[str, str], str]:
    """`digest` with the key looked up once, for code that hashes many values in a row (the
    masker tries every few-word span of a bot text against the conversation's values)."""
    key = _digest_key(master_key())

    def keyed(entity_type: str, folded_value: str) -> str:
        return hmac.new(key, f"{entity_type}\x00{folded_value}".encode(), hashlib.sha256).hexdigest()

    return keyed


def digest(entity_type: str, folded_value: str) -> str:
    """A keyed hash of a value: lets a conversation reuse a placeholder without storing the value."""
    return digester()(entity_type, folded_value)
