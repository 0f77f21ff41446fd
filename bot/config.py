"""Settings from `CANDOR_*` environment variables, with defaults that run on a laptop."""
from __future__ import annotations

import functools
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
    mask_time_limit: int = 10
    max_body_bytes: int = 65536

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
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.logs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def lock_down(self) -> None:
        """Data dir and everything in it for the owner only (0700 folders, 0600 files),
        also for data dirs made before Candor did this."""
        self.ensure_dirs()
        cluster = self.data_dir / "cluster"  # `make run-cluster`'s services keep their own modes
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            if path.is_symlink() or path == cluster or cluster in path.parents:
                continue
            path.chmod(0o700 if path.is_dir() else 0o600)
        if os.geteuid() == 0 and (cluster / "postgres").exists():
            # Run as root, the cluster's PostgreSQL runs as the `postgres` user, who must pass
            # through the data dir to its own folder: it may not list or read anything here.
            self.data_dir.chmod(0o711)

    def api_token(self) -> tuple[str, Path | None]:
        """The HTTP API token: `CANDOR_API_TOKEN`, else one generated once into the data dir.

        Returns the token and the file it was read from (None when it came from the env).
        """
        return self._secret("CANDOR_API_TOKEN", self.token_path)

    @property
    def jwt_secret_path(self) -> Path:
        return self.data_dir / "jwt_secret"

    def jwt_secret(self) -> tuple[str, Path | None]:
        """The key that signs customers' identity tokens (HS256): `CANDOR_JWT_SECRET`, else
        one generated once into the data dir (mode 600)."""
        return self._secret("CANDOR_JWT_SECRET", self.jwt_secret_path)

    def action_secret(self) -> tuple[str, Path | None]:
        """The shared secret the Rasa server sends with every action call
        (`X-Candor-Action-Secret`) and the action server checks: `CANDOR_ACTION_SECRET`, else
        one generated once into the data dir. Servers sharing a data dir share it."""
        return self._secret("CANDOR_ACTION_SECRET", self.data_dir / "action_secret")

    def fake_orders_seed(self) -> str:
        """The seed of this installation's generated fake orders (numbers, e-mail addresses,
        postcodes): random per data dir, so order numbers cannot be guessed from the code."""
        return self._secret("CANDOR_FAKE_ORDERS_SEED", self.data_dir / "fake_orders_seed")[0]

    def _secret(self, variable: str, path: Path) -> tuple[str, Path | None]:
        value = os.environ.get(variable, "").strip()
        if value:
            return value, None
        self.ensure_dirs()
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # the other server made it first
                return path.read_text().strip(), path
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
        return path.read_text().strip(), path


def bind_address() -> str:
    """`CANDOR_BIND`: the address both servers listen on; loopback unless an operator needs
    another (behind a load balancer on another machine, say)."""
    import ipaddress

    value = os.environ.get("CANDOR_BIND", "").strip() or "127.0.0.1"
    try:
        ipaddress.ip_address(value)
    except ValueError as exc:
        raise SystemExit(f"CANDOR_BIND must be an IP address such as 127.0.0.1, got {value!r}") from exc
    return value


_SETTING_VARIABLES = ("CANDOR_DATA_DIR", "CANDOR_POLICIES_DIR", "CANDOR_PORT", "CANDOR_ACTIONS_PORT",
                      "CANDOR_MAX_MESSAGE_CHARS", "CANDOR_MASK_TIME_LIMIT", "CANDOR_MAX_BODY_BYTES")


def settings() -> Settings:
    """Read the settings now (not at import), so tests and two instances can differ: they
    follow the `CANDOR_*` variables (and the working directory a relative data dir is in),
    and are worked out once for each combination (the servers ask for them on every turn)."""
    return _settings_for(tuple(os.environ.get(name) for name in _SETTING_VARIABLES), os.getcwd())


@functools.lru_cache(maxsize=16)
def _settings_for(_variables: tuple, _cwd: str) -> Settings:
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
        mask_time_limit=_whole_number("CANDOR_MASK_TIME_LIMIT", 10, 1, 600, "a whole number of seconds"),
        max_body_bytes=_whole_number("CANDOR_MAX_BODY_BYTES", 65536, 1024, 16 * 1024 * 1024, "a whole number of bytes"),
    )


def masking_off_for_benchmark() -> bool:
    """`CANDOR_BENCH_MASKING=off`: the load benchmark (`make bench`) measures what masking
    costs. Refused for any data dir but a benchmark's own (`candor-bench-*` under the temp
    dir), so no real conversation is ever stored unmasked."""
    if os.environ.get("CANDOR_BENCH_MASKING", "on").strip().lower() != "off":
        return False
    import tempfile

    data_dir = settings().data_dir.resolve()
    temp = Path(tempfile.gettempdir()).resolve()
    if not (temp in data_dir.parents and any(p.name.startswith("candor-bench-") for p in [data_dir, *data_dir.parents])):
        raise SystemExit("CANDOR_BENCH_MASKING=off is only for `make bench` (a candor-bench-* data dir under "
                         f"{temp}); {data_dir} holds real conversations: unset it.")
    return True
