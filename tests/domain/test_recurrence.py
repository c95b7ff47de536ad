"""R-FREQ-1 … R-FREQ-3: recurrence patterns on rrule, the day-31 rule, automatic names."""
import datetime as dt

import pytest
from dateutil import rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.domain.recurrence import Pattern, PatternError, describe

D = dt.date


# RFC 5545 section 3.8.5.3 examples that these patterns can express (DTSTART 1997-09-02 and
# nearby, as in the RFC); the dates are the RFC's own. Where the RFC's rule has more than one
# month the case keeps one of them and says so.
@pytest.mark.parametrize("pattern, expected", [
    # Daily for 10 occurrences
    (Pattern("daily", D(1997, 9, 2), count=10),
     [D(1997, 9, d) for d in range(2, 12)]),
    # Every other day - forever (first five)
    (Pattern("daily", D(1997, 9, 2), interval=2),
     [D(1997, 9, 2), D(1997, 9, 4), D(1997, 9, 6), D(1997, 9, 8), D(1997, 9, 10)]),
    # Every 10 days, 5 occurrences
    (Pattern("daily", D(1997, 9, 2), interval=10, count=5),
     [D(1997, 9, 2), D(1997, 9, 12), D(1997, 9, 22), D(1997, 10, 2), D(1997, 10, 12)]),
    # Weekly for 10 occurrences
    (Pattern("weekly", D(1997, 9, 2), weekdays=(1,), count=10),
     [D(1997, 9, 2), D(1997, 9, 9), D(1997, 9, 16), D(1997, 9, 23), D(1997, 9, 30),
      D(1997, 10, 7), D(1997, 10, 14), D(1997, 10, 21), D(1997, 10, 28), D(1997, 11, 4)]),
    # Weekly on Tuesday and Thursday for five weeks
    (Pattern("weekly", D(1997, 9, 2), weekdays=(1, 3), count=10),
     [D(1997, 9, 2), D(1997, 9, 4), D(1997, 9, 9), D(1997, 9, 11), D(1997, 9, 16),
      D(1997, 9, 18), D(1997, 9, 23), D(1997, 9, 25), D(1997, 9, 30), D(1997, 10, 2)]),
    # Every other week on Tuesday and Thursday, for 8 occurrences
    (Pattern("weekly", D(1997, 9, 2), interval=2, weekdays=(1, 3), count=8),
     [D(1997, 9, 2), D(1997, 9, 4), D(1997, 9, 16), D(1997, 9, 18), D(1997, 9, 30),
      D(1997, 10, 2), D(1997, 10, 14), D(1997, 10, 16)]),
    # Monthly on the first Friday for 10 occurrences
    (Pattern("monthly", D(1997, 9, 5), ordinal=1, weekday=4, count=10),
     [D(1997, 9, 5), D(1997, 10, 3), D(1997, 11, 7), D(1997, 12, 5), D(1998, 1, 2),
      D(1998, 2, 6), D(1998, 3, 6), D(1998, 4, 3), D(1998, 5, 1), D(1998, 6, 5)]),
    # Not in the RFC: the last Monday of every month, 6 times (BYDAY=-1MO)
    (Pattern("monthly", D(1997, 9, 22), ordinal=-1, weekday=0, count=6),
     [D(1997, 9, 29), D(1997, 10, 27), D(1997, 11, 24), D(1997, 12, 29), D(1998, 1, 26),
      D(1998, 2, 23)]),
    # RFC "Yearly in June and July for 10 occurrences", here June only, 4 times
    (Pattern("yearly", D(1997, 6, 10), month=6, month_day=10, count=4),
     [D(1997, 6, 10), D(1998, 6, 10), D(1999, 6, 10), D(2000, 6, 10)]),
    # RFC "Every other year on January, February, and March", here March only
    (Pattern("yearly", D(1997, 3, 10), interval=2, month=3, month_day=10, count=3),
     [D(1997, 3, 10), D(1999, 3, 10), D(2001, 3, 10)]),
])
def test_r_freq_1_rfc_5545_examples(pattern, expected):
    pattern.validate()
    assert pattern.occurrences(limit=len(expected)) == expected


