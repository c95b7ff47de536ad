"""R-BILL-7, R-PLAN-3: cancellation by an administrator, its date, the confirmation, closing,
and an operator's undo."""
import datetime as dt

import pytest
from sqlalchemy import select

from tests.billing_setup import active_customer
from webapp.extensions import db
from webapp.models import OutboxMail

D = dt.date


def test_r_bill_7_cancel_before_the_next_period_credits_it_and_closes_after_paid_end(client,
                                                                                     admin_of, at,
                                                                                     invoices,
                                                                                     log_in,
                                                                                     run_jobs):
    subscription = active_customer(D(2026, 4, 20), "quarterly")
    for day in (21, 22):
        at(2026, 4, day, 9, 0)
        run_jobs()
    at(2026, 7, 11, 9, 0)
    run_jobs()
    log_in(client, admin_of(subscription))
    page = client.get("/portal/cancel").get_data(as_text=True)
    assert "til og med 31.10.2026" in page and "Last ned fakturaer" in page
    at(2026, 7, 20, 9, 0)
    assert client.post("/portal/cancel").status_code == 303
    db.session.refresh(subscription)
    assert subscription.cancel_on == D(2026, 7, 31)
    [mail] = db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "cancellation"))
    assert "31.07.2026" in mail.body_text and "/portal/invoices" in mail.body_text
    assert invoices()[-1].kind == "credit_note"
    home = client.get("/portal/").get_data(as_text=True)
    assert "Sagt opp, tilgang til" in home and "31.07.2026" in home
    at(2026, 8, 1, 9, 0)
    run_jobs()
    db.session.refresh(subscription)
    assert subscription.status == "cancelled"
    client.post("/logout")
    user = admin_of(subscription)
    refused = client.post("/login", data={"login_id": user.company.login_id,
                                          "username": user.username,
                                          "password": "passord-1234"})
    assert refused.status_code == 422


def test_r_plan_3_monthly_plans_have_three_months_notice_and_free_none(client, admin_of, at,
                                                                       log_in):
    basic = active_customer(D(2026, 4, 20), "monthly", plan="efaktura-basic", addons=(),
                            name="Basic AS")
    free = active_customer(D(2026, 4, 20), "monthly", plan="efaktura-free", addons=(),
                           name="Gratis AS")
    at(2026, 5, 12, 9, 0)
    log_in(client, admin_of(basic))
    client.post("/portal/cancel")
    client.post("/logout")
    log_in(client, admin_of(free))
    client.post("/portal/cancel")
    db.session.refresh(basic)
    db.session.refresh(free)
    assert basic.cancel_on == D(2026, 8, 31)
    assert free.cancel_on == D(2026, 5, 12)


def test_operator_undoes_a_cancellation_and_the_period_is_invoiced_again(client, admin_of, at,
                                                                         invoices, log_in,
                                                                         log_in_operator, run_jobs):
    subscription = active_customer(D(2026, 4, 20), "quarterly")
    at(2026, 4, 21, 9, 0)
    run_jobs()
    at(2026, 7, 11, 9, 0)
    run_jobs()
    log_in(client, admin_of(subscription))
    at(2026, 7, 20, 9, 0)
    client.post("/portal/cancel")
    client.post("/logout")
    log_in_operator(client)
    assert "Bakeriet Lille AS" in client.get("/operator/cancellations").get_data(as_text=True)
    client.post("/operator/cancellations", data={"subscription_id": subscription.id})
    db.session.refresh(subscription)
    assert subscription.cancel_on is None
    run_jobs()
    august = [i for i in invoices() if i.period_start == D(2026, 8, 1)]
    assert [i.kind for i in august] == ["invoice", "credit_note", "invoice"]
    db.session.refresh(subscription)
    assert subscription.billed_through == D(2026, 10, 31)


def _model_credit_after_closing(start, closed_on):
    """The model of the rules: the same customer's invoices, then everything invoiced after
    the closing day credited (rule 4)."""
    from tests.billing_model import ONE, Model

    model = Model(start, "office-professional", 3, "annual", ["office-mobile"], 1)
    day = start
    while day <= closed_on:
        model.morning(day)
        day += ONE
    sub = model.subscriptions["A"]
    model.credit_after(sub, closed_on, closed_on)
    return [doc for doc in sub.documents if doc.kind == "credit_note"]


@pytest.fixture
def invoiced_customer_at_closing(at, run_jobs, log_in_operator):
    def _invoiced_customer_at_closing(client):
        """An annual customer invoiced through January next year; on 10 March the operator is
        logged in to close its account."""
        from webapp.models import Company

        subscription = active_customer(D(2026, 1, 5), addons=("office-mobile",), quantity=3)
        at(2026, 1, 6, 9, 0)
        run_jobs()
        company = db.session.scalar(select(Company).where(Company.name == "Bakeriet Lille AS"))
        at(2026, 3, 10, 12, 0)
        log_in_operator(client)
        return subscription, company
    return _invoiced_customer_at_closing


def test_seed_001_operator_closes_the_account_of_a_bankrupt_company(
        client, at, invoices, run_jobs, invoiced_customer_at_closing):
    """Seed 001: every subscription ends on the day, the invoiced days after it are credited
    as the rules say, open invoices stay for dunning unless credited, nothing more is
    invoiced, and nothing is deleted."""
    from webapp.models import Invoice, LicenceSubscription

    subscription, company = invoiced_customer_at_closing(client)
    unknown = client.post("/operator/accounts/close", data={"login_id": "999999",
                                                            "reason": "bankrupt"})
    assert unknown.status_code == 422 and "Ingen kunde har denne kunde-ID-en." in \
        unknown.get_data(as_text=True)
    closed = client.post("/operator/accounts/close", data={
        "login_id": company.login_id, "reason": "bankrupt", "note": "Bostyrer varslet"})
    assert closed.status_code == 303
    [expected] = _model_credit_after_closing(D(2026, 1, 5), D(2026, 3, 10))
    [note] = [i for i in invoices() if i.kind == "credit_note"
              and i.subscription_id == subscription.id]
    assert (note.net_ore, note.vat_ore) == (expected.net, expected.vat)
    assert note.reason.startswith("Konto avsluttet (konkurs): Bostyrer varslet")
    [first] = [i for i in invoices() if i.kind == "invoice"
               and i.subscription_id == subscription.id]
    assert first.open_ore == first.total_ore + note.total_ore  # the rest stays for dunning
    again = client.post("/operator/accounts/close", data={
        "login_id": company.login_id, "reason": "bankrupt"})
    assert again.status_code == 422 and "allerede avsluttet" in again.get_data(as_text=True)
    at(2027, 1, 11, 9, 0)
    run_jobs()
    assert [i.kind for i in invoices() if i.subscription_id == subscription.id] == [
        "invoice", "credit_note"]  # nothing more
    assert db.session.get(LicenceSubscription, subscription.id).status != "active"
    assert db.session.get(Invoice, first.id) is not None  # kept


def test_seed_001_closing_can_credit_the_open_invoices_too(client, invoices,
                                                           invoiced_customer_at_closing):
    subscription, company = invoiced_customer_at_closing(client)
    assert client.post("/operator/accounts/close", data={
        "login_id": company.login_id, "reason": "dissolved",
        "credit_open": "y"}).status_code == 303
    [first] = [i for i in invoices() if i.kind == "invoice"
               and i.subscription_id == subscription.id]
    assert first.open_ore == 0
    page = client.get("/operator/cancellations").get_data(as_text=True)
    assert "Konto avsluttet (avviklet)" in page
