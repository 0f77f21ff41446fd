"""`policies/handoff.yml` as a typed model: triggers, office hours and the queue's escalation.

The conditions are evaluated by the GuardrailPolicy (bot/guardrails/policy.py); this module
only holds what the designers wrote, validated and compiled.
"""
import datetime as dt
import re
from typing import Any, Dict, Iterator, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import confloat, conint, conlist, validator

from bot.guardrails.model import (
    ActionName, Day, EntityName, Identifier, NonEmpty, Pattern, PolicyModel, Priority, ResponseName, Say, Texts,
)
from bot.guardrails.texts import Localized

PRIORITIES = tuple(p.value for p in Priority)
PRIORITY_RANK = {p.value: p.rank for p in Priority}
DAYS = tuple(d.value for d in Day)
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


class When(PolicyModel):
    """The conditions of a trigger; any one that holds fires it."""

    intents: Optional[conlist(NonEmpty, min_items=1)] = None
    patterns: Optional[Dict[str, conlist(Pattern, min_items=1)]] = None
    special_category: Optional[conlist(EntityName, min_items=1)] = None
    consecutive_fallbacks: Optional[conint(strict=True, ge=1)] = None
    confidence_below: Optional[confloat(gt=0, le=1)] = None
    repeated_intent: Optional[conint(strict=True, ge=2)] = None
    opted_out: bool = False

    @validator("patterns")
    def _some_patterns(cls, value: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        if value is not None and not value:
            raise ValueError("give patterns per language, as `en: [...]`")
        return value

    @validator("opted_out")
    def _only_true(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("write `opted_out: true`, or leave it out")
        return value


class Trigger(PolicyModel):
    """One handoff rule: when it fires, why, how urgent, and what the customer is told."""

    id: Identifier
    reason: Identifier
    priority: Priority
    message: Say
    action: ActionName = "action_handoff"
    respond_first: Optional[ResponseName] = None
    when: When = When()

    @property
    def rank(self) -> int:
        return self.priority.rank

    @property
    def intents(self) -> Tuple[str, ...]:
        return tuple(self.when.intents or ())

    @property
    def compiled(self) -> Tuple[Any, ...]:
        """The compiled patterns of every language."""
        return tuple(p for patterns in (self.when.patterns or {}).values() for p in patterns)

    @property
    def special_category(self) -> Tuple[str, ...]:
        return tuple(self.when.special_category or ())

    @property
    def consecutive_fallbacks(self) -> Optional[int]:
        return self.when.consecutive_fallbacks

    @property
    def confidence_below(self) -> Optional[float]:
        return self.when.confidence_below

    @property
    def repeated_intent(self) -> Optional[int]:
        return self.when.repeated_intent

    @property
    def opted_out(self) -> bool:
        return self.when.opted_out


class TimeZone:
    """An IANA time zone name ("Europe/Amsterdam")."""

    @classmethod
    def __get_validators__(cls) -> Iterator[Any]:
        yield cls.validate

    @classmethod
    def validate(cls, value: Any) -> ZoneInfo:
        try:
            return ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {exc}") from None


class Hours:
    """A day's opening hours: `["09:00", "17:30"]` (24:00 for midnight)."""

    @classmethod
    def __get_validators__(cls) -> Iterator[Any]:
        yield cls.validate

    @classmethod
    def validate(cls, value: Any) -> Tuple[dt.time, dt.time]:
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ValueError("give opening and closing time, as [\"09:00\", \"17:00\"]")
        for index, clock in enumerate(value):
            if not isinstance(clock, str) or not _CLOCK.match(clock):
                raise ValueError(f"item {index}: {clock!r} is not a time like 09:00")
        opens, closes = (_clock(v) for v in value)
        if opens >= closes:
            raise ValueError("opens after it closes")
        return opens, closes


class Calendar(Texts):
    """Words for {when}: "tomorrow at 09:00", "maandag om 09:00"."""

    today: Say
    tomorrow: Say
    next_working_day: Say
    day_at_time: Say
    day_names: Say


class OfficeHours(PolicyModel):
    """When human colleagues answer, and what a customer waiting for one is told."""

    timezone: TimeZone
    days: Dict[Day, Hours]
    open_message: Say
    closed_message: Say
    expected_wait_minutes: Dict[Priority, conint(strict=True, ge=0)]
    calendar: Calendar

    @validator("expected_wait_minutes")
    def _every_priority(cls, value: Dict[Priority, int]) -> Dict[str, int]:
        missing = [p.value for p in Priority if p not in value]
        if missing:
            raise ValueError(f"give the wait for every priority: {', '.join(missing)} is missing")
        return {p.value: minutes for p, minutes in value.items()}

    @validator("open_message")
    def _open_placeholders(cls, value: Localized) -> Localized:
        return _only_placeholder(value, "{minutes}")

    @validator("closed_message")
    def _closed_placeholders(cls, value: Localized) -> Localized:
        return _only_placeholder(value, "{when}")

    def hours_on(self, weekday: int) -> Optional[Tuple[dt.time, dt.time]]:
        return next((hours for day, hours in self.days.items() if day.weekday == weekday), None)

    def _local(self, now: dt.datetime) -> dt.datetime:
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
        return now.astimezone(self.timezone)

    def is_open(self, now: dt.datetime) -> bool:
        local = self._local(now)
        hours = self.hours_on(local.weekday())
        return bool(hours) and hours[0] <= local.time() < hours[1]

    def next_opening(self, now: dt.datetime) -> Optional[dt.datetime]:
        """The next time colleagues start answering after `now` (local time), or None."""
        local = self._local(now)
        for offset in range(0, 8):
            day = local.date() + dt.timedelta(days=offset)
            hours = self.hours_on(day.weekday())
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


class Queue(PolicyModel):
    escalate_after_minutes: conint(strict=True, ge=1)


class HandoffPolicy(PolicyModel):
    """`policies/handoff.yml`."""

    rules = {"triggers": "id"}

    office_hours: OfficeHours
    queue: Queue
    repeat_ignores_intents: Tuple[NonEmpty, ...] = ()
    triggers: conlist(Trigger, min_items=1)

    @property
    def escalate_after_minutes(self) -> int:
        return self.queue.escalate_after_minutes

    def problems(self) -> Iterator[Tuple[Optional[str], str, str]]:
        seen = set()
        for index, trigger in enumerate(self.triggers):
            if trigger.id in seen:
                yield trigger.id, "id", f"the id is used twice (trigger #{index + 1})"
            seen.add(trigger.id)

    def trigger(self, trigger_id: str) -> Trigger:
        for trigger in self.triggers:
            if trigger.id == trigger_id:
                return trigger
        raise KeyError(trigger_id)

    def queue_priority(self, priority: str, waiting: dt.timedelta) -> str:
        """The priority a ticket is shown with: one level up per escalation period waited."""
        steps = int(waiting.total_seconds() // (self.escalate_after_minutes * 60))
        return PRIORITIES[max(0, PRIORITY_RANK[str(priority)] - max(0, steps))]


def _clock(value: str) -> dt.time:
    return dt.time.max if value == "24:00" else dt.time.fromisoformat(value)


def _only_placeholder(text: Localized, placeholder: str) -> Localized:
    stray = set(re.findall(r"\{[^}]*\}", " ".join(text.texts.values()))) - {placeholder}
    if stray:
        raise ValueError(f"unknown placeholder {sorted(stray)[0]}")
    return text
