"""A tenant's service hours: when a person is at work, and when a reply is due.

Replies promise a time ("within 4 hours", "by Tuesday 12:00"). That promise must come from the
team's real calendar, weekends, holidays and closures included, or it is a broken promise.
All arithmetic is in the tenant's time zone; callers pass aware datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
MAX_SEARCH_DAYS = 400
"""How far ahead an opening is looked for; a calendar closed for longer has no opening."""


class Closure(BaseModel):
    """A one-off closure, e.g. a team day; ``end`` is exclusive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: AwareDatetime = Field(description="With its UTC offset, e.g. 2026-12-31T12:00:00+01:00.")
    end: AwareDatetime
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Closure:
        if self.end <= self.start:
            raise ValueError(f"a closure must end after it starts; got {self.start} to {self.end}")
        return self


def parse_span(text: str) -> tuple[time, time]:
    match = SPAN.match(text)
    if not match:
        raise ValueError(f"opening hours are written 'HH:MM-HH:MM', e.g. '08:00-17:30'; got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start = time(h1, m1)
    end = time.max if (h2, m2) == (24, 0) else time(h2, m2)
    if h2 != 24 and end <= start:
        raise ValueError(f"an opening span must end after it starts; got {text!r}")
    if h2 == 24 and m2 != 0:
        raise ValueError(f"24 is only valid as 24:00; got {text!r}")
    return start, end


@lru_cache(maxsize=256)
def parsed_spans(spans: tuple[str, ...]) -> tuple[tuple[time, time], ...]:
    """A day's spans, sorted; parsed once per distinct list (due times look at many days)."""
    return tuple(sorted(parse_span(s) for s in spans))


class ServiceHours(BaseModel):
    """Weekly opening hours, holidays, closures and the first-response target, in one time zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = Field(default="UTC", description="An IANA time zone, e.g. Europe/Amsterdam.")
    weekly: dict[Weekday, Annotated[list[str], Field(max_length=6)]] = Field(
        description="Opening spans per weekday, e.g. {'mon': ['08:00-17:30']}; a missing day is closed."
    )
    holidays: Annotated[list[date], Field(max_length=400)] = []
    closures: Annotated[list[Closure], Field(max_length=200)] = []
    first_response_hours: float = Field(
        default=4, gt=0, le=24 * 30, description="Business hours within which a person answers a new ticket."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like 'Europe/Amsterdam'"
            ) from None
        return value

    @field_validator("weekly")
    @classmethod
    def _valid_spans(cls, value: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
        for spans in value.values():
            parsed = parsed_spans(tuple(spans))
            for (_, end), (start, _) in pairwise(parsed):
                if start < end:
                    raise ValueError(f"opening spans overlap: {', '.join(spans)}")
        if not any(value.values()):
            raise ValueError("the team must be open at least one span a week")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def spans_of(self, weekday: Weekday) -> tuple[tuple[time, time], ...]:
        return parsed_spans(tuple(self.weekly.get(weekday, ())))

    def spans_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of one local day in UTC, closures cut out. Arithmetic in UTC keeps
        "4 hours" four real hours across daylight-saving changes."""
        if day in self.holidays:
            return []
        spans = []
        for start, end in self.spans_of(WEEKDAYS[day.weekday()]):
            closing = (day + timedelta(days=1), time()) if end == time.max else (day, end)
            spans.append(
                (
                    datetime.combine(day, start, self.zone).astimezone(UTC),
                    datetime.combine(*closing, self.zone).astimezone(UTC),
                )
            )
        for closure in self.closures:
            spans = [piece for span in spans for piece in _cut(span, closure)]
        return spans

    def is_open(self, at: datetime) -> bool:
        return any(start <= at < end for start, end in self.spans_on(at.astimezone(self.zone).date()))

    def open_intervals(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC) that end after ``at``, the first clipped to start at ``at``, for a year."""
        moment = at.astimezone(UTC)
        today = at.astimezone(self.zone).date()
        for offset in range(MAX_SEARCH_DAYS):
            for start, end in self.spans_on(today + timedelta(days=offset)):
                if end > moment:
                    yield max(start, moment), end

    def next_opening(self, at: datetime) -> datetime | None:
        """``at`` itself when open, else the start of the next open span; None if none within a year."""
        return next((start for start, _ in self.open_intervals(at)), None)

    def next_business_day(self, at: datetime) -> datetime | None:
        """The next opening on a later local day than ``at``'s when open now, else the next opening."""
        if not self.is_open(at):
            return self.next_opening(at)
        today = at.astimezone(self.zone).date()
        later = (start for start, _ in self.open_intervals(at) if start.astimezone(self.zone).date() > today)
        return next(later, None)

    def due(self, at: datetime, hours: float | None = None) -> datetime | None:
        """When ``hours`` business hours (default: the first-response target) from ``at`` have passed."""
        left = timedelta(hours=self.first_response_hours if hours is None else hours)
        for start, end in self.open_intervals(at):
            if end - start >= left:
                return start + left
            left -= end - start
        return None


def _cut(span: tuple[datetime, datetime], closure: Closure) -> list[tuple[datetime, datetime]]:
    start, end = span
    if closure.end <= start or closure.start >= end:
        return [span]
    pieces = []
    if closure.start > start:
        pieces.append((start, closure.start))
    if closure.end < end:
        pieces.append((closure.end, end))
    return pieces
