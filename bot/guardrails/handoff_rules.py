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
from bot.guardrails.texts import Localized, squeeze

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2}
PRIORITIES = tuple(PRIORITY_RANK)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CALENDAR_WORDS = ("today", "tomorrow", "next_working_day", "day_at_time", "day_names")


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
    open_message: Localized
    closed_message: Localized
    expected_wait_minutes: Dict[str, int]
    calendar: Dict[str, Localized] = field(default_factory=dict)

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

    def wait_message(self, priority: str, now: dt.datetime) -> Localized:
        """What the customer is told about the wait for a ticket of `priority` filed `now`,
        in every language."""
        if self.is_open(now):
            return self.open_message.format(minutes=self.expected_wait_minutes[priority])
        opening = self.next_opening(now)
        return Localized({code: text.format(when=describe_opening(opening, now, self, code))
                          for code, text in self.closed_message.texts.items()}, self.closed_message.default)


def describe_opening(opening: Optional[dt.datetime], now: dt.datetime, hours: OfficeHours,
                     language: Optional[str] = None) -> str:
    """"tomorrow at 09:00", "maandag om 09:00": the words from `office_hours.calendar`."""
    words = {key: text.in_(language) for key, text in hours.calendar.items()}
    if opening is None:
        return words["next_working_day"]
    local_now = hours._local(now)
    if opening.date() == local_now.date():
        day = words["today"]
    elif opening.date() == local_now.date() + dt.timedelta(days=1):
        day = words["tomorrow"]
    else:
        day = words["day_names"].split()[opening.weekday()]
    return words["day_at_time"].format(day=day, time=f"{opening:%H:%M}")


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
        text = " ".join(str(t) for t in getattr(hours_raw[key], "texts", {"": hours_raw[key]}).values())
        stray = set(re.findall(r"\{[^}]*\}", text)) - {placeholder}
        if stray:
            raise PolicyError(path, f"office_hours.{key}", f"unknown placeholder {sorted(stray)[0]}")
    office_hours = OfficeHours(
        timezone=zone,
        days=days,
        open_message=squeeze(hours_raw["open_message"]),
        closed_message=squeeze(hours_raw["closed_message"]),
        calendar={key: squeeze(hours_raw["calendar"][key]) for key in CALENDAR_WORDS},
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
                message=squeeze(spec["message"]),
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
