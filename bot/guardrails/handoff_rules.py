"""`policies/handoff.yml` as objects: triggers, office hours and the queue's escalation.

The conditions are evaluated by the GuardrailPolicy (bot/guardrails/policy.py); this module
only holds what the designers wrote, validated and compiled.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import regex

from bot.guardrails.errors import PolicyError

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2}
PRIORITIES = tuple(PRIORITY_RANK)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Trigger:
    """One handoff rule: when it fires, why, how urgent, and what the customer is told."""

    id: str
    reason: str
    priority: str
    message: str
    action: str = "action_handoff"
    respond_first: Optional[str] = None
    intents: Tuple[str, ...] = ()
    patterns: Tuple[re.Pattern, ...] = ()
    special_category: Tuple[str, ...] = ()
    consecutive_fallbacks: Optional[int] = None
    confidence_below: Optional[float] = None
    repeated_intent: Optional[int] = None
    opted_out: bool = False

    @property
    def rank(self) -> int:
        return PRIORITY_RANK[self.priority]


@dataclass(frozen=True)
class OfficeHours:
    """When human colleagues answer, and what a customer waiting for one is told."""

    timezone: ZoneInfo
    days: Dict[int, Tuple[dt.time, dt.time]]  # weekday (0 = Monday) -> open, close
    open_message: str
    closed_message: str
    expected_wait_minutes: Dict[str, int]

    def _local(self, now: dt.datetime) -> dt.datetime:
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
        return now.astimezone(self.timezone)

    def is_open(self, now: dt.datetime) -> bool:
        local = self._local(now)
        hours = self.days.get(local.weekday())
        return bool(hours) and hours[0] <= local.time() < hours[1]

    def next_opening(self, now: dt.datetime) -> Optional[dt.datetime]:
        """The next time colleagues start answering after `now` (local time), or None."""
        local = self._local(now)
        for offset in range(0, 8):
            day = local.date() + dt.timedelta(days=offset)
            hours = self.days.get(day.weekday())
            if not hours:
                continue
            opening = dt.datetime.combine(day, hours[0], tzinfo=self.timezone)
            if opening > local:
                return opening
        return None

    def wait_message(self, priority: str, now: dt.datetime) -> str:
        """What the customer is told about the wait for a ticket of `priority` filed `now`."""
        if self.is_open(now):
            return self.open_message.format(minutes=self.expected_wait_minutes[priority])
        return self.closed_message.format(when=describe_opening(self.next_opening(now), now, self))


def describe_opening(opening: Optional[dt.datetime], now: dt.datetime, hours: OfficeHours) -> str:
    if opening is None:
        return "the next working day"
    local_now = hours._local(now)
    if opening.date() == local_now.date():
        day = "today"
    elif opening.date() == local_now.date() + dt.timedelta(days=1):
        day = "tomorrow"
    else:
        day = DAY_NAMES[opening.weekday()]
    return f"{day} at {opening:%H:%M}"


@dataclass(frozen=True)
class HandoffPolicy:
    """`policies/handoff.yml`, validated."""

    triggers: Tuple[Trigger, ...]
    office_hours: OfficeHours
    escalate_after_minutes: int
    repeat_ignores_intents: Tuple[str, ...] = field(default_factory=tuple)

    def trigger(self, trigger_id: str) -> Trigger:
        for trigger in self.triggers:
            if trigger.id == trigger_id:
                return trigger
        raise KeyError(trigger_id)

    def queue_priority(self, priority: str, waiting: dt.timedelta) -> str:
        """The priority a ticket is shown with: one level up per escalation period waited."""
        steps = int(waiting.total_seconds() // (self.escalate_after_minutes * 60))
        return PRIORITIES[max(0, PRIORITY_RANK[priority] - max(0, steps))]


def _clock(value: str) -> dt.time:
    return dt.time.max if value == "24:00" else dt.time.fromisoformat(value)


def parse_handoff(path: Path, raw: Dict[str, Any]) -> HandoffPolicy:
    """Build the handoff policy from schema-valid YAML; semantic errors name rule and field."""
    hours_raw = raw["office_hours"]
    try:
        zone = ZoneInfo(hours_raw["timezone"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(path, "office_hours.timezone", f"unknown time zone: {exc}") from None
    days = {}
    for name, (opens, closes) in hours_raw["days"].items():
        if _clock(opens) >= _clock(closes):
            raise PolicyError(path, f"office_hours.days.{name}", "opens after it closes")
        days[DAYS.index(name)] = (_clock(opens), _clock(closes))
    for key, placeholder in (("open_message", "{minutes}"), ("closed_message", "{when}")):
        text = " ".join(hours_raw[key].split())
        stray = set(re.findall(r"\{[^}]*\}", text)) - {placeholder}
        if stray:
            raise PolicyError(path, f"office_hours.{key}", f"unknown placeholder {sorted(stray)[0]}")
    office_hours = OfficeHours(
        timezone=zone,
        days=days,
        open_message=" ".join(hours_raw["open_message"].split()),
        closed_message=" ".join(hours_raw["closed_message"].split()),
        expected_wait_minutes=dict(hours_raw["expected_wait_minutes"]),
    )
    triggers = []
    seen = set()
    for index, spec in enumerate(raw["triggers"]):
        rule = spec["id"]
        if rule in seen:
            raise PolicyError(path, f"triggers.{index}.id", "the id is used twice", rule=rule)
        seen.add(rule)
        when = spec.get("when") or {}
        compiled = []
        for language, patterns in (when.get("patterns") or {}).items():
            for number, pattern in enumerate(patterns):
                try:
                    compiled.append(regex.compile(pattern, regex.IGNORECASE))
                except regex.error as exc:
                    raise PolicyError(
                        path, f"when.patterns.{language}.{number}",
                        f"bad regular expression: {exc}", rule=rule,
                    ) from exc
        triggers.append(
            Trigger(
                id=rule,
                reason=spec["reason"],
                priority=spec["priority"],
                message=" ".join(spec["message"].split()),
                action=spec.get("action", "action_handoff"),
                respond_first=spec.get("respond_first"),
                intents=tuple(when.get("intents") or ()),
                patterns=tuple(compiled),
                special_category=tuple(when.get("special_category") or ()),
                consecutive_fallbacks=when.get("consecutive_fallbacks"),
                confidence_below=when.get("confidence_below"),
                repeated_intent=when.get("repeated_intent"),
                opted_out=bool(when.get("opted_out", False)),
            )
        )
    return HandoffPolicy(
        triggers=tuple(triggers),
        office_hours=office_hours,
        escalate_after_minutes=raw["queue"]["escalate_after_minutes"],
        repeat_ignores_intents=tuple(raw.get("repeat_ignores_intents") or ()),
    )
