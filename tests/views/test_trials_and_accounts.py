"""R-TRIAL-1, R-TRIAL-2 and accounts: upgrade mails, the end of a trial, extension by support,
"Buy now", limited login attempts and a forgotten password."""
import datetime as dt

from sqlalchemy import select

from tests.shopping import log_in_orderer
from webapp import clock
from webapp.extensions import db
from webapp.models import Invoice, LicenceSubscription, OutboxMail, User

D = dt.date




def test_r_trial_1_upgrade_mails_during_the_trial_then_deactivation(client, at, mails, run_jobs,
                                                                    trial_customer):
    order = trial_customer(client)
    for day in range(21, 31):
        at(2026, 4, day, 9, 0)
        run_jobs()
    for day in range(1, 22):
        at(2026, 5, day, 9, 0)
        run_jobs()
        run_jobs()
    upgrade = mails("trial_upgrade")
    assert [m.created_at.astimezone(clock.OSLO).date() for m in upgrade] == [
        D(2026, 5, 10), D(2026, 5, 17)]
    assert "/portal/buy" in upgrade[0].body_text
    subscription = db.session.scalar(select(LicenceSubscription))
    assert subscription.status == "deactivated"
    response = log_in_orderer(client, order)
    assert response.status_code == 303 and response.headers["Location"] == "/portal/buy"
    elsewhere = client.get("/portal/invoices")  # everything else leads to buying
    assert elsewhere.status_code == 303 and elsewhere.headers["Location"] == "/portal/buy"
    assert "prøveperioden er over" in client.get("/portal/buy").get_data(as_text=True)


def test_r_trial_1_support_extends_a_trial(client, at, log_in_operator, run_jobs, trial_customer):
    trial_customer(client)
    at(2026, 5, 25, 9, 0)
    run_jobs()
    subscription = db.session.scalar(select(LicenceSubscription))
    assert subscription.status == "deactivated"
    log_in_operator(client)
    response = client.post("/operator/trials", data={"subscription_id": subscription.id,
                                                     "days": "14"})
    assert response.status_code == 303
    db.session.refresh(subscription)
    assert (subscription.status, subscription.trial_ends_on) == ("trial", D(2026, 6, 8))
    client.post("/operator/trials", data={"subscription_id": subscription.id, "days": "500"})
    db.session.refresh(subscription)
    assert subscription.trial_ends_on == D(2026, 6, 8)


