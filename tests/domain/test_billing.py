"""R-BILL-1 … R-BILL-4, R-BILL-6: the billing schedule and amounts, to the day and the øre."""
import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from webapp.domain.billing import (
    Component,
    Period,
    excess_lines,
    first_invoice,
    invoice_lines,
    kid_for,
    next_invoice,
    period_amount,
    renewal_invoice,
)

D = dt.date


def test_r_bill_4_the_seed_example_holds_exactly():
    first = first_invoice(D(2026, 4, 20), months=12)
    assert first.invoice_date == D(2026, 4, 21)
    assert first.due_date == D(2026, 5, 5)
    assert (first.start, first.end) == (D(2026, 4, 20), D(2027, 4, 30))
    second = next_invoice(first.end, months=12)
    assert second.invoice_date == D(2027, 4, 11)
    assert second.due_date == D(2027, 4, 25)
    assert (second.start, second.end) == (D(2027, 5, 1), D(2028, 4, 30))


@pytest.mark.parametrize("months, schedule", [
    (6, [(D(2026, 4, 21), D(2026, 5, 5), D(2026, 4, 20), D(2026, 10, 31)),
         (D(2026, 10, 11), D(2026, 10, 25), D(2026, 11, 1), D(2027, 4, 30)),
         (D(2027, 4, 11), D(2027, 4, 25), D(2027, 5, 1), D(2027, 10, 31))]),
    (3, [(D(2026, 4, 21), D(2026, 5, 5), D(2026, 4, 20), D(2026, 7, 31)),
         (D(2026, 7, 11), D(2026, 7, 25), D(2026, 8, 1), D(2026, 10, 31)),
         (D(2026, 10, 11), D(2026, 10, 25), D(2026, 11, 1), D(2027, 1, 31)),
         (D(2027, 1, 11), D(2027, 1, 25), D(2027, 2, 1), D(2027, 4, 30))]),
    (1, [(D(2026, 4, 21), D(2026, 5, 5), D(2026, 4, 20), D(2026, 5, 31)),
         (D(2026, 5, 11), D(2026, 5, 25), D(2026, 6, 1), D(2026, 6, 30)),
         (D(2026, 6, 11), D(2026, 6, 25), D(2026, 7, 1), D(2026, 7, 31))]),
])
def test_r_bill_4_semiannual_quarterly_and_monthly_follow_the_same_logic(months, schedule):
    invoice = first_invoice(D(2026, 4, 20), months)
    got = []
    for _ in schedule:
        got.append((invoice.invoice_date, invoice.due_date, invoice.start, invoice.end))
        invoice = next_invoice(invoice.end, months)
    assert got == schedule


def test_r_bill_3_activation_on_the_last_day_of_a_year():
    invoice = first_invoice(D(2026, 12, 31), 3)
    assert invoice.invoice_date == D(2027, 1, 1) and invoice.due_date == D(2027, 1, 15)
    assert invoice.periods == (Period(D(2026, 12, 31), D(2026, 12, 31)),
                               Period(D(2027, 1, 1), D(2027, 3, 31)))


def test_r_bill_2_renewal_of_a_january_period_is_dated_in_december():
    invoice = renewal_invoice(D(2027, 1, 1), 12)
    assert (invoice.invoice_date, invoice.due_date) == (D(2026, 12, 11), D(2026, 12, 25))


@pytest.mark.parametrize("period, amount", [
    (Period(D(2026, 4, 20), D(2026, 4, 30)), 38_390),   # 104 700 × 11/30 = 38 390
    (Period(D(2026, 2, 15), D(2026, 2, 28)), 52_350),   # 14/28 of a month
    (Period(D(2028, 2, 15), D(2028, 2, 29)), 54_155),   # leap year: 15/29 = 54 155.17
    (Period(D(2026, 5, 1), D(2027, 4, 30)), 1_256_400),  # 12 whole months
    (Period(D(2026, 1, 31), D(2026, 2, 1)), 7_117),  # 3 377,42 + 3 739,29, rounded once
])
def test_r_bill_3_part_months_are_priced_by_days(period, amount):
    assert period_amount(104_700, period) == amount


def test_r_bill_4_invoice_lines_add_up_to_the_totals_with_the_interval_discount():
    components = [Component("Kvitt Office Professional", 3, 34_900),
                  Component("Mobile Edition", 3, 2_900)]
    invoice = first_invoice(D(2026, 4, 20), 12)
    amounts = invoice_lines(components, invoice.periods, 10, "Annual discount 10 %")
    # 3 × 349 = 1 047,00 and 3 × 29 = 87,00 a month; 11/30 of April then 12 months
    assert [line.amount_ore for line in amounts.lines] == [
        38_390, 3_190, 1_256_400, 104_400, -140_238]
    assert amounts.net_ore == 1_262_142
    assert amounts.vat_ore == 315_536  # 25 % of 12 621,42 = 3 155,355 → 3 155,36
    assert amounts.total_ore == amounts.net_ore + amounts.vat_ore
    assert sum(line.amount_ore for line in amounts.lines) == amounts.net_ore


def excess_user_days(spans, licensed, window):
    """(stretch, users beyond the licence) at a price of one øre per extra user."""
    return [(period, extra) for period, extra, _monthly in excess_lines(
        spans, window, set(), lambda day, users: (users - licensed, users - licensed))]


