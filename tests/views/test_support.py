"""R-SUPPORT-1: a customer sends a support request from the portal with a category, its text
and the page it came from; the operator takes it in the queue and answers; the answer reaches
the customer by e-mail through the outbox and is read in the portal; a closed request takes no
more messages; bad input keeps what was typed."""
import datetime as dt

import pytest
from sqlalchemy import select

from tests.billing_setup import active_customer
from webapp.domain.support import SupportStatus, SupportTransitionError, after
from webapp.extensions import db
from webapp.models import OutboxMail, SupportRequest, User
from webapp.services.demo import seed_demo_data

D = dt.date


def _text(response) -> str:
    return response.get_data(as_text=True)



@pytest.fixture
def customer(client):
    seed_demo_data()
    subscription = active_customer(D(2026, 1, 5), name="Spør Oss AS", users=2)
    return subscription


def test_r_support_1_asked_in_the_portal_answered_by_the_operator_read_in_the_portal(
        client, customer, admin_of, log_in, operator_user):
    admin = admin_of(customer)
    log_in(client, admin)
    empty = client.post("/portal/support", data={"category": "users", "text": "  ",
                                                 "page": "/admin/users"})
    assert empty.status_code == 422 and "Skriv hva du trenger" in _text(empty)
    assert '<option selected value="users">' in _text(empty)  # nothing typed is lost
    sent = client.post("/portal/support", data={
        "category": "users", "text": "Vi trenger to lisenser til fra mars.",
        "page": "/admin/users"})
    assert sent.status_code == 303
    request = db.session.scalar(select(SupportRequest))
    assert (request.category, request.status, request.page) == ("users", "new", "/admin/users")
    receipt = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "support_received"))
    assert receipt.to_address == admin.email and f"/portal/support/{request.id}" in \
        receipt.body_text
    client.post("/logout")

    log_in(client, operator_user())
    queue = _text(client.get("/operator/support"))
    assert "Spør Oss AS" in queue and "Brukere og lisenser" in queue
    assert client.post(f"/operator/support/{request.id}",
                       data={"action": "take"}).status_code == 303
    assert db.session.get(SupportRequest, request.id).status == "in_progress"
    no_text = client.post(f"/operator/support/{request.id}", data={"action": "answer",
                                                                   "text": ""})
    assert no_text.status_code == 422
    answered = client.post(f"/operator/support/{request.id}", data={
        "action": "answer", "text": "Gjort: dere har nå fem lisenser."})
    assert answered.status_code == 303
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "support_answer"))
    assert mail.to_address == admin.email and "Gjort: dere har nå fem lisenser." in \
        mail.body_text
    client.post("/logout")

    log_in(client, admin)
    page = _text(client.get(f"/portal/support/{request.id}"))
    assert "Gjort: dere har nå fem lisenser." in page and "Besvart" in page
    # The customer writes again: the request waits for the vendor again.
    assert client.post(f"/portal/support/{request.id}",
                       data={"text": "Takk! Og én ting til."}).status_code == 303
    assert db.session.get(SupportRequest, request.id).status == "new"
    client.post("/logout")
    log_in(client, operator_user())
    client.post(f"/operator/support/{request.id}", data={"action": "answer_close",
                                                         "text": "Ordnet."})
    assert db.session.get(SupportRequest, request.id).status == "closed"
    client.post("/logout")
    log_in(client, admin)
    closed = client.post(f"/portal/support/{request.id}", data={"text": "Hei igjen"})
    assert closed.status_code == 422 and "send en ny" in _text(closed)


def test_r_support_1_requests_are_seen_by_their_sender_and_the_administrators_only(
        client, customer, admin_of, log_in):
    admin = admin_of(customer)
    colleague = db.session.scalar(select(User).where(User.username == "user1"))
    log_in(client, colleague)
    assert client.post("/portal/support", data={"category": "error",
                                                "text": "Fakturaen vises ikke."}).status_code \
        == 303
    request = db.session.scalar(select(SupportRequest))
    client.post("/logout")
    log_in(client, admin)
    assert client.get(f"/portal/support/{request.id}").status_code == 200  # administrator
    assert client.post("/portal/support", data={"category": "other",
                                                "text": "Bare admin."}).status_code == 303
    own = db.session.scalars(select(SupportRequest).order_by(SupportRequest.id)).all()[-1]
    client.post("/logout")
    log_in(client, colleague)
    assert client.get(f"/portal/support/{own.id}").status_code == 404
    stranger = admin_of(active_customer(D(2026, 1, 5), name="Fremmed AS"))
    client.post("/logout")
    log_in(client, stranger)
    assert client.get(f"/portal/support/{request.id}").status_code == 404
    assert client.get("/operator/support").status_code == 404


def test_r_support_1_an_ended_trial_can_still_ask_for_more_days(client, customer, at, admin_of,
                                                                log_in):
    from webapp.models import LicenceSubscription

    subscription = db.session.get(LicenceSubscription, customer.id)
    subscription.is_trial, subscription.trial_ends_on = True, D(2026, 2, 3)
    subscription.status = "deactivated"  # what the trial-expiry job leaves behind
    db.session.commit()
    at(2026, 2, 10, 9, 0)
    log_in(client, admin_of(customer))
    assert client.get("/portal/invoices").status_code == 303  # only buying, or asking
    page = client.get("/portal/support?category=trial")
    assert page.status_code == 200 and '<option selected value="trial">' in _text(page)


def test_r_support_1_the_status_follows_its_transition_table():
    assert after("new", "take") is SupportStatus.IN_PROGRESS
    assert after("answered", "customer_writes") is SupportStatus.NEW
    with pytest.raises(SupportTransitionError):
        after("closed", "customer_writes")
    with pytest.raises(SupportTransitionError):
        after("in_progress", "take")
