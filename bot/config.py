"""Settings from `CANDOR_*` environment variables, with defaults that run on a laptop."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _whole_number(name: str, default: int, low: int, high: int, what: str) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be {what}, got {raw!r}") from exc
    if not low <= value <= high:
        raise SystemExit(f"{name} must be between {low} and {high}, got {value}")
    return value


def _port(name: str, default: int) -> int:
    return _whole_number(name, default, 1, 65535, "a port number")


@dataclass(frozen=True)
class Settings:
    """Where Candor keeps its state and which ports it listens on."""

    data_dir: Path
    port: int
    actions_port: int
    policies_dir: Path
    max_message_chars: int = 4000

    @property
    def database_path(self) -> Path:
        return self.data_dir / "candor.db"

    @property
    def database_url(self) -> str:
        """Candor's own tables: `CANDOR_DATABASE_URL` (e.g. PostgreSQL), else SQLite in the data dir."""
        return os.environ.get("CANDOR_DATABASE_URL") or f"sqlite:///{self.database_path}"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def token_path(self) -> Path:
        return self.data_dir / "api_token"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)

    def api_token(self) -> tuple[str, Path | None]:
        """The HTTP API token: `CANDOR_API_TOKEN`, else one generated once into the data dir.

        Returns the token and the file it was read from (None when it came from the env).
        """
        token = os.environ.get("CANDOR_API_TOKEN", "").strip()
        if token:
            return token, None
        self.ensure_dirs()
        if not self.token_path.exists():
            fd = os.open(self.token_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
        return self.token_path.read_text().strip(), self.token_path


def settings() -> Settings:
    """Read the settings now (not at import), so tests and two instances can differ."""
    data_dir = Path(os.environ.get("CANDOR_DATA_DIR") or PROJECT_ROOT / "var")
    if not data_dir.is_absolute():
        data_dir = (Path.cwd() / data_dir).resolve()
    policies_dir = Path(os.environ.get("CANDOR_POLICIES_DIR") or PROJECT_ROOT / "policies")
    return Settings(
        data_dir=data_dir,
        port=_port("CANDOR_PORT", 5005),
        actions_port=_port("CANDOR_ACTIONS_PORT", 5055),
        policies_dir=policies_dir,
        max_message_chars=_whole_number("CANDOR_MAX_MESSAGE_CHARS", 4000, 1, 1_000_000, "a whole number"),
    )
