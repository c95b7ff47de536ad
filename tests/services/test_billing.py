"""R-BILL-1 … R-BILL-7: invoices issued and sent on the schedule, to the øre and the day."""
import datetime as dt

import pytest
from sqlalchemy import func, select
from stdnum import luhn

from tests.billing_setup import active_customer
from webapp import clock
from webapp.extensions import db
from webapp.models import OutboxMail
from webapp.services import billing

D = dt.date



def job_days(start: D, end: D) -> list[D]:
    """The mornings the licence jobs act on for a customer who pays at once: activation and the
    day after it, each period's first day and each renewal day (the 11th). Jumping between
    them instead of walking every day keeps a three-year walk short; an invoice issued on a
    day skipped would show on the next one visited, with the wrong date or one too many."""
    days = {start, start + dt.timedelta(days=1)}
    day = start.replace(day=1)
    while day <= end:
        days |= {day, day.replace(day=11)}
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return sorted(d for d in days if start <= d <= end)



def test_r_bill_4_annual_customer_over_three_years(app, invoices, walk):
    active_customer(D(2026, 4, 20), "annual")
    walk(D(2026, 4, 20), D(2029, 4, 30), days=job_days(D(2026, 4, 20), D(2029, 4, 30)))
    got = [(i.invoice_date, i.due_date, i.period_start, i.period_end, i.total_ore)
           for i in invoices()]
    assert got == [
        (D(2026, 4, 21), D(2026, 5, 5), D(2026, 4, 20), D(2027, 4, 30), 1_577_678),
        (D(2027, 4, 11), D(2027, 4, 25), D(2027, 5, 1), D(2028, 4, 30), 1_530_900),
        (D(2028, 4, 11), D(2028, 4, 25), D(2028, 5, 1), D(2029, 4, 30), 1_530_900),
        (D(2029, 4, 11), D(2029, 4, 25), D(2029, 5, 1), D(2030, 4, 30), 1_530_900),
    ]
    first = invoices()[0]
    assert [(ln.description, ln.period_start, ln.period_end, ln.amount_ore) for ln in first.lines] \
        == [("Kvitt Office Professional, brukere 1–3", D(2026, 4, 20), D(2026, 4, 30), 38_390),
            ("Mobile Edition", D(2026, 4, 20), D(2026, 4, 30), 3_190),
            ("Kvitt Office Professional, brukere 1–3", D(2026, 5, 1), D(2027, 4, 30), 1_256_400),
            ("Mobile Edition", D(2026, 5, 1), D(2027, 4, 30), 104_400),
            ("Rabatt for årlig fakturering 10 %", D(2026, 4, 20), D(2027, 4, 30), -140_238)]
    assert (first.net_ore, first.vat_ore) == (1_262_142, 315_536)


@pytest.mark.parametrize("interval, plan, addons, renewal_total", [
    ("semiannual", "office-professional", ("office-mobile",), 807_975),  # 6 × 1 134 − 5 %
    ("quarterly", "office-professional", ("office-mobile",), 425_250),   # 3 × 1 134
    ("monthly", "efaktura-basic", (), 32_250),  # Basic 199 + 1 extra licence 59, + VAT
])
def test_r_bill_4_semiannual_quarterly_and_monthly_over_three_years(
        app, interval, plan, addons, renewal_total, invoices, walk):
    active_customer(D(2026, 4, 20), interval, plan=plan, addons=addons)
    walk(D(2026, 4, 20), D(2029, 4, 30), days=job_days(D(2026, 4, 20), D(2029, 4, 30)))
    issued = invoices()
    months = {"semiannual": 6, "quarterly": 3, "monthly": 1}[interval]
    assert issued[0].invoice_date == D(2026, 4, 21) and issued[0].due_date == D(2026, 5, 5)
    assert issued[0].period_start == D(2026, 4, 20)
    covered = issued[0].period_end
    for invoice in issued[1:]:
        assert invoice.period_start == covered + dt.timedelta(days=1)  # no gap, no overlap
        assert invoice.period_start.day == 1
        month_before = (invoice.period_start - dt.timedelta(days=1)).replace(day=1)
        assert invoice.invoice_date == month_before.replace(day=11)
        assert invoice.due_date == month_before.replace(day=25)
        assert invoice.total_ore == renewal_total
        covered = invoice.period_end
    # Three years of renewals, all issued by the end of April 2029.
    assert len(issued) == 1 + (36 // months)
    numbers = [i.number for i in issued]
    assert numbers == list(range(1, len(issued) + 1))


def test_r_bill_1_invoice_is_sent_at_0800_oslo_time_with_the_pdf(app, smtp_server, at, invoices,
                                                                 run_jobs):
    active_customer(D(2026, 3, 28))  # the invoice day is the first day of summer time
    at(2026, 3, 29, 7, 59)
    run_jobs()
    [invoice] = invoices()
    assert invoice.sent_at is None and smtp_server.messages == []
    assert invoice.send_at == dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)
    at(2026, 3, 29, 8, 0)
    run_jobs()
    run_jobs()
    [message] = smtp_server.messages
    assert message["Subject"] == f"Faktura {invoice.number} fra Kvitt AS"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")


