"""Dates and times as each language writes them (Babel's locale data), in Oslo time.

Bokmål writes a day "24.11.2026" and a moment "24.11.2026, 09:05"; English writes
"24 Nov 2026" and "24 Nov 2026, 09:05" (British order: day, month, year)."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime

OSLO = ZoneInfo("Europe/Oslo")
# Kvitt's two languages and the Babel locale and date length each writes dates in.
_DATES = {"nb": (Locale.parse("nb"), "short"), "en": (Locale.parse("en_GB"), "medium")}


def _language(locale: str | None) -> str:
    return "en" if locale == "en" else "nb"


@lru_cache(maxsize=4096)
def format_day(day: dt.date, locale: str | None = "nb") -> str:
    """A calendar day: "24.11.2026" (nb), "24 Nov 2026" (en)."""
    babel_locale, length = _DATES[_language(locale)]
    return format_date(day, length, locale=babel_locale)


def format_moment(moment: dt.datetime, locale: str | None = "nb") -> str:
    """An instant in Oslo time, to the minute: "24.11.2026, 09:05" (nb), "24 Nov 2026, 09:05"
    (en)."""
    babel_locale, length = _DATES[_language(locale)]
    local = moment.astimezone(OSLO)
    return f"{format_date(local.date(), length, locale=babel_locale)}, " \
        f"{format_datetime(local, 'HH:mm', tzinfo=OSLO, locale=babel_locale)}"
