"""Billing periods and invoice amounts (R-BILL-1 … R-BILL-4, R-BILL-6).

Schedule: the first invoice is dated the day after activation (or upgrade) and covers the rest
of that month plus the first full period from the 1st of the next month; it is due 14 days
later. Every later period starts on the 1st of a month; its invoice is dated the 11th of the
month before and due on the 25th of that month. Invoices are sent at 08:00 Oslo time.

Amounts: integer øre. A full month costs the monthly amount; a part of a month costs the monthly
amount × days used / days in that month, rounded half up per line. The interval discount is a
line of its own: the percentage of the sum of the other lines (the "final sum"), rounded half up.
VAT is 25 % of the invoice's net total, rounded half up. The lines add up to the net total.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from .money import VAT_PERCENT, percent_of, round_ore

FIRST_INVOICE_TERMS_DAYS = 14
RENEWAL_INVOICE_DAY = 11
RENEWAL_DUE_DAY = 25
SEND_HOUR = 8


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class InvoiceSchedule:
    invoice_date: dt.date
    due_date: dt.date
    periods: tuple[Period, ...]  # a partial month (first invoice only), then the full period

    @property
    def start(self) -> dt.date:
        return self.periods[0].start

    @property
    def end(self) -> dt.date:
        return self.periods[-1].end


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def first_of_next_month(day: dt.date) -> dt.date:
    return month_end(day) + dt.timedelta(days=1)


@lru_cache(maxsize=4096)
def full_period(start: dt.date, months: int) -> Period:
    """A period of whole months starting on the 1st."""
    if start.day != 1:
        raise ValueError("a full period starts on the 1st of a month")
    return Period(start, start + relativedelta(months=months) - dt.timedelta(days=1))


def first_invoice(activated_on: dt.date, months: int) -> InvoiceSchedule:
    """R-BILL-3: the day after activation, the rest of the month plus the first full period."""
    invoice_date = activated_on + dt.timedelta(days=1)
    rest = Period(activated_on, month_end(activated_on))
    return InvoiceSchedule(invoice_date, invoice_date + dt.timedelta(days=FIRST_INVOICE_TERMS_DAYS),
                           (rest, full_period(first_of_next_month(activated_on), months)))


def renewal_invoice(period_start: dt.date, months: int) -> InvoiceSchedule:
    """R-BILL-2: dated the 11th of the month before the period, due the 25th."""
    month_before = period_start - relativedelta(months=1)
    return InvoiceSchedule(month_before.replace(day=RENEWAL_INVOICE_DAY),
                           month_before.replace(day=RENEWAL_DUE_DAY),
                           (full_period(period_start, months),))


@lru_cache(maxsize=4096)
def next_invoice(billed_through: dt.date, months: int) -> InvoiceSchedule:
    return renewal_invoice(billed_through + dt.timedelta(days=1), months)


def cut_at(schedule: InvoiceSchedule, last_day: dt.date) -> InvoiceSchedule:
    """Nothing is charged after the last day: the periods end there at the latest."""
    periods = tuple(Period(p.start, min(p.end, last_day)) for p in schedule.periods
                    if p.start <= last_day)
    return InvoiceSchedule(schedule.invoice_date, schedule.due_date, periods or
                           (Period(schedule.start, schedule.start),))


def split_by_month(period: Period) -> list[Period]:
    """Cut a period at month ends (a part of a month is priced by its days)."""
    parts, start = [], period.start
    while start <= period.end:
        end = min(month_end(start), period.end)
        parts.append(Period(start, end))
        start = end + dt.timedelta(days=1)
    return parts


@lru_cache(maxsize=65536)
def period_amount(monthly_ore: int, period: Period) -> int:
    """The price of a period: whole months at the monthly amount, part months by days."""
    if period.start.day == 1 and period.end == month_end(period.end):
        months = (period.end.year - period.start.year) * 12 + period.end.month \
            - period.start.month + 1
        return monthly_ore * months
    total = Decimal(0)
    for part in split_by_month(period):
        days_in_month = calendar.monthrange(part.start.year, part.start.month)[1]
        total += Decimal(monthly_ore) * part.days / days_in_month
    return round_ore(total)


@dataclass(frozen=True)
class Component:
    """One priced part of a subscription: a band of users, an add-on, a plan, extra licences."""

    description: str  # in bokmål, the invoice's language
    quantity: int
    monthly_unit_ore: int
    description_en: str = ""  # the same in English, for English readers of the invoice

    @property
    def monthly_ore(self) -> int:
        return self.quantity * self.monthly_unit_ore


@dataclass(frozen=True)
class Line:
    description: str
    period: Period
    quantity: int
    unit_ore: int  # per month
    amount_ore: int
    discount_percent: int | None = None  # on the interval-discount line
    description_en: str = ""


@dataclass(frozen=True)
class InvoiceAmounts:
    lines: tuple[Line, ...]
    net_ore: int
    vat_ore: int
    total_ore: int


def invoice_lines(components: list[Component], periods: tuple[Period, ...],
                  discount_percent: int, discount_text: tuple[str, str],
                  extra_lines: tuple[Line, ...] = ()) -> InvoiceAmounts:
    """Price every component for every period, then the interval discount, then VAT."""
    lines = []
    for period in periods:
        for component in components:
            amount = period_amount(component.monthly_ore, period)
            if amount:
                lines.append(Line(component.description, period, component.quantity,
                                  component.monthly_unit_ore, amount,
                                  description_en=component.description_en))
    lines.extend(extra_lines)
    gross = sum(line.amount_ore for line in lines)
    if discount_percent and gross:
        whole = Period(periods[0].start, periods[-1].end)
        discount = percent_of(gross, discount_percent)
        lines.append(Line(discount_text[0], whole, 1, -discount, -discount, discount_percent,
                          discount_text[1]))
    net = sum(line.amount_ore for line in lines)
    vat = percent_of(net, VAT_PERCENT)
    return InvoiceAmounts(tuple(lines), net, vat, net + vat)


def merge_spans(spans: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """One person's days of access as disjoint stretches (overlapping or adjoining joined), so
    access to several companies of one agreement counts once (R-AGR-1)."""
    merged: list[tuple[dt.date, dt.date]] = []
    for first, last in sorted(spans):
        if merged and (merged[-1][1] == dt.date.max
                       or first <= merged[-1][1] + dt.timedelta(days=1)):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def users_by_stretch(spans: list[tuple[dt.date, dt.date | None]], window: Period,
                     breaks: Collection[dt.date] = frozenset()) -> list[tuple[Period, int]]:
    """How many users had access on each day of the window, as (stretch, count) with a new
    stretch wherever the count changes or a day in `breaks` begins (the terms change)."""
    changes: dict[dt.date, int] = {}
    for first, last in spans:
        start = max(first, window.start)
        end = window.end if last is None else min(last, window.end)
        if start > end:
            continue
        changes[start] = changes.get(start, 0) + 1
        after = end + dt.timedelta(days=1)
        changes[after] = changes.get(after, 0) - 1
    days = sorted(set(changes) | {day for day in breaks if window.start < day <= window.end}
                  | {window.start})
    result, count = [], 0
    for index, day in enumerate(days):
        count += changes.get(day, 0)
        if day > window.end:
            break
        next_day = days[index + 1] if index + 1 < len(days) else window.end + dt.timedelta(1)
        result.append((Period(day, min(next_day - dt.timedelta(days=1), window.end)), count))
    return result


def excess_lines(spans: list[tuple[dt.date, dt.date | None]], window: Period,
                 breaks: Collection[dt.date],
                 price: Callable[[dt.date, int], tuple[int, int]]
                 ) -> list[tuple[Period, int, int]]:
    """R-BILL-6: the users beyond the licence in the window, as (stretch, extra users, monthly
    price of them). `price(day, users)` gives (extra users, their monthly price) under the terms
    in force on the day; `breaks` are the days the terms change. Adjoining days with the same
    extra users at the same price make one stretch."""
    result: list[tuple[Period, int, int]] = []
    for period, users in users_by_stretch(spans, window, breaks):
        extra, monthly = price(period.start, users)
        if extra <= 0 or monthly <= 0:
            continue
        if result and result[-1][1:] == (extra, monthly) \
                and result[-1][0].end + dt.timedelta(days=1) == period.start:
            result[-1] = (Period(result[-1][0].start, period.end), extra, monthly)
        else:
            result.append((period, extra, monthly))
    return result


# Luhn: each digit in an odd place from the right of the body, doubled, digit sum taken. The
# sums of every three-digit group, the group's last digit doubled or not (a group has three
# digits, so the next group to the left starts the other way).
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_GROUP_SUMS = (
    tuple(_DOUBLED[n % 10] + n // 10 % 10 + _DOUBLED[n // 100] for n in range(1000)),
    tuple(n % 10 + _DOUBLED[n // 10 % 10] + n // 100 for n in range(1000)),
)


def kid_for(number: int, length: int = 10) -> str:
    """KID payment reference: the invoice number padded, with a MOD10 (Luhn) check digit.
    (The MOD10 of python-stdnum's `luhn` and of NS 4102, three digits at a time: an issuing
    run of 100 000 invoices computes one each; the tests hold it to stdnum's.)"""
    total, rest, doubled = 0, number, 0
    while rest:
        total += _GROUP_SUMS[doubled][rest % 1000]
        rest //= 1000
        doubled ^= 1
    return str(number).zfill(length - 1) + str(-total % 10)
