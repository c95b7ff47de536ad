"""R-BILL-5: payments by KID by hand and the dunning chain (bank files: test_bank_files)."""
import datetime as dt

import pytest
from sqlalchemy import select

from tests.billing_setup import active_customer
from webapp import clock
from webapp.extensions import db
from webapp.models import DunningEvent, LicenceSubscription, OutboxMail
from webapp.services import payments

D = dt.date


@pytest.fixture
def invoice(app, at, invoices, run_jobs):
    active_customer(D(2026, 4, 20))
    at(2026, 4, 21, 9, 0)
    run_jobs()
    return invoices()[0]


def test_r_bill_5_payment_by_kid_marks_the_invoice_paid(invoice):
    payments.register_payment(invoice.kid, invoice.total_ore, D(2026, 5, 2), clock.now())
    db.session.commit()
    assert invoice.status(D(2026, 5, 10)) == "paid"


def test_r_bill_5_partial_and_over_payments_are_visible(invoice):
    payments.register_payment(invoice.kid, 100_000, D(2026, 5, 2), clock.now())
    assert invoice.status(D(2026, 5, 2)) == "partly_paid"
    assert invoice.open_ore == invoice.total_ore - 100_000
    payments.register_payment(invoice.kid, invoice.total_ore, D(2026, 5, 3), clock.now())
    assert invoice.status(D(2026, 5, 3)) == "overpaid"


def test_r_bill_5_unknown_kid_is_kept_unmatched_and_can_be_matched(invoice):
    payment = payments.register_payment("99999999999", 5_000, D(2026, 5, 2), clock.now())
    assert payment.status == "unmatched" and invoice.paid_ore == 0
    payments.match_payment(payment, invoice)
    assert invoice.paid_ore == 5_000
    with pytest.raises(payments.PaymentError):
        payments.match_payment(payment, invoice)


@pytest.mark.parametrize("text, ore", [("1234,50", 123_450), ("1 234.5", 123_450),
                                       ("7", 700)])
def test_amounts_are_read_in_kroner(text, ore):
    assert payments.parse_amount(text) == ore


@pytest.mark.parametrize("text", ["-5", "0", "1,234.50", "12,345", "abc", ""])
def test_bad_amounts_are_refused(text):
    with pytest.raises(payments.PaymentError):
        payments.parse_amount(text)


def test_r_bill_5_unpaid_invoice_goes_through_reminder_warning_and_suspension(invoice, at,
                                                                              run_jobs):
    assert invoice.due_date == D(2026, 5, 5)
    steps = []
    day = D(2026, 5, 5)
    while day <= D(2026, 6, 15):
        at(day.year, day.month, day.day, 9, 0)
        run_jobs()
        run_jobs()
        db.session.refresh(invoice)
        steps.append((day, invoice.dunning_stage))
        day += dt.timedelta(days=1)
    changes = [(day, stage) for (day, stage), (_, before) in zip(steps[1:], steps, strict=False) if
               stage != before]
    # Reminder 3 days after the due date with 14 days; warning the day after that deadline
    # with 14 more days; hand-over and suspension the day after the warning's deadline.
    assert changes == [(D(2026, 5, 8), 1), (D(2026, 5, 23), 2), (D(2026, 6, 7), 3)]
    assert db.session.scalar(select(LicenceSubscription.status)) == "suspended"
    assert invoice.status(D(2026, 6, 7)) == "debt_collection"
    kinds = [m.kind for m in db.session.scalars(select(OutboxMail).order_by(OutboxMail.id))]
    assert kinds == ["invoice", "dunning_1", "dunning_2", "dunning_3"]
    assert db.session.query(DunningEvent).count() == 3
    payments.register_payment(invoice.kid, invoice.total_ore, D(2026, 6, 10), clock.now())
    db.session.commit()
    assert db.session.scalar(select(LicenceSubscription.status)) == "active"


def test_r_bill_5_a_dialogue_pauses_the_chain(invoice, at, run_jobs):
    at(2026, 5, 8, 9, 0)
    run_jobs()
    assert invoice.dunning_stage == 1
    payments.set_dialogue(invoice, True)
    db.session.commit()
    at(2026, 7, 1, 9, 0)
    run_jobs()
    db.session.refresh(invoice)
    assert invoice.dunning_stage == 1
    payments.set_dialogue(invoice, False)
    db.session.commit()
    run_jobs()
    db.session.refresh(invoice)
    assert invoice.dunning_stage == 2
