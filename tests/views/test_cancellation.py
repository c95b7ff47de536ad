"""R-BILL-7, R-PLAN-3: cancellation by an administrator, its date, the confirmation, closing,
and an operator's undo."""
import datetime as dt

from sqlalchemy import select

from tests.conftest import run_due_jobs
from webapp.extensions import db
from webapp.models import OutboxMail
from tests.billing_setup import active_customer
from tests.services.test_billing import at, invoices
from tests.views.test_access_matrix import _admin_of, _log_in
from tests.views.test_operator import log_in_operator

D = dt.date


def test_r_bill_7_cancel_before_the_next_period_credits_it_and_closes_after_paid_end(client):
    subscription = active_customer(D(2026, 4, 20), "quarterly")
    for day in (21, 22):
        at(2026, 4, day, 9, 0)
        run_due_jobs()
    at(2026, 7, 11, 9, 0)
    run_due_jobs()
    _log_in(client, _admin_of(subscription))
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
    run_due_jobs()
    db.session.refresh(subscription)
    assert subscription.status == "cancelled"
    client.post("/logout")
    user = _admin_of(subscription)
    refused = client.post("/login", data={"customer_id": user.company.customer_id,
                                          "username": user.username,
                                          "password": "passord-1234"})
    assert refused.status_code == 422


def test_r_plan_3_monthly_plans_have_three_months_notice_and_free_none(client):
    basic = active_customer(D(2026, 4, 20), "monthly", plan="efaktura-basic", addons=(),
                            name="Basic AS")
    free = active_customer(D(2026, 4, 20), "monthly", plan="efaktura-free", addons=(),
                           name="Gratis AS")
    at(2026, 5, 12, 9, 0)
    _log_in(client, _admin_of(basic))
    client.post("/portal/cancel")
    client.post("/logout")
    _log_in(client, _admin_of(free))
    client.post("/portal/cancel")
    db.session.refresh(basic)
    db.session.refresh(free)
    assert basic.cancel_on == D(2026, 8, 31)
    assert free.cancel_on == D(2026, 5, 12)


def test_operator_undoes_a_cancellation_and_the_period_is_invoiced_again(client):
    subscription = active_customer(D(2026, 4, 20), "quarterly")
    at(2026, 4, 21, 9, 0)
    run_due_jobs()
    at(2026, 7, 11, 9, 0)
    run_due_jobs()
    _log_in(client, _admin_of(subscription))
    at(2026, 7, 20, 9, 0)
    client.post("/portal/cancel")
    client.post("/logout")
    log_in_operator(client)
    assert "Bakeriet Lille AS" in client.get("/operator/cancellations").get_data(as_text=True)
    client.post("/operator/cancellations", data={"subscription_id": subscription.id})
    db.session.refresh(subscription)
    assert subscription.cancel_on is None
    run_due_jobs()
    august = [i for i in invoices() if i.period_start == D(2026, 8, 1)]
    assert [i.kind for i in august] == ["invoice", "credit_note", "invoice"]
    db.session.refresh(subscription)
    assert subscription.billed_through == D(2026, 10, 31)
