"""The calendar's promises in the customer's language: opening hours, a due time, the next working day.

Day names and durations come from Babel (CLDR), so they exist for every language. The few joining
words ("within", "by") are written per language below; for a language without them the value is
the bare day and time ("dinsdag 12:00"), which reads correctly inside any sentence, rather than
English words inside a reply in another language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_timedelta, get_day_names

from suggest.hours.calendar import WEEKDAYS, ServiceHours

WITHIN = {
    "en": "within {duration}",
    "nl": "binnen {duration}",
    "el": "μέσα σε {duration}",
    "de": "innerhalb von {duration}",
    "fr": "sous {duration}",
    "es": "en un plazo de {duration}",
}
BY = {
    "en": "by {day} {time}",
    "nl": "uiterlijk {day} {time}",
    "el": "έως {day} {time}",
    "de": "bis {day} {time}",
    "fr": "d'ici {day} {time}",
    "es": "antes del {day} a las {time}",
}
WEEK_AHEAD = timedelta(days=6)
"""Further away than this, the due time names the date, not only the weekday."""


def locale_for(language: str) -> Locale:
    """Babel's locale for an ISO code; English when Babel does not know the code."""
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@dataclass(frozen=True)
class Promise:
    """What the calendar lets us promise at one moment, worded in one language."""

    business_hours: str
    expected_response_time: str | None
    next_business_day: str | None


def _day(moment: datetime, now: datetime, locale: Locale) -> str:
    if moment - now > WEEK_AHEAD:
        return format_skeleton("MMMMEEEEd", moment, locale=locale)
    return format_date(moment, "EEEE", locale=locale)


def describe_week(hours: ServiceHours, language: str) -> str:
    """Weekly hours in words, days with the same hours grouped: "Monday–Friday 08:00–17:30"."""
    locale = locale_for(language)
    names = get_day_names("wide", context="stand-alone", locale=locale)
    groups: list[tuple[int, int, str]] = []
    for index, day in enumerate(WEEKDAYS):
        if not hours.spans_of(day):
            continue
        text = ", ".join(
            f"{start:%H:%M}–{'24:00' if end == time.max else f'{end:%H:%M}'}"
            for start, end in hours.spans_of(day)
        )
        if groups and groups[-1][1] == index - 1 and groups[-1][2] == text:
            groups[-1] = (groups[-1][0], index, text)
        else:
            groups.append((index, index, text))
    return "; ".join(
        f"{names[first]}{'–' + names[last] if last != first else ''} {text}" for first, last, text in groups
    )


def promise(hours: ServiceHours, now: datetime, language: str) -> Promise:
    """The three calendar variables for a reply written at ``now`` in ``language``."""
    locale = locale_for(language)
    code = locale.language
    due, back = hours.due(now), hours.next_business_day(now)
    due, back = (None if t is None else t.astimezone(hours.zone) for t in (due, back))
    local_now = now.astimezone(hours.zone)
    return Promise(
        business_hours=describe_week(hours, code),
        expected_response_time=None if due is None else _due_words(due, local_now, locale),
        next_business_day=None if back is None else f"{_day(back, local_now, locale)} {back:%H:%M}",
    )


def _due_words(due: datetime, now: datetime, locale: Locale) -> str:
    code = locale.language
    if due.date() == now.date() and code in WITHIN:
        whole_hours = max(1, math.ceil((due - now).total_seconds() / 3600))
        duration = format_timedelta(
            timedelta(hours=whole_hours), format="long", granularity="hour", locale=locale
        )
        return WITHIN[code].format(duration=duration)
    day = _day(due, now, locale)
    return BY[code].format(day=day, time=f"{due:%H:%M}") if code in BY else f"{day} {due:%H:%M}"
