"""Subscription frequencies: RFC 5545 recurrence on python-dateutil's rrule (R-FREQ-1 … 3).

Day 29–31 and 29 February: a bookkeeper expects "the 31st of every month" to fall on the last
day of a shorter month, not to skip it, and "29 February every year" to fall on 28 February in
other years. So a day D > 28 is expressed as "the last of the days 28…D that the month has"
(BYMONTHDAY=28..D with BYSETPOS=-1), which is D where the month has it and the month's last
day otherwise.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from babel.dates import get_day_names, get_month_names
from dateutil import rrule

from .formats import format_day

KINDS = ("daily", "weekly", "monthly", "yearly")
ORDINALS = (1, 2, 3, 4, -1)  # first … fourth, last
MAX_INTERVAL = 99
_RRULE_FREQ = {"daily": rrule.DAILY, "weekly": rrule.WEEKLY, "monthly": rrule.MONTHLY,
               "yearly": rrule.YEARLY}
_WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


class PatternError(ValueError):
    """An impossible pattern; `field` names the input it concerns, `code` the problem."""

    def __init__(self, field_name: str, code: str):
        super().__init__(f"{field_name}: {code}")
        self.field = field_name
        self.code = code


@dataclass(frozen=True)
class Pattern:
    """A recurrence: kind, every `interval` units, on the given days, from `start`, until …"""

    kind: str
    start: dt.date
    interval: int = 1
    weekdays: tuple[int, ...] = ()      # weekly: 0 = Monday … 6 = Sunday
    month_day: int | None = None         # monthly/yearly by date: 1 … 31
    ordinal: int | None = None           # monthly/yearly by weekday: 1 … 4 or -1 (last)
    weekday: int | None = None           # with ordinal: 0 = Monday … 6 = Sunday
    month: int | None = None             # yearly: 1 … 12
    count: int | None = None             # end after N occurrences
    until: dt.date | None = None         # end on this date (inclusive)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def validate(self) -> None:
        """Raise PatternError for a pattern that cannot recur."""
        if self.kind not in KINDS:
            raise PatternError("kind", "unknown")
        if not 1 <= self.interval <= MAX_INTERVAL:
            raise PatternError("interval", "range")
        if self.kind == "weekly":
            if not self.weekdays or any(not 0 <= d <= 6 for d in self.weekdays):
                raise PatternError("weekdays", "required")
        if self.kind in ("monthly", "yearly"):
            by_date = self.month_day is not None
            by_weekday = self.ordinal is not None or self.weekday is not None
            if by_date == by_weekday:
                raise PatternError("month_day", "choose_one")
            if self.month_day is not None and not 1 <= self.month_day <= 31:
                raise PatternError("month_day", "range")
            if by_weekday and (self.ordinal not in ORDINALS or self.weekday is None
                               or not 0 <= self.weekday <= 6):
                raise PatternError("ordinal", "range")
        if self.kind == "yearly":
            if self.month is None or not 1 <= self.month <= 12:
                raise PatternError("month", "range")
            if self.month_day is not None and self.month_day > _days_in(self.month):
                raise PatternError("month_day", "range")
        if self.count is not None and self.until is not None:
            raise PatternError("count", "choose_one")
        if self.count is not None and not 1 <= self.count <= 9999:
            raise PatternError("count", "range")
        if self.until is not None and self.until < self.start:
            raise PatternError("until", "before_start")
        if next(iter(self.rule()), None) is None:
            raise PatternError("until", "no_occurrence")

    def rule(self) -> rrule.rrule:
        """The dateutil rrule (dates as midnight datetimes)."""
        options: dict[str, Any] = {"freq": _RRULE_FREQ[self.kind], "interval": self.interval,
                         "dtstart": dt.datetime.combine(self.start, dt.time())}
        if self.until is not None:
            options["until"] = dt.datetime.combine(self.until, dt.time())
        if self.count is not None:
            options["count"] = self.count
        if self.kind == "weekly":
            options["byweekday"] = tuple(_WEEKDAYS[d] for d in sorted(set(self.weekdays)))
        elif self.kind in ("monthly", "yearly"):
            if self.month_day is not None:
                if self.month_day > 28:
                    options["bymonthday"] = tuple(range(28, self.month_day + 1))
                    options["bysetpos"] = -1
                else:
                    options["bymonthday"] = self.month_day
            elif self.weekday is not None and self.ordinal is not None:
                options["byweekday"] = _WEEKDAYS[self.weekday](self.ordinal)
            if self.kind == "yearly":
                options["bymonth"] = self.month
        return rrule.rrule(**options)

    # `until` below is a subscriber's own end date: it cuts the series (after a count, too:
    # RFC 5545 allows COUNT or UNTIL in one rule, not both).

    def occurrences(self, after: dt.date | None = None, limit: int = 10,
                    until: dt.date | None = None) -> list[dt.date]:
        """The next `limit` dates on or after `after` (all from the start without it)."""
        found: list[dt.date] = []
        rule = self.rule()
        moment = rule.after(dt.datetime.combine(after, dt.time()), inc=True) if after \
            else next(iter(rule), None)
        while moment is not None and len(found) < limit and (
                until is None or moment.date() <= until):
            found.append(moment.date())
            moment = rule.after(moment)
        return found

    def next_date(self, on_or_after: dt.date, until: dt.date | None = None) -> dt.date | None:
        moment = self.rule().after(dt.datetime.combine(on_or_after, dt.time()), inc=True)
        if moment is None or (until is not None and moment.date() > until):
            return None
        day: dt.date = moment.date()
        return day

    def between(self, first: dt.date, last: dt.date, until: dt.date | None = None
                ) -> list[dt.date]:
        """Every occurrence from `first` to `last` (and not after `until`), both included."""
        last = min(last, until) if until else last
        if last < first:
            return []
        return [m.date() for m in self.rule().between(
            dt.datetime.combine(first, dt.time()), dt.datetime.combine(last, dt.time()),
            inc=True)]


def _days_in(month: int) -> int:
    return {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}.get(month, 31)


# --- names (R-FREQ-3) --------------------------------------------------------------------

# Weekday names (0 = Monday) and month names (0 = January) as each language writes them in a
# sentence, from Babel's locale data.
_WEEKDAY_NAMES = {language: tuple(get_day_names("wide", context="format", locale=language)[day]
                                  for day in range(7)) for language in ("nb", "en")}
_MONTH_NAMES = {language: tuple(get_month_names("wide", context="format", locale=language)[month]
                                for month in range(1, 13)) for language in ("nb", "en")}
_ORDINAL_WORDS = {
    "nb": {1: "første", 2: "andre", 3: "tredje", 4: "fjerde", -1: "siste"},
    "en": {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"},
}
_UNITS = {
    "nb": {"daily": "dag", "weekly": "uke", "monthly": "måned", "yearly": "år"},
    "en": {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"},
}


def _english_ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(
        number % 10, "th")
    return f"{number}{suffix}"


def _every(pattern: Pattern, locale: str) -> str:
    unit = _UNITS[locale][pattern.kind]
    if locale == "en":
        return f"Every {unit}" if pattern.interval == 1 else \
            f"Every {_english_ordinal(pattern.interval)} {unit}"
    if pattern.interval == 1:
        return {"daily": "Hver dag", "weekly": "Hver uke", "monthly": "Hver måned",
                "yearly": "Hvert år"}[pattern.kind]
    word = "Hvert" if pattern.kind == "yearly" else "Hver"
    return f"{word} {pattern.interval}. {unit}"


def _join(words: list[str], locale: str) -> str:
    if len(words) < 2:
        return "".join(words)
    conjunction = " og " if locale == "nb" else " and "
    return ", ".join(words[:-1]) + conjunction + words[-1]


def describe(pattern: Pattern, locale: str = "nb") -> str:
    """An automatic name from the pattern, e.g. 'Hver 2. uke på fredag'."""
    locale = "en" if locale == "en" else "nb"
    every = _every(pattern, locale)
    days, months = _WEEKDAY_NAMES[locale], _MONTH_NAMES[locale]
    if pattern.kind == "daily":
        text = every
    elif pattern.kind == "weekly":
        names = _join([days[d] for d in sorted(set(pattern.weekdays))], locale)
        text = f"{every} på {names}" if locale == "nb" else f"{every} on {names}"
    elif pattern.month_day is not None:
        if pattern.kind == "monthly":
            text = f"{every} den {pattern.month_day}." if locale == "nb" else \
                f"{every} on the {_english_ordinal(pattern.month_day)}"
        else:
            month = months[(pattern.month or 1) - 1]
            text = f"{every} den {pattern.month_day}. {month}" if locale == "nb" else \
                f"{every} on {month} {pattern.month_day}"
    else:
        ordinal = _ORDINAL_WORDS[locale][pattern.ordinal or 1]
        day = days[pattern.weekday or 0]
        if pattern.kind == "monthly":
            lower = every[0].lower() + every[1:]
            text = f"{ordinal.capitalize()} {day} {lower}" if locale == "nb" else \
                f"The {ordinal} {day} of {lower}"
        else:
            month = months[(pattern.month or 1) - 1]
            lower = every[0].lower() + every[1:]
            text = f"{ordinal.capitalize()} {day} i {month} {lower}" if locale == "nb" else \
                f"The {ordinal} {day} of {month}, {lower}"
    if pattern.count is not None:
        text += f", {pattern.count} ganger" if locale == "nb" else f", {pattern.count} times"
    elif pattern.until is not None:
        text += f", til {format_day(pattern.until, 'nb')}" if locale == "nb" else \
            f", until {format_day(pattern.until, 'en')}"
    return text