def test_r_bill_2_running_the_issuing_twice_issues_nothing_twice(app, at, invoices):
    for day in (1, 5, 9):
        active_customer(D(2026, 4, day), name=f"Kunde{day} AS")
    at(2026, 4, 30, 9, 0)
    assert billing.issue_due_invoices(clock.now()) == 3
    assert billing.issue_due_invoices(clock.now()) == 0
    assert [i.number for i in invoices()] == [1, 2, 3]
    assert all(luhn.is_valid(i.kid) for i in invoices())


def test_r_bill_2_missed_days_are_caught_up(app, at, invoices):
    active_customer(D(2026, 1, 20), "quarterly")
    at(2026, 10, 20, 9, 0)  # the scheduler was down since January
    billing.issue_due_invoices(clock.now())
    assert [(i.period_start, i.period_end) for i in invoices()] == [
        (D(2026, 1, 20), D(2026, 4, 30)), (D(2026, 5, 1), D(2026, 7, 31)),
        (D(2026, 8, 1), D(2026, 10, 31)), (D(2026, 11, 1), D(2027, 1, 31))]


def test_r_bill_6_users_beyond_the_licence_are_billed_afterwards(app, invoices, walk):
    from webapp.services.accounts import add_user

    subscription = active_customer(D(2026, 4, 20), "quarterly", quantity=2, users=2)
    company = subscription.agreement.companies[0]
    extra = dt.datetime(2026, 6, 10, 12, 0, tzinfo=clock.OSLO)
    add_user(company, extra, first_name="Tredje", last_name="Bruker", email="t@example.com",
             username="tredje", group_key="users")
    db.session.commit()
    walk(D(2026, 4, 20), D(2026, 10, 12))
    second, third = invoices()[1:3]
    [line] = [ln for ln in second.lines if ln.description.startswith("Brukere utover")]
    # 10 June (created) to 10 July (the day before the invoice): 21 June days + 10 July days,
    # at 349 (user 3 is in band 1–5) + 29 for Mobile Edition = 378 kr a month.
    assert (line.period_start, line.period_end, line.quantity) == (
        D(2026, 6, 10), D(2026, 7, 10), 1)
    assert line.amount_ore == round(37_800 * 21 / 30 + 37_800 * 10 / 31)
    [later] = [ln for ln in third.lines if ln.description.startswith("Brukere utover")]
    assert (later.period_start, later.period_end) == (D(2026, 7, 11), D(2026, 10, 10))


def test_r_bill_7_cancelling_before_the_period_starts_credits_its_invoice(app, at, invoices, walk):
    subscription = active_customer(D(2026, 4, 20), "quarterly")
    walk(D(2026, 4, 20), D(2026, 7, 12))
    renewal = invoices()[-1]
    assert renewal.period_start == D(2026, 8, 1)
    at(2026, 7, 31, 15, 0)  # the last paid day
    ends = billing.cancel_subscription(subscription, clock.now())
    db.session.commit()
    assert ends == D(2026, 7, 31)
    note = invoices()[-1]
    assert note.kind == "credit_note" and note.credited_invoice_id == renewal.id
    assert note.total_ore == -renewal.total_ore
    walk(D(2026, 8, 1), D(2026, 11, 30))
    assert invoices()[-1].id == note.id  # nothing more is issued


def test_r_bill_7_cancelling_after_the_period_started_leaves_the_invoice(app, at, invoices, walk):
    subscription = active_customer(D(2026, 4, 20), "quarterly")
    walk(D(2026, 4, 20), D(2026, 8, 2))
    at(2026, 8, 2, 10, 0)
    ends = billing.cancel_subscription(subscription, clock.now())
    db.session.commit()
    assert ends == D(2026, 10, 31)
    assert all(i.kind == "invoice" for i in invoices())


def test_operator_credit_refuses_a_second_credit(app, at, invoices):
    active_customer(D(2026, 4, 20))
    at(2026, 4, 21, 9, 0)
    billing.issue_due_invoices(clock.now())
    [invoice] = invoices()
    billing.credit_invoice(invoice, "Feil pris", clock.now())
    with pytest.raises(billing.BillingError):
        billing.credit_invoice(invoice, "Igjen", clock.now())
    db.session.commit()
    # R-DOC-3: credit notes have their own series.
    assert [(i.kind, i.number) for i in invoices()] == [("invoice", 1), ("credit_note", 1)]


def test_no_invoice_for_a_suspended_or_cancelled_subscription(app, at):
    subscription = active_customer(D(2026, 4, 20))
    subscription.status = "suspended"
    db.session.commit()
    at(2026, 4, 22, 9, 0)
    assert billing.issue_due_invoices(clock.now()) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0
    subscription.status = "cancelled"
    db.session.commit()
    assert billing.issue_due_invoices(clock.now()) == 0
