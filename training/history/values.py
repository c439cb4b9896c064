"""Cell and field values every source shares: times, text, ratings, tags and addresses.

Each parser raises ``ValueError`` with a sentence a person can act on; the ticket builder turns it
into a located problem and keeps the ticket without that value. The sentence says what kind of value
was found (``describe``), never what it says: problems are stored with the import and printed, and a
column mapped by mistake would otherwise copy customer text, names and addresses into them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from kb.records import primary_subtag
from suggest.analysis.text import html_to_text, looks_like_html
from training.history.types import Csat

_EPOCH_MS = 100_000_000_000
"""Epoch numbers above this are milliseconds (it is the year 5138 in seconds)."""
_DIGITS = re.compile(r"-?\d+(\.\d+)?")
_EPOCH_TEXT = re.compile(r"\d{9,}(\.\d+)?")
"""Unix time as text has nine digits or more (1973 on); shorter digits may be ISO dates (20240301)."""
_INLINE_SPACE = re.compile(r"[ \t\f\v\u00a0]{2,}|[\t\f\v\u00a0]")  # single spaces need no work
_BLANK_RUNS = re.compile(r"\n\s*\n\s*\n+")
_TAG_SEPARATORS = re.compile(r"[,;|]")
_VIA_SUFFIX = re.compile(r"\s+via\s+.+$", re.IGNORECASE)
GOOD = {"good", "satisfied", "positive", "happy", "yes", "thumbs_up", "👍"}
BAD = {"bad", "unsatisfied", "dissatisfied", "negative", "unhappy", "no", "thumbs_down", "👎"}


TIMESTAMP_FORMATS = "ISO 8601 such as 2024-03-01T09:30:00Z, or Unix seconds or milliseconds"
_PUNCTUATED_DIGITS = re.compile(r"[\d\s:./+TZ-]*\d[\d\s:./+TZ-]*")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def describe(value: Any, *, low: float | None = None, high: float | None = None) -> str:
    """What kind of value this is, for a problem message, without its content: ``a text of 143
    characters``, ``a number above 5``. ``low``/``high`` is the range a number should have been in."""
    if isinstance(value, str):
        return _describe_text(value.strip())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _describe_number(value, low, high)
    if isinstance(value, list):
        return f"a list of {_plural(len(value), 'item')}"
    kinds = {type(None): "nothing (null)", bool: "true/false", dict: "an object"}
    return kinds.get(type(value), f"a value of type {type(value).__name__}")


def _describe_text(text: str) -> str:
    if text.isdigit():
        return f"a number of {_plural(len(text), 'digit')} written as text"
    if _PUNCTUATED_DIGITS.fullmatch(text):
        return f"a text of {_plural(len(text), 'character')}, digits and punctuation only"
    return f"a text of {_plural(len(text), 'character')}"


def _describe_number(number: float, low: float | None, high: float | None) -> str:
    if not math.isfinite(number):
        return "a number that is not finite"
    if high is not None and number > high:
        return f"a number above {high:g}"
    if low is not None and number < low:
        return f"a number below {low:g}"
    return "a whole number" if float(number).is_integer() else "a number with a fraction"


def timestamp(value: Any) -> datetime | None:
    """ISO 8601 (``Z`` or an offset; without one it is taken as UTC) or Unix seconds/milliseconds,
    as aware UTC. None and empty text are "no time"; anything else unreadable raises."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and _EPOCH_TEXT.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) >= _EPOCH_MS else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(
                f"expected a timestamp ({TIMESTAMP_FORMATS}), found a number out of range"
            ) from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise ValueError(f"expected a timestamp ({TIMESTAMP_FORMATS}), found {describe(value)}")