def test_r_bill_6_excess_users_are_found_by_day():
    window = Period(D(2026, 5, 1), D(2026, 5, 31))
    spans = [(D(2026, 1, 1), None), (D(2026, 1, 1), None), (D(2026, 5, 10), D(2026, 5, 20)),
             (D(2026, 5, 15), None)]
    assert excess_user_days(spans, licensed=2, window=window) == [
        (Period(D(2026, 5, 10), D(2026, 5, 14)), 1),
        (Period(D(2026, 5, 15), D(2026, 5, 20)), 2),
        (Period(D(2026, 5, 21), D(2026, 5, 31)), 1)]
    assert excess_user_days(spans, licensed=4, window=window) == []


def test_kid_has_a_valid_mod10_check_digit():
    kid = kid_for(1234)
    assert kid == "0000012344" and luhn.is_valid(kid)


@given(number=st.integers(min_value=1, max_value=999_999_999))
def test_kid_check_digit_is_stdnums_mod10(number):
    kid = kid_for(number)
    assert len(kid) == 10 and kid[:9] == str(number).zfill(9)
    assert kid[-1] == luhn.calc_check_digit(kid[:9]) and luhn.is_valid(kid)


@settings(max_examples=300, deadline=None)
@given(activated=st.dates(min_value=D(2024, 1, 1), max_value=D(2030, 12, 31)),
       months=st.sampled_from([1, 3, 6, 12]), renewals=st.integers(min_value=1, max_value=30))
def test_r_bill_2_no_day_is_billed_twice_or_missed(activated, months, renewals):
    invoice = first_invoice(activated, months)
    covered_until = activated - dt.timedelta(days=1)
    for _ in range(renewals):
        assert invoice.start == covered_until + dt.timedelta(days=1)  # no gap, no overlap
        assert invoice.invoice_date <= invoice.start or invoice.periods[0].start == activated
        assert invoice.due_date >= invoice.invoice_date
        for earlier, later in itertools.pairwise(invoice.periods):
            assert later.start == earlier.end + dt.timedelta(days=1)
        covered_until = invoice.end
        invoice = next_invoice(covered_until, months)
    assert invoice.start.day == 1


@settings(max_examples=200, deadline=None)
@given(monthly=st.integers(min_value=0, max_value=10_000_000),
       start=st.dates(min_value=D(2024, 1, 1), max_value=D(2030, 12, 31)),
       length=st.integers(min_value=0, max_value=800))
def test_r_bill_3_splitting_a_period_never_loses_more_than_rounding(monthly, start, length):
    period = Period(start, start + dt.timedelta(days=length))
    middle = start + dt.timedelta(days=length // 2)
    parts = [Period(start, middle), Period(middle + dt.timedelta(days=1), period.end)] \
        if middle < period.end else [period]
    assert abs(sum(period_amount(monthly, p) for p in parts) - period_amount(monthly, period)) \
        <= len(parts)


spans_strategy = st.lists(
    st.tuples(st.integers(min_value=0, max_value=400), st.one_of(
        st.none(), st.integers(min_value=0, max_value=400))), min_size=0, max_size=12)


@settings(max_examples=200, deadline=None)
@given(raw_spans=spans_strategy, licensed=st.integers(min_value=0, max_value=6),
       cuts=st.lists(st.integers(min_value=1, max_value=399), max_size=8, unique=True))
def test_r_bill_6_excess_user_days_are_billed_once_over_consecutive_windows(
        raw_spans, licensed, cuts):
    """However the time is cut into invoice windows, each excess user-day is counted once."""
    origin = D(2026, 1, 1)
    spans = [(origin + dt.timedelta(days=a),
              None if b is None else origin + dt.timedelta(days=a + b)) for a, b in raw_spans]
    whole = Period(origin, origin + dt.timedelta(days=399))

    def user_days(window):
        return sum(count * period.days for period, count in
                   excess_user_days(spans, licensed, window))

    def brute_force(window):
        total, day = 0, window.start
        while day <= window.end:
            present = sum(1 for first, last in spans if first <= day and
                          (last is None or day <= last))
            total += max(0, present - licensed)
            day += dt.timedelta(days=1)
        return total

    edges = [origin] + sorted(origin + dt.timedelta(days=c) for c in cuts) + \
        [whole.end + dt.timedelta(days=1)]
    windows = [Period(a, b - dt.timedelta(days=1)) for a, b in itertools.pairwise(edges)]
    assert sum(user_days(w) for w in windows) == user_days(whole) == brute_force(whole)


_days = st.integers(min_value=0, max_value=120).map(
    lambda n: dt.date(2026, 1, 1) + dt.timedelta(days=n))


@given(st.lists(st.tuples(_days, _days), max_size=8))
@settings(max_examples=300, deadline=None)
def test_r_agr_1_one_persons_access_to_several_companies_is_counted_once_per_day(pairs):
    """Merged stretches cover exactly the days of any access, once, without overlaps."""
    from webapp.domain.billing import merge_spans

    spans = [(min(a, b), max(a, b)) for a, b in pairs]
    merged = merge_spans(spans)
    covered = {first + dt.timedelta(days=n) for first, last in spans
               for n in range((last - first).days + 1)}
    counted = [first + dt.timedelta(days=n) for first, last in merged
               for n in range((last - first).days + 1)]
    assert len(counted) == len(set(counted)) and set(counted) == covered
    # Separate stretches really are apart (a gap of at least one day).
    assert all(later[0] > earlier[1] + dt.timedelta(days=1)
               for earlier, later in itertools.pairwise(merged))
    # As licence days: one person never counts as more than one user.
    window = Period(dt.date(2026, 1, 1), dt.date(2026, 5, 1))
    assert all(count == 1 for _period, count in excess_user_days(merged, 0, window))
