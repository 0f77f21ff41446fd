"""Token buckets at the door: how many messages one sender, and one client address, may send.

Checked before anything costly runs (the token check's signature excepted: before analysis,
NLU and the tracker store), so a flood from one sender or one address costs others nothing.
A bucket holds `burst` messages and refills at `per_minute`; a message that finds it empty is
refused (REST: 429 with `Retry-After`; socket.io: a short "slow down" reply). Buckets live in
the server's memory: each server of a cluster counts its own share.

Configuration (whole numbers, 0 switches that limit off):
`CANDOR_SENDER_BURST` (default 20), `CANDOR_SENDER_PER_MINUTE` (30),
`CANDOR_ADDRESS_BURST` (300), `CANDOR_ADDRESS_PER_MINUTE` (1200).
Besides the rate, one sender's messages pass the door one at a time, with at most
`CANDOR_SENDER_QUEUE` (3) waiting: a burst of heavy messages occupies one analysis worker.
Behind a proxy the address is the proxy's unless the proxy is listed in
`CANDOR_TRUSTED_PROXIES` (comma-separated IPs), whose `X-Forwarded-For` is then believed.
"""
from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, AsyncIterator, Dict, Mapping, Optional, Tuple

MAX_KEYS = 100_000  # buckets kept per limiter; the least recently used go first


def _number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise SystemExit(f"{name} must be a whole number (0 switches the limit off), got {raw!r}")
    return int(raw)


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """One bucket per key; `take(key)` is 0 when a message may pass, else the seconds to wait."""

    def __init__(self, burst: int, per_minute: int, clock=time.monotonic) -> None:
        self.burst, self.rate, self.clock = burst, per_minute / 60.0, clock
        self._buckets: "OrderedDict[str, _Bucket]" = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.burst > 0 and self.rate > 0

    def take(self, key: str) -> float:
        if not self.enabled:
            return 0.0
        now = self.clock()
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        self._buckets[key] = bucket
        while len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


_limiters: Dict[Tuple[str, int, int], TokenBuckets] = {}


def limiter(kind: str) -> TokenBuckets:
    """The server's buckets for `sender` or `address`, as configured now."""
    defaults = {"sender": (20, 30), "address": (300, 1200)}[kind]
    burst = _number(f"CANDOR_{kind.upper()}_BURST", defaults[0])
    per_minute = _number(f"CANDOR_{kind.upper()}_PER_MINUTE", defaults[1])
    key = (kind, burst, per_minute)
    if key not in _limiters:
        _limiters[key] = TokenBuckets(burst, per_minute)
    return _limiters[key]


def wait_for_sender(sender_id: str) -> float:
    return limiter("sender").take(sender_id)


def wait_for_address(address: Optional[str]) -> float:
    return limiter("address").take(address or "unknown")


def client_address(peer: Optional[str], headers: Mapping[str, str]) -> str:
    """The client's address: the peer's or, when the peer is a trusted proxy
    (`CANDOR_TRUSTED_PROXIES`), the last address in `X-Forwarded-For` that is not one of
    them (the proxy appends the address it saw; what a client writes there itself comes
    before it and is not believed)."""
    trusted = {p.strip() for p in os.environ.get("CANDOR_TRUSTED_PROXIES", "").split(",") if p.strip()}
    forwarded = headers.get("X-Forwarded-For") or headers.get("x-forwarded-for") or ""
    if peer in trusted:
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if hop not in trusted:
                return hop[:64]
    return (peer or "unknown")[:64]


def retry_after(seconds: float) -> str:
    """The `Retry-After` header's value: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))


class Busy(Exception):
    """The sender already has as many messages waiting as are allowed."""


class SenderTurns:
    """One message of a sender at a time through the door (analysis, NLU, the turn), and at
    most `waiting` more queued behind it; beyond that `Busy`. So one sender occupies at most
    one analysis worker, however many messages they fire at once."""

    def __init__(self, waiting: int = 3) -> None:
        self.waiting = waiting
        self._counts: Dict[str, int] = {}
        self._locks: Dict[str, asyncio.Lock] = {}
        self._unfinished: Dict[str, "asyncio.Future[Any]"] = {}

    def busy_until(self, sender_id: str, work: "asyncio.Future[Any]") -> None:
        """Work of this sender's that goes on after their turn (an analysis past its time
        limit): their next turn starts when it ends."""
        self._unfinished[sender_id] = work
        work.add_done_callback(lambda _: self._unfinished.pop(sender_id, None)
                               if self._unfinished.get(sender_id) is work else None)

    @contextlib.asynccontextmanager
    async def turn(self, sender_id: str) -> AsyncIterator[None]:
        if self._counts.get(sender_id, 0) > self.waiting:
            raise Busy(sender_id)
        self._counts[sender_id] = self._counts.get(sender_id, 0) + 1
        lock = self._locks.setdefault(sender_id, asyncio.Lock())
        try:
            async with lock:
                unfinished = self._unfinished.get(sender_id)
                if unfinished is not None:
                    await asyncio.wait({unfinished})
                yield
        finally:
            self._counts[sender_id] -= 1
            if not self._counts[sender_id]:
                del self._counts[sender_id]
                self._locks.pop(sender_id, None)


_turns: Dict[int, SenderTurns] = {}


def sender_turns() -> SenderTurns:
    """The server's queue of turns per sender (`CANDOR_SENDER_QUEUE` waiting, default 3)."""
    waiting = _number("CANDOR_SENDER_QUEUE", 3)
    if waiting not in _turns:
        _turns[waiting] = SenderTurns(waiting)
    return _turns[waiting]
