"""Human agents of the desk and their tokens.

Agents are configured in `$CANDOR_DATA_DIR/agents.yml` (or `CANDOR_AGENTS_FILE`), written
by `python -m bot agent add`. Only a SHA-256 hash of each token is stored; the token itself
is shown once. The file is read again when it changes, so adding an agent needs no restart.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bot.config import settings

AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class AgentConfigError(Exception):
    """The agents file is unreadable or invalid; the message says where."""


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    token_sha256: str


def agents_file() -> Path:
    configured = os.environ.get("CANDOR_AGENTS_FILE", "").strip()
    return Path(configured) if configured else settings().data_dir / "agents.yml"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_cache: Dict[str, Tuple[float, List[Agent]]] = {}


def load_agents(path: Optional[Path] = None) -> List[Agent]:
    """The configured agents; an absent file means none (every desk request gets 401)."""
    path = Path(path or agents_file())
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return []
    cached = _cache.get(str(path))
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise AgentConfigError(f"{path}: cannot be read: {exc}") from exc
    agents = []
    for index, entry in enumerate(raw.get("agents") or []):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("id", "name", "token_sha256")):
            raise AgentConfigError(f"{path}: agents.{index}: needs id, name and token_sha256")
        agents.append(Agent(entry["id"], entry["name"], entry["token_sha256"]))
    _cache[str(path)] = (mtime, agents)
    return agents


def authenticate(token: Optional[str], path: Optional[Path] = None) -> Optional[Agent]:
    """The agent whose token this is, or None. Compares hashes in constant time."""
    if not token:
        return None
    digest = _hash(token)
    found = None
    for agent in load_agents(path):
        if hmac.compare_digest(agent.token_sha256, digest):
            found = agent
    return found


def add_agent(agent_id: str, name: str, path: Optional[Path] = None) -> str:
    """Create (or re-key) an agent; returns the new token, which is not stored."""
    if not AGENT_ID.match(agent_id):
        raise AgentConfigError("agent id: lower-case letters, digits, '.', '_' or '-', up to 64")
    if not name.strip():
        raise AgentConfigError("the agent's display name is empty")
    path = Path(path or agents_file())
    token = secrets.token_urlsafe(32)
    others = [a for a in load_agents(path) if a.id != agent_id]
    _write(path, others + [Agent(agent_id, name.strip(), _hash(token))])
    return token


def remove_agent(agent_id: str, path: Optional[Path] = None) -> bool:
    path = Path(path or agents_file())
    agents = load_agents(path)
    kept = [a for a in agents if a.id != agent_id]
    _write(path, kept)
    return len(kept) != len(agents)


def _write(path: Path, agents: List[Agent]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# Desk agents. Tokens are stored only as SHA-256 hashes.\n")
        yaml.safe_dump({"agents": [a.__dict__ for a in agents]}, handle, sort_keys=False)
    os.replace(tmp, path)
    _cache.pop(str(path), None)