def test_r_freq_1_day_31_falls_on_the_last_day_of_shorter_months():
    pattern = Pattern("monthly", D(2026, 1, 31), month_day=31, count=5)
    assert pattern.occurrences() == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31),
                                     D(2026, 4, 30), D(2026, 5, 31)]
    thirtieth = Pattern("monthly", D(2028, 1, 30), month_day=30, count=3)
    assert thirtieth.occurrences() == [D(2028, 1, 30), D(2028, 2, 29), D(2028, 3, 30)]


def test_r_freq_1_29_february_falls_on_28_february_in_other_years():
    pattern = Pattern("yearly", D(2028, 2, 29), month=2, month_day=29, count=4)
    assert pattern.occurrences() == [D(2028, 2, 29), D(2029, 2, 28), D(2030, 2, 28),
                                     D(2031, 2, 28)]


def test_r_freq_1_third_monday_of_february_every_year():
    pattern = Pattern("yearly", D(2026, 1, 1), month=2, ordinal=3, weekday=0)
    assert pattern.occurrences(limit=3) == [D(2026, 2, 16), D(2027, 2, 15), D(2028, 2, 21)]


def test_r_freq_2_end_after_n_or_by_a_date():
    by_count = Pattern("monthly", D(2026, 1, 1), interval=2, ordinal=-1, weekday=4, count=6)
    assert by_count.occurrences(limit=99) == [D(2026, 1, 30), D(2026, 3, 27), D(2026, 5, 29),
                                              D(2026, 7, 31), D(2026, 9, 25), D(2026, 11, 27)]
    by_date = Pattern("weekly", D(2026, 1, 2), weekdays=(4,), interval=2, until=D(2026, 2, 13))
    assert by_date.occurrences(limit=99) == [D(2026, 1, 2), D(2026, 1, 16), D(2026, 1, 30),
                                             D(2026, 2, 13)]
    # A subscriber's own end date shortens the pattern for that subscriber.
    assert by_date.occurrences(limit=99, until=D(2026, 1, 20)) == [D(2026, 1, 2),
                                                                   D(2026, 1, 16)]


@pytest.mark.parametrize("pattern, field_name, code", [
    (Pattern("monthly", D(2026, 1, 1), month_day=0), "month_day", "range"),
    (Pattern("monthly", D(2026, 1, 1), month_day=32), "month_day", "range"),
    (Pattern("monthly", D(2026, 1, 1), interval=0, month_day=1), "interval", "range"),
    (Pattern("weekly", D(2026, 1, 1), weekdays=()), "weekdays", "required"),
    (Pattern("weekly", D(2026, 1, 1), weekdays=(7,)), "weekdays", "required"),
    (Pattern("monthly", D(2026, 1, 1), ordinal=5, weekday=0), "ordinal", "range"),
    (Pattern("monthly", D(2026, 1, 1)), "month_day", "choose_one"),
    (Pattern("yearly", D(2026, 1, 1), month=13, month_day=1), "month", "range"),
    (Pattern("yearly", D(2026, 1, 1), month=4, month_day=31), "month_day", "range"),
    (Pattern("daily", D(2026, 1, 10), until=D(2026, 1, 9)), "until", "before_start"),
    (Pattern("weekly", D(2026, 1, 5), weekdays=(4,), until=D(2026, 1, 7)), "until",
     "no_occurrence"),
])
def test_r_freq_1_impossible_patterns_are_refused(pattern, field_name, code):
    with pytest.raises(PatternError) as error:
        pattern.validate()
    assert (error.value.field, error.value.code) == (field_name, code)


