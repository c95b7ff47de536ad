"""The application clock: the one source of "now" (with a test clock for development and QA)."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from .domain.formats import OSLO  # Kvitt's time zone, defined once in the pure layer
from .extensions import db

UTC = dt.UTC


class TestClockNotAllowed(RuntimeError):
    """Raised when the configuration does not allow a test clock."""


def wall_clock() -> dt.datetime:
    return dt.datetime.now(UTC)


def _setting():
    from .models.system import ClockSetting

    return db.session.get(ClockSetting, 1)


def now() -> dt.datetime:
    """Return the current instant (aware, UTC): the test clock when set, else the wall clock."""
    if current_app.config.get("TEST_CLOCK_ALLOWED"):
        setting = _setting()
        if setting is not None and setting.frozen_at is not None:
            return setting.frozen_at
    return wall_clock()


def today() -> dt.date:
    """Return today's date in Norway."""
    return now().astimezone(OSLO).date()


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(OSLO)


# The years the test clock may show: billing dates stay within what every database holds.
TEST_CLOCK_YEARS = (2000, 2200)


def set_test_clock(moment: dt.datetime) -> dt.datetime:
    """Freeze the clock at the given instant; every process reads it from the database."""
    from .models.system import ClockSetting

    if not current_app.config.get("TEST_CLOCK_ALLOWED"):
        raise TestClockNotAllowed("The test clock is not allowed in this configuration.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=OSLO)
    if not TEST_CLOCK_YEARS[0] <= moment.year <= TEST_CLOCK_YEARS[1]:
        raise ValueError("the test clock runs between the years 2000 and 2200")
    moment = moment.astimezone(UTC)
    setting = _setting()
    if setting is None:
        setting = ClockSetting(id=1)
        db.session.add(setting)
    setting.frozen_at = moment
    db.session.flush()
    return moment


def advance_test_clock(delta: dt.timedelta) -> dt.datetime:
    try:
        moment = now() + delta
    except OverflowError:
        raise ValueError("the test clock runs between the years 2000 and 2200") from None
    return set_test_clock(moment)


def reset_test_clock() -> None:
    setting = _setting()
    if setting is not None:
        setting.frozen_at = None
        db.session.flush()


def is_test_clock() -> bool:
    if not current_app.config.get("TEST_CLOCK_ALLOWED"):
        return False
    setting = _setting()
    return setting is not None and setting.frozen_at is not None