def _tidy(text: str) -> str:
    lines = [
        _INLINE_SPACE.sub(" ", line).strip()
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def message_text(value: Any, *, html: bool | None = None) -> str:
    """Plain text of a message body; HTML (declared, or detected when ``html`` is None) is converted
    and its quoted earlier messages are dropped, since the thread already holds them."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if html or (html is None and looks_like_html(text)):
        text, _ = html_to_text(text)
    return _tidy(text)


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one: exports leave out or null whole objects."""
    return value if isinstance(value, dict) else {}


def text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def tags(value: Any) -> tuple[str, ...]:
    """A list, or text separated by ``,``, ``;`` or ``|``; duplicates dropped, order kept."""
    parts = value if isinstance(value, list) else _TAG_SEPARATORS.split(str(value or ""))
    cleaned = (text_or_none(p) for p in parts)
    return tuple(dict.fromkeys(p for p in cleaned if p))


def field_text(value: Any) -> str | None:
    """A custom field's value as text: lists (multi-select) joined with ``,``, empty values None."""
    if isinstance(value, list):
        joined = ",".join(t for t in (text_or_none(v) for v in value) if t)
        return joined or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text_or_none(value)


def csat_from_score(score: float, comment: str | None = None) -> Csat:
    """Above the middle of the scale is good, below it bad, the middle itself neither."""
    if score == 0.5:
        return Csat(0.5, None, comment)
    return Csat(round(score, 4), "good" if score > 0.5 else "bad", comment)


def csat_from_label(value: str, comment: str | None = None) -> Csat | None:
    lowered = value.strip().lower()
    if lowered in GOOD:
        return Csat(1.0, "good", comment)
    if lowered in BAD:
        return Csat(0.0, "bad", comment)
    return None


def csat_on_scale(value: Any, low: int, high: int, comment: str | None = None) -> Csat:
    """A whole-number rating from ``low`` to ``high`` (e.g. 1-5 stars) mapped onto 0..1."""
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not number.is_integer() or not low <= number <= high:
        found = describe(number, low=low, high=high) if math.isfinite(number) else describe(value)
        raise ValueError(f"expected a rating (a whole number from {low} to {high}), found {found}")
    return csat_from_score((number - low) / (high - low), comment)


def csat_value(value: Any, *, scale_max: int = 5, comment: str | None = None) -> Csat | None:
    """A rating cell: good/bad words, a fraction written with a point (0.0-1.0), or a whole number
    on a 1..``scale_max`` scale. Empty is None; anything else raises."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        labelled = csat_from_label(value, comment)
        if labelled:
            return labelled
        if not _DIGITS.fullmatch(value.strip()):
            raise ValueError(
                f"expected a rating (good/bad, a fraction from 0.0 to 1.0 or a whole number from 1 to "
                f"{scale_max}), found {describe(value)}"
            )
        value = float(value) if "." in value else int(value)
    if isinstance(value, float) and 0.0 <= value <= 1.0:
        return csat_from_score(value, comment)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"expected a rating, found {describe(value)}")
    return csat_on_scale(value, 1, scale_max, comment)


def person(value: Any) -> tuple[str | None, str | None]:
    """(name, e-mail) from ``"Name <a@b>"`` text; Zammad's ``"Agent via Group"`` loses ``via``."""
    text = text_or_none(value)
    if text is None:
        return None, None
    name, address = parseaddr(text)
    if "@" not in address:
        return (_VIA_SUFFIX.sub("", text).strip(' "') or None), None
    return (_VIA_SUFFIX.sub("", name).strip(' "') or None), address


def language_code(value: Any) -> str | None:
    """``en-US`` / ``nl_NL`` / ``el`` → ``en`` / ``nl`` / ``el``."""
    text = text_or_none(value)
    return primary_subtag(text) if text else None


def named_fields(values: Mapping[str, Any], names: Mapping[str, str] | None) -> dict[str, str]:
    """Custom fields as text. Without ``names`` every non-empty one is kept under its own key; with
    ``names`` (source key → our name) only those are kept, renamed (e.g. ``{"360001": "intent"}``)."""
    kept: dict[str, str] = {}
    for key, value in values.items():
        name = str(key) if names is None else names.get(str(key))
        text = field_text(value) if name else None
        if name and text:
            kept[name] = text
    return kept