def test_r_trial_2_buy_now_checks_the_details_and_keeps_everything(client, at, run_jobs,
                                                                   trial_customer):
    order = trial_customer(client)
    at(2026, 5, 2, 12, 0)
    log_in_orderer(client, order)
    # Seed 000: "Buy now" top left on every page of a trial.
    for path in ("/portal/", "/portal/invoices", "/admin/users", "/portal/support"):
        header = client.get(path).get_data(as_text=True).split("</header>")[0]
        assert 'class="button buy-now" href="/portal/buy"' in header, path
    page = client.get("/portal/buy").get_data(as_text=True)
    assert 'value="Bakeriet Lille AS"' in page and 'value="ingrid@bakeriet.example"' in page
    bad = client.post("/portal/buy", data={
        "edition": "office-professional", "billing_interval": "quarterly",
        "company_name": "Bakeriet Lille AS", "contact_person": "Ingrid Hansen",
        "invoice_email": "faktura@", "address_line": "Storgata 1", "postal_code": "0000"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "gyldig e-postadresse" in html and "finnes ikke i postnummerregisteret" in html
    good = client.post("/portal/buy", data={
        "edition": "office-professional", "billing_interval": "quarterly",
        "company_name": "Bakeriet Lille AS", "contact_person": "Ingrid Hansen",
        "invoice_email": "faktura@bakeriet.example", "address_line": "Storgata 1",
        "postal_code": "0150"})
    assert good.status_code == 303
    subscription = db.session.scalar(select(LicenceSubscription))
    assert (subscription.status, subscription.is_trial, subscription.activated_on) == (
        "active", False, D(2026, 5, 2))
    assert subscription.agreement.invoice_city == "OSLO"
    assert "buy-now" not in client.get("/portal/").get_data(as_text=True)  # bought
    assert db.session.scalar(select(User).where(User.username == "per")) is not None
    at(2026, 5, 3, 8, 30)
    run_jobs()
    [invoice] = db.session.scalars(select(Invoice)).all()
    assert (invoice.period_start, invoice.period_end) == (D(2026, 5, 2), D(2026, 8, 31))
    assert invoice.buyer_email == "faktura@bakeriet.example"


def test_a_forgotten_password_is_set_again_from_an_emailed_link(client, link_in, trial_customer):
    order = trial_customer(client)
    unknown = client.post("/password/forgot", data={"login_id": "999999",
                                                    "username": "nobody"})
    assert unknown.status_code == 303
    assert client.post("/password/forgot", data={
        "login_id": order.company.login_id, "username": "INGRID"}).status_code == 303
    [mail] = db.session.scalars(select(OutboxMail).where(
        OutboxMail.kind == "password_reset")).all()
    path = link_in(mail, "/password/set/")
    client.post(path, data={"password": "et-nytt-passord", "confirm": "et-nytt-passord"})
    client.post("/logout")
    assert log_in_orderer(client, order).status_code == 422
    assert log_in_orderer(client, order, "et-nytt-passord").status_code == 303


def test_a_new_password_logs_out_every_other_session(client, app, at, link_in, trial_customer):
    order = trial_customer(client)
    at(2026, 4, 21, 10, 0)
    other_browser = app.test_client()
    assert log_in_orderer(other_browser, order).status_code == 303
    assert other_browser.get("/portal/").status_code == 200
    client.post("/password/forgot", data={"login_id": order.company.login_id,
                                          "username": "ingrid"})
    [mail] = db.session.scalars(select(OutboxMail).where(
        OutboxMail.kind == "password_reset")).all()
    client.post(link_in(mail, "/password/set/"), data={"password": "et-nytt-passord",
                                                       "confirm": "et-nytt-passord"})
    assert other_browser.get("/portal/").status_code == 302  # back to the login page
    assert client.get("/portal/").status_code == 200  # the browser that changed it stays in


def test_r_plan_5_terms_of_service_are_accepted_per_user_and_version(client, monkeypatch,
                                                                     trial_customer):
    """The person ordering accepts the terms of service with the order; a user added later
    reads and accepts them at the first login; a new version is shown at the next login until
    accepted; each acceptance is recorded with its version."""
    from webapp.models import TermsAcceptance
    from webapp.services import terms

    order = trial_customer(client)  # Ingrid ordered: accepted with the order
    ingrid = db.session.scalar(select(User).where(User.username == "ingrid"))
    assert [(a.user_id, a.version) for a in db.session.scalars(select(TermsAcceptance))] \
        == [(ingrid.id, terms.TERMS_OF_SERVICE_VERSION)]
    assert log_in_orderer(client, order).headers["Location"] == "/portal/"
    client.post("/logout")
    monkeypatch.setattr(terms, "TERMS_OF_SERVICE_VERSION", "2027-01")
    asked = log_in_orderer(client, order)
    assert asked.headers["Location"].startswith("/terms/accept?next=")
    page = client.get(asked.headers["Location"])
    assert "Bruksvilkår (versjon 2027-01)" in page.get_data(as_text=True)
    refused = client.post(asked.headers["Location"], data={})
    assert refused.status_code == 422 and "Godta bruksvilkårene for å gå videre." in \
        refused.get_data(as_text=True)
    accepted = client.post(asked.headers["Location"], data={"accept": "y"})
    assert accepted.status_code == 303 and accepted.headers["Location"] == "/portal/"
    versions = {a.version for a in db.session.scalars(select(TermsAcceptance).where(
        TermsAcceptance.user_id == ingrid.id))}
    assert versions == {"2026-11", "2027-01"}
    client.post("/logout")
    assert log_in_orderer(client, order).headers["Location"] == "/portal/"  # once per version
