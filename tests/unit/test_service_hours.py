"""Service hours: opening, due times across evenings, weekends, holidays and closures, validation,
and the wording of each promise in the customer's language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from suggest.hours.calendar import WEEKDAYS as DAYS
from suggest.hours.calendar import Closure, ServiceHours, Weekday
from suggest.hours.wording import describe_week, promise

AMS = ZoneInfo("Europe/Amsterdam")
WORKDAYS = DAYS[:5]
WEEKDAYS: dict[Weekday, list[str]] = {day: ["08:00-17:30"] for day in WORKDAYS}
HOURS = ServiceHours(timezone="Europe/Amsterdam", weekly=WEEKDAYS, holidays=[date(2026, 12, 25)])


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMS)


def test_open_only_inside_the_spans() -> None:
    assert HOURS.is_open(at(23, 8)) and HOURS.is_open(at(23, 17, 29))
    assert not HOURS.is_open(at(23, 17, 30)) and not HOURS.is_open(at(21, 12))  # Saturday


def test_due_time_counts_only_business_hours() -> None:
    assert HOURS.due(at(23, 9)) == at(23, 13)  # Monday morning: the same day
    assert HOURS.due(at(23, 15)) == at(24, 9, 30)  # 2.5 h today, 1.5 h tomorrow
    assert HOURS.due(at(21, 12)) == at(23, 12)  # Saturday: from Monday's opening
    assert HOURS.due(at(24, 16, month=12)) == at(28, 10, 30, month=12)  # Christmas and a weekend


def test_times_in_other_zones_are_converted() -> None:
    utc_morning = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Amsterdam
    assert HOURS.due(utc_morning) == at(23, 13)


def test_closures_and_holidays_cut_the_day() -> None:
    team_day = Closure(start=at(23, 12), end=at(23, 14), reason="team day")
    hours = HOURS.model_copy(update={"closures": [team_day]})
    assert not hours.is_open(at(23, 13))
    assert hours.due(at(23, 9)) == at(23, 15)
    assert HOURS.next_opening(at(24, 18, month=12)) == at(28, 8, month=12)


def test_next_business_day_is_a_later_day_when_open_now() -> None:
    assert HOURS.next_business_day(at(23, 10)) == at(24, 8)
    assert HOURS.next_business_day(at(20, 20)) == at(23, 8)  # Friday evening


def test_round_the_clock_spans() -> None:
    always = ServiceHours(
        weekly={d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    )
    saturday_night = datetime(2026, 11, 21, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert always.is_open(saturday_night)
    assert always.due(saturday_night, hours=1) == datetime(2026, 11, 22, 0, 30, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"weekly": {"mon": ["9-17"]}}, "'HH:MM-HH:MM'"),
        ({"weekly": {"mon": ["17:00-09:00"]}}, "must end after it starts"),
        ({"weekly": {"mon": ["08:00-12:00", "11:00-14:00"]}}, "overlap"),
        ({"weekly": {"mon": []}}, "at least one span"),
        ({"weekly": {"someday": ["08:00-12:00"]}}, "someday"),
        ({"first_response_hours": 0}, "greater than 0"),
    ],
)
def test_invalid_hours_say_what_is_wrong(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ServiceHours.model_validate({"weekly": WEEKDAYS} | fields)


def test_a_closure_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationError, match="must end after it starts"):
        Closure(start=at(23, 14), end=at(23, 12))


@pytest.mark.parametrize(
    ("language", "week", "soon", "tomorrow", "back"),
    [
        ("en", "Monday–Friday 08:00–17:30", "within 4 hours", "by Tuesday 09:30", "Monday 08:00"),
        ("nl", "maandag–vrijdag 08:00–17:30", "binnen 4 uur", "uiterlijk dinsdag 09:30", "maandag 08:00"),
        ("el", "Δευτέρα–Παρασκευή 08:00–17:30", "μέσα σε 4 ώρες", "έως Τρίτη 09:30", "Δευτέρα 08:00"),
        (
            "fi",
            "maanantai–perjantai 08:00–17:30",
            "maanantaina 13:00",
            "tiistaina 09:30",
            "maanantaina 08:00",
        ),
    ],
)
def test_promises_are_worded_in_the_customers_language(
    language: str, week: str, soon: str, tomorrow: str, back: str
) -> None:
    morning, afternoon, saturday = (
        promise(HOURS, at(23, 9), language),
        promise(HOURS, at(23, 15), language),
        promise(HOURS, at(21, 12), language),
    )
    assert morning.business_hours == week
    assert morning.expected_response_time == soon
    assert afternoon.expected_response_time == tomorrow
    assert saturday.next_business_day == back


def test_an_unknown_language_code_gets_english_not_an_error() -> None:
    assert promise(HOURS, at(23, 9), "xx").expected_response_time == "within 4 hours"


def test_days_with_different_hours_are_listed_apart() -> None:
    weekly: dict[Weekday, list[str]] = WEEKDAYS | {
        "fri": ["08:00-12:00", "13:00-16:00"],
        "sat": ["10:00-14:00"],
    }
    hours = ServiceHours(weekly=weekly)
    assert (
        describe_week(hours, "en")
        == "Monday–Thursday 08:00–17:30; Friday 08:00–12:00, 13:00–16:00; Saturday 10:00–14:00"
    )


def test_a_due_time_far_ahead_names_the_date() -> None:
    closed_long = HOURS.model_copy(update={"holidays": [date(2026, 11, d) for d in range(23, 31)]})
    assert promise(closed_long, at(21, 12), "en").expected_response_time == "by Tue, Dec 1 12:00"


def test_response_times_are_real_hours_across_a_clock_change() -> None:
    always = ServiceHours(timezone="Europe/Amsterdam", weekly={d: ["00:00-24:00"] for d in DAYS})
    before_spring = datetime(2027, 3, 28, 0, 30, tzinfo=AMS)  # clocks go 02:00 -> 03:00
    due = always.due(before_spring, hours=4)
    assert due is not None and (due - before_spring).total_seconds() == 4 * 3600
    assert due.astimezone(AMS).hour == 5


def test_closures_need_a_utc_offset() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Closure.model_validate({"start": "2026-12-24T00:00:00", "end": "2026-12-27T00:00:00"})
    with pytest.raises(ValidationError):
        Closure.model_validate({"start": "2026-12-24T00:00:00+01:00", "end": "2026-12-27T00:00:00"})
