"""Dates and times in agents' replies (en, nl, de, el) found so they can be marked, not kept.

A date in a reply belongs to one ticket ("we will come by on maandag 3 juni"), and no template
variable can fill it, so the miner replaces each with a visible ``[DATE]`` or ``[TIME]`` that the
admin must resolve. Month and weekday names come from Babel's CLDR data, not from lists typed here.
Names are matched case- and accent-folded (``Μαΐου`` = ``μαιου``); a month name counts only next to a
day number or a year, so "May I ask" and "in March" stay. Greek weekdays must be capitalised:
``τρίτη`` is also "third".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from babel.dates import get_day_names, get_month_names

from training.redact.fold import Folded, fold

DATE = "[DATE]"
TIME = "[TIME]"
LOCALES = ("en", "nl", "de", "el")
_EXTRA_MONTHS = ("sept", "jänner", "maerz")
_EXTRA_DAYS = ("sonnabend", "δευτέρας", "τρίτης", "τετάρτης", "πέμπτης", "παρασκευής", "σαββάτου", "κυριακής")
_CAPITALISED = frozenset(fold(n) for n in get_day_names("wide", "format", "el").values()) | frozenset(
    fold(n) for n in _EXTRA_DAYS if not n.isascii()
)
"""Greek weekdays, which double as ordinals (τρίτη, τετάρτη, πέμπτη)."""


def _alternation(names: set[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(dates, weekdays, times), all over folded text."""
    months = {fold(n).rstrip(".") for n in _EXTRA_MONTHS}
    days = {fold(n) for n in _EXTRA_DAYS}
    for locale in LOCALES:
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                months.update(fold(n).rstrip(".") for n in get_month_names(width, context, locale).values())
            days.update(fold(n) for n in get_day_names("wide", context, locale).values())
    month = rf"(?:{_alternation(months)})\.?"
    day = r"(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th|e|η|ης)?\.?"
    year = r"(?:[12][0-9]{3}|'[0-9]{2})"
    numeric = (
        r"[12][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"  # ISO, optionally with a time
        r"(?:[t ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?(?:z|[+-][0-9]{2}:?[0-9]{2})?)?"
        r"|(?:0?[1-9]|[12][0-9]|3[01])([./-])(?:0?[1-9]|1[0-2])\1(?:[12][0-9]{3}|[0-9]{2})"
        r"|[12][0-9]{3}/(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12][0-9]|3[01])"
    )
    named = (
        rf"{day}\s+(?:of\s+|de\s+)?{month}(?:,?\s+{year})?"
        rf"|{month}\s+(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?(?![0-9])(?:,?\s+{year})?"
        rf"|{month}\s+[12][0-9]{{3}}"
    )
    dates = re.compile(rf"(?<![\w./:-])(?:{numeric}|{named})(?![\w/-]|[.,][0-9])")
    weekdays = re.compile(rf"(?<!\w)(?:{_alternation(days)})(?!\w)")
    clock = r"(?:[01]?[0-9]|2[0-3])"
    suffix = r"(?:\s?(?:am|pm|a\.m\.|p\.m\.|uur|u\.|uhr|h|π\.μ\.|μ\.μ\.))"
    times = re.compile(
        rf"(?<![\w.:/,])(?:{clock}:[0-5][0-9](?::[0-5][0-9])?{suffix}?"
        rf"|{clock}\.[0-5][0-9]{suffix}"
        rf"|(?:1[0-2]|0?[1-9])\s?(?:am|pm|a\.m\.|p\.m\.)"
        rf"|{clock}\s?uhr)(?![\w:])"
    )
    return dates, weekdays, times


def _spans(folded: Folded) -> Iterator[tuple[int, int, str]]:
    dates, weekdays, times = _patterns()
    for match in dates.finditer(folded.text):
        yield *folded.original_span(*match.span()), DATE
    for match in weekdays.finditer(folded.text):
        start, end = folded.original_span(*match.span())
        if match.group() not in _CAPITALISED or folded.original[start].isupper():
            yield start, end, DATE
    for match in times.finditer(folded.text):
        yield *folded.original_span(*match.span()), TIME


_RUN = re.compile(r"\[DATE\](?:,?\s+(?:the\s+|den\s+|de\s+|την\s+)?\[DATE\])+")
""""Monday, 3 June" is one date: a weekday and the date right after it become one marker."""


def mark_dates(text: str) -> tuple[str, int]:
    """``text`` with every date and time replaced by ``[DATE]``/``[TIME]``, and how many there were."""
    spans = sorted(_spans(Folded(text)), key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int, str]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    if not kept:
        return text, 0
    parts: list[str] = []
    last = 0
    for start, end, marker in kept:
        parts.append(text[last:start])
        parts.append(marker)
        last = end
    parts.append(text[last:])
    return _RUN.sub(DATE, "".join(parts)), len(kept)