@pytest.mark.parametrize("pattern, nb, en", [
    (Pattern("weekly", D(2026, 1, 2), interval=2, weekdays=(4,)),
     "Hver 2. uke på fredag", "Every 2nd week on Friday"),
    (Pattern("monthly", D(2026, 1, 1), interval=2, ordinal=-1, weekday=4, count=6),
     "Siste fredag hver 2. måned, 6 ganger", "The last Friday of every 2nd month, 6 times"),
    (Pattern("yearly", D(2026, 1, 1), month=2, ordinal=3, weekday=0),
     "Tredje mandag i februar hvert år", "The third Monday of February, every year"),
    (Pattern("daily", D(2026, 1, 1), interval=3), "Hver 3. dag", "Every 3rd day"),
    (Pattern("monthly", D(2026, 1, 1), month_day=15), "Hver måned den 15.",
     "Every month on the 15th"),
    (Pattern("weekly", D(2026, 1, 1), weekdays=(0, 2, 4), until=D(2026, 6, 30)),
     "Hver uke på mandag, onsdag og fredag, til 30.06.2026",
     "Every week on Monday, Wednesday and Friday, until 30 Jun 2026"),
    (Pattern("yearly", D(2026, 1, 1), interval=2, month=5, month_day=17),
     "Hvert 2. år den 17. mai", "Every 2nd year on May 17"),
])
def test_r_freq_3_automatic_names_in_bokmal_and_english(pattern, nb, en):
    assert describe(pattern, "nb") == nb
    assert describe(pattern, "en") == en


weekday_sets = st.sets(st.integers(min_value=0, max_value=6), min_size=1).map(
    lambda s: tuple(sorted(s)))


@st.composite
def patterns(draw):
    kind = draw(st.sampled_from(["daily", "weekly", "monthly", "yearly"]))
    start = draw(st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)))
    interval = draw(st.integers(min_value=1, max_value=12))
    options = {}
    if kind == "weekly":
        options["weekdays"] = draw(weekday_sets)
    if kind in ("monthly", "yearly"):
        if kind == "yearly":
            options["month"] = draw(st.integers(min_value=1, max_value=12))
        if draw(st.booleans()):
            options["month_day"] = draw(st.integers(min_value=1, max_value=28))
        else:
            options["ordinal"] = draw(st.sampled_from([1, 2, 3, 4, -1]))
            options["weekday"] = draw(st.integers(min_value=0, max_value=6))
    return Pattern(kind, start, interval=interval, **options)


@settings(max_examples=300, deadline=None)
@given(pattern=patterns(), after=st.dates(min_value=D(2020, 1, 1), max_value=D(2032, 12, 31)))
def test_r_freq_1_engine_agrees_with_a_plain_rrule(pattern, after):
    """For days 1–28 (where no month is short) the engine is exactly RFC 5545's rrule."""
    freq = {"daily": rrule.DAILY, "weekly": rrule.WEEKLY, "monthly": rrule.MONTHLY,
            "yearly": rrule.YEARLY}[pattern.kind]
    days = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
    options = {"dtstart": dt.datetime.combine(pattern.start, dt.time()),
               "interval": pattern.interval}
    if pattern.weekdays:
        options["byweekday"] = [days[d] for d in pattern.weekdays]
    if pattern.month_day:
        options["bymonthday"] = pattern.month_day
    if pattern.ordinal:
        options["byweekday"] = days[pattern.weekday](pattern.ordinal)
    if pattern.month:
        options["bymonth"] = pattern.month
    reference = rrule.rrule(freq, **options)
    start = dt.datetime.combine(after, dt.time())
    expected, moment = [], reference.after(start, inc=True)
    while moment is not None and len(expected) < 5:
        expected.append(moment.date())
        moment = reference.after(moment)
    assert pattern.occurrences(after=after, limit=5) == expected


def test_r_freq_2_a_subscriber_end_date_cuts_a_counted_series():
    pattern = Pattern("monthly", D(2026, 1, 1), month_day=1, count=6)
    assert pattern.occurrences(limit=99, until=D(2026, 3, 15)) == [
        D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    assert pattern.between(D(2026, 1, 1), D(2026, 12, 31), until=D(2026, 3, 15)) == [
        D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    assert pattern.next_date(D(2026, 3, 2), until=D(2026, 3, 15)) is None
