"""R-COLLAB-1 … R-COLLAB-5: an accounting firm activates Kvitt Regnskap for a client with an
assignment, the client approves by e-mail link, and only then do the collaboration and the
billing start; the firm changes and ends collaborations; other firms see nothing of it."""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests.billing_setup import active_customer
from tests.partner_setup import ORG, on, partner
from webapp.extensions import db
from webapp.models import (
    ActionToken,
    Collaboration,
    Company,
    Invoice,
    LicenceSubscription,
    OutboxMail,
    PartnerClient,
    User,
)

D = dt.date
CLIENT_ORG = ORG[3]


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def firm(app, client, log_in):
    company, admin = partner(D(2026, 1, 5))
    log_in(client, admin)
    return company


def _add_client(client, name="Kafé Sentrum AS", org=CLIENT_ORG, email="post@kafe.example"):
    response = client.post("/partner/clients", data={"name": name, "organisation_number": org,
                                                     "email": email, "customer_number": "7001"})
    assert response.status_code == 303
    found = db.session.scalar(select(PartnerClient).where(PartnerClient.name == name))
    assert client.post(f"/partner/clients/{found.id}/assignments",
                       data={"title": "Løpende bokføring 2026"}).status_code == 303
    db.session.refresh(found)
    return found


def _approval_link(to: str) -> str:
    body = db.session.scalar(select(OutboxMail.body_text).where(
        OutboxMail.kind == "collaboration_invitation", OutboxMail.to_address == to)
        .order_by(OutboxMail.id.desc()))
    return re.search(r"http://kvitt\.test(/collaboration/approve/\S+)", body).group(1)


def _client_admin(customer) -> User:
    return db.session.scalar(select(User).where(
        User.company_id == customer.agreement.companies[0].id, User.username == "user0"))


@pytest.fixture
def approve(log_in):
    def _approve(client, link: str, approver: User, firm: Company):
        """The client's administrator logs in and approves; then the firm's administrator is
        logged in again."""
        client.post("/logout")
        log_in(client, approver)
        response = client.post(link, data={"accept": "y"})
        client.post("/logout")
        log_in(client, db.session.scalar(select(User).where(User.company_id == firm.id,
                                                             User.is_main_contact)))
        return response
    return _approve


def _user_with_email(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _firm_admin(partner_company_id: int) -> User:
    return db.session.scalar(select(User).where(User.company_id == partner_company_id,
                                                User.is_main_contact))


def _activate(client, found, **data):
    return client.post(f"/partner/clients/{found.id}/activate", data={
        "assignment_id": str(found.assignments[0].id), "access_group": "accountant",
        "members": [str(_firm_admin(found.partner_company_id).id)], **data})


def _collaborations():
    return db.session.scalar(select(func.count()).select_from(Collaboration))


def test_r_collab_1_no_collaboration_without_an_assignment(app, client, firm):
    response = client.post("/partner/clients", data={
        "name": "Uten oppgave AS", "organisation_number": CLIENT_ORG,
        "email": "post@uten.example"})
    assert response.status_code == 303
    found = db.session.scalar(select(PartnerClient))
    refused = client.post(f"/partner/clients/{found.id}/activate", data={
        "assignment_id": "0", "variant": "regnskap-smart", "invoice_recipient": "client",
        "period": "12", "contact_first_name": "Kari", "contact_last_name": "K",
        "contact_email": "kari@uten.example"})
    assert refused.status_code == 422
    assert "uten oppgave kan et samarbeid ikke aktiveres" in _text(refused)
    assert 'value="kari@uten.example"' in _text(refused)  # nothing typed is lost
    assert _collaborations() == 0 and db.session.scalar(
        select(func.count()).select_from(Company).where(Company.name == "Uten oppgave AS")) == 0


def test_r_collab_4_new_client_contact_becomes_administrator_and_approves_by_link(
        app, client, firm, log_in, run_jobs):
    found = _add_client(client)
    page = _text(client.get(f"/partner/clients/{found.id}"))
    assert 'data-scenario="new_client"' in page
    # The contact is mandatory for a new client.
    missing = _activate(client, found, variant="regnskap-smart", invoice_recipient="partner",
                        period="3")
    assert missing.status_code == 422 and _collaborations() == 0
    done = _activate(client, found, variant="regnskap-smart", invoice_recipient="partner",
                     period="3", contact_first_name="Kari", contact_last_name="Kafé",
                     contact_email="kari@kafe.example")
    assert done.status_code == 303
    company = db.session.scalar(select(Company).where(Company.organisation_number ==
                                                      CLIENT_ORG))
    admin = db.session.scalar(select(User).where(User.company_id == company.id))
    assert (admin.email, admin.is_main_contact) == ("kari@kafe.example", True)
    kinds = set(db.session.scalars(select(OutboxMail.kind).where(
        OutboxMail.to_address == "kari@kafe.example")))
    assert kinds == {"welcome", "collaboration_invitation"}
    # Nothing starts, nothing is billed, before the client approves.
    on(D(2026, 1, 7), 8)
    run_jobs()
    assert db.session.scalar(select(Collaboration.status)) == "invited"
    assert db.session.scalar(select(func.count()).select_from(LicenceSubscription).where(
        LicenceSubscription.kind == "service")) == 0
    link = _approval_link("kari@kafe.example")
    invitation = db.session.scalar(select(OutboxMail.body_text).where(
        OutboxMail.kind == "collaboration_invitation"))
    # The price and who gets access, before the client commits (seed 004).
    assert "kr\xa0349,00 per måned eks. mva., fakturert til Regnskapshuset AS" in invitation
    assert "Tilgang til selskapet deres: Rita" in invitation
    client.post("/logout")
    # Holding the link is not enough: the client's administrator logs in first.
    asked = client.get(link)
    assert asked.status_code == 303 and "/login?next=" in asked.headers["Location"]
    log_in(client, admin)
    shown = client.get(link)
    assert shown.status_code == 200 and "Kvitt Regnskap Smart" in _text(shown)
    refused = client.post(link)
    assert refused.status_code == 422 and "Godta vilkårene" in _text(refused)
    assert db.session.scalar(select(Collaboration.status)) == "invited"
    approved = client.post(link, data={"accept": "y"})
    assert approved.status_code == 200 and "Samarbeidet er godkjent" in _text(approved)
    collaboration = db.session.scalar(select(Collaboration))
    assert collaboration.status == "active" and collaboration.approved_at is not None
    # R-COLLAB-5: approving twice is refused and changes nothing.
    twice = client.post(link, data={"accept": "y"})
    assert twice.status_code == 410 and "allerede godkjent" in _text(twice)
    assert db.session.scalar(select(func.count()).select_from(LicenceSubscription).where(
        LicenceSubscription.kind == "service")) == 1
    # The billing follows: the firm pays, from the morning after the approval.
    on(D(2026, 1, 8), 8)
    run_jobs()
    [invoice] = db.session.scalars(select(Invoice).where(
        Invoice.agreement_id == firm.agreement_id,
        Invoice.invoice_date == D(2026, 1, 8))).all()
    # 7–31 January (25 of 31 days), then February–April, at 349 kr a month.
    assert [(ln.description, ln.period_start, ln.period_end, ln.amount_ore)
            for ln in invoice.lines] \
        == [("Kvitt Regnskap Smart – Kafé Sentrum AS", D(2026, 1, 7), D(2026, 1, 31),
             round(34_900 * 25 / 31)),
            ("Kvitt Regnskap Smart – Kafé Sentrum AS", D(2026, 2, 1), D(2026, 4, 30),
             3 * 34_900)]


def test_r_collab_3_client_without_the_service_pays_itself_for_twelve_months(
        app, client, firm, approve):
    customer = active_customer(D(2026, 1, 5), name="Kunde Med Office AS")
    customer.agreement.companies[0].organisation_number = CLIENT_ORG
    db.session.commit()
    found = _add_client(client, name="Kunde Med Office AS")
    assert found.company_id == customer.agreement.companies[0].id
    assert 'data-scenario="new_service"' in _text(client.get(f"/partner/clients/{found.id}"))
    assert _activate(client, found, variant="regnskap-start", invoice_recipient="client",
                     period="12").status_code == 303
    # The invitation goes to the client company's own administrator, who logs in to approve.
    link = _approval_link("user0@example.com")
    assert approve(client, link, _client_admin(customer), firm).status_code == 200
    service = db.session.scalar(select(LicenceSubscription).where(
        LicenceSubscription.kind == "service"))
    assert (service.agreement_id, service.plan_code, service.billing_interval) == (
        customer.agreement_id, "regnskap-start", "annual")


def test_r_collab_2_client_already_subscribing_stays_recipient_and_pays_nothing_new(
        app, client, firm, run_jobs, approve):
    customer = active_customer(D(2026, 1, 5), name="Har Regnskap AS")
    customer.agreement.companies[0].organisation_number = CLIENT_ORG
    db.session.add(LicenceSubscription(
        agreement_id=customer.agreement_id, kind="service", plan_code="regnskap-pro",
        quantity=1, billing_interval="annual", status="active", activated_on=D(2026, 1, 5),
        billed_through=D(2027, 1, 31), created_at=on(D(2026, 1, 5))))
    db.session.commit()
    found = _add_client(client, name="Har Regnskap AS")
    page = _text(client.get(f"/partner/clients/{found.id}"))
    assert 'data-scenario="existing"' in page and "Pro" in page
    activated = _activate(client, found)
    assert activated.status_code == 303, _text(activated)
    collaboration = db.session.scalar(select(Collaboration))
    assert (collaboration.variant_code, collaboration.invoice_recipient) == ("regnskap-pro",
                                                                             "client")
    assert approve(client, _approval_link("user0@example.com"), _client_admin(customer),
                    firm).status_code == 200
    on(D(2026, 1, 9), 8)
    run_jobs()
    assert db.session.scalar(select(func.count()).select_from(LicenceSubscription).where(
        LicenceSubscription.kind == "service")) == 1
    # No fee until the client's own agreement renews: no Kvitt Regnskap line anywhere.
    assert not [line for invoice in db.session.scalars(select(Invoice))
                for line in invoice.lines if "Regnskap" in line.description]


def test_r_collab_5_change_from_the_next_renewal_and_end(app, client, firm, run_jobs, approve):
    found = _add_client(client)
    _activate(client, found, variant="regnskap-faktura", invoice_recipient="partner",
              period="3", contact_first_name="Kari", contact_last_name="Kafé",
              contact_email="kari@kafe.example")
    assert approve(client, _approval_link("kari@kafe.example"),
                    _user_with_email("kari@kafe.example"), firm).status_code == 200
    collaboration = db.session.scalar(select(Collaboration))
    on(D(2026, 1, 8), 8)
    run_jobs()
    listing = _text(client.get("/partner/collaborations"))
    assert "Aktiv" in listing and "Kafé Sentrum AS" in listing
    prefix = f"c{collaboration.id}"
    changed = client.post(f"/partner/collaborations/{collaboration.id}/change", data={
        f"{prefix}-variant": "regnskap-pro", f"{prefix}-invoice_recipient": "client"})
    assert changed.status_code == 303
    db.session.expire_all()
    # Nothing changes before the renewal ...
    service = collaboration.subscription
    assert (service.plan_code, service.agreement_id) == ("regnskap-faktura",
                                                         firm.agreement_id)
    # ... which is invoiced on 11 April for May–July, to the client, in Pro.
    on(D(2026, 4, 11), 8)
    run_jobs()
    db.session.expire_all()
    client_agreement = collaboration.client_company.agreement_id
    [renewal] = db.session.scalars(select(Invoice).where(
        Invoice.agreement_id == client_agreement)).all()
    assert (renewal.period_start, renewal.period_end) == (D(2026, 5, 1), D(2026, 7, 31))
    assert renewal.net_ore == 3 * 54_900
    assert renewal.lines[0].description == "Kvitt Regnskap Pro – Kafé Sentrum AS"
    ended = client.post(f"/partner/collaborations/{collaboration.id}/end")
    assert ended.status_code == 303
    db.session.expire_all()
    # Ended before May: the renewal is credited and the service ends with April (R-BILL-7).
    assert collaboration.status == "ended"
    assert collaboration.subscription.cancel_on == D(2026, 4, 30)
    assert renewal.credited_ore == renewal.total_ore
    assert "Avsluttet" in _text(client.get("/partner/collaborations"))


def test_r_collab_5_an_approval_link_expires_and_cannot_be_forged(app, client, firm):
    found = _add_client(client)
    _activate(client, found, variant="regnskap-smart", invoice_recipient="client", period="12",
              contact_first_name="Kari", contact_last_name="Kafé",
              contact_email="kari@kafe.example")
    link = _approval_link("kari@kafe.example")
    assert client.get(link[:-3] + "abc").status_code == 404
    on(D(2026, 1, 25))
    expired = client.post(link)
    assert expired.status_code == 410 and "utløpt" in _text(expired)
    assert db.session.scalar(select(Collaboration.status)) == "invited"
    assert db.session.scalar(select(ActionToken.used_at).where(
        ActionToken.purpose == "approve")) is None


def test_a_partner_reaches_only_its_own_clients_and_collaborations(app, client, firm, log_in):
    found = _add_client(client)
    _activate(client, found, variant="regnskap-smart", invoice_recipient="client", period="12",
              contact_first_name="Kari", contact_last_name="Kafé",
              contact_email="kari@kafe.example")
    collaboration = db.session.scalar(select(Collaboration))
    client.post("/logout")
    _other, other_admin = partner(D(2026, 1, 5), name="Annet Byrå AS", org=ORG[1],
                                  email="post@annet.example")
    log_in(client, other_admin)
    for method, url in (("GET", f"/partner/clients/{found.id}"),
                        ("POST", f"/partner/clients/{found.id}/assignments"),
                        ("POST", f"/partner/clients/{found.id}/activate"),
                        ("POST", f"/partner/collaborations/{collaboration.id}/change"),
                        ("POST", f"/partner/collaborations/{collaboration.id}/end")):
        assert client.open(url, method=method, data={"title": "x"}).status_code == 404, url
    assert "Kafé Sentrum" not in _text(client.get("/partner/clients"))
    db.session.expire_all()
    assert collaboration.status == "invited" and len(found.assignments) == 1
    # A customer that is not a partner has no partner workspace.
    client.post("/logout")
    customer = active_customer(D(2026, 1, 5), name="Vanlig Kunde AS")
    log_in(client, db.session.scalar(select(User).where(
        User.company_id == customer.agreement.companies[0].id)))
    assert client.get("/partner/clients").status_code == 404


def test_operator_registers_a_partner_and_a_firm_signs_up_in_the_shop(app, client, log_in_operator):
    from tests.shopping import order_through

    log_in_operator(client)
    data = {"company_name": "Tall og Tekst AS", "organisation_number": ORG[5],
            "email": "post@talltekst.example", "phone": "912 34 567", "first_name": "Tone",
            "last_name": "Tall", "edition": "office-professional",
            "billing_interval": "annual", "users": "2"}
    assert client.post("/operator/partners", data=data).status_code == 303
    firm = db.session.scalar(select(Company).where(Company.name == "Tall og Tekst AS"))
    assert firm.kind == "partner"
    assert "welcome" in db.session.scalars(select(OutboxMail.kind).where(
        OutboxMail.to_address == "post@talltekst.example")).all()
    again = client.post("/operator/partners", data=data)
    assert again.status_code == 422 and "allerede registrert" in _text(again)
    client.post("/logout")
    order = order_through(client, company={"company_name": "Byrået AS", "is_partner": "y"})
    assert db.session.get(Company, order.company_id).kind == "partner"
    plain = order_through(client, company={"company_name": "Vanlig AS"})
    assert db.session.get(Company, plain.company_id).kind == "customer"


def test_collaboration_pages_in_english(app, client, firm):
    found = _add_client(client)
    for url in ("/partner/clients", f"/partner/clients/{found.id}", "/partner/collaborations"):
        page = client.get(url + "?lang=en")
        assert page.status_code == 200 and 'lang="en"' in _text(page)
    assert "Assignments" in _text(client.get(f"/partner/clients/{found.id}?lang=en"))



def test_r_collab_5_a_firm_cannot_approve_for_an_existing_customer(app, client, firm, run_jobs):
    """The hole: the firm types an existing customer's organisation number and its own e-mail
    address. The invitation goes to the customer's administrators only; the firm's own login
    cannot approve; nothing is invoiced to the customer."""
    customer = active_customer(D(2026, 1, 5), name="Kunde Uten Samtykke AS")
    customer.agreement.companies[0].organisation_number = CLIENT_ORG
    db.session.commit()
    found = _add_client(client, name="Kunde Uten Samtykke AS", email="firma@regnskap.example")
    assert _activate(client, found, variant="regnskap-pro", invoice_recipient="client",
                     period="12").status_code == 303
    sent_to = set(db.session.scalars(select(OutboxMail.to_address).where(
        OutboxMail.kind == "collaboration_invitation")))
    assert sent_to == {"user0@example.com"}
    link = _approval_link("user0@example.com")
    refused = client.post(link)  # still logged in as the firm's administrator
    assert refused.status_code == 403 and "Kunde Uten Samtykke AS" in _text(refused)
    assert db.session.scalar(select(Collaboration.status)) == "invited"
    client.post("/logout")
    assert client.post(link).status_code == 303  # to the login page, nothing approved
    on(D(2026, 1, 7), 8)
    run_jobs()
    assert db.session.scalar(select(Collaboration.status)) == "invited"
    assert not [line for invoice in db.session.scalars(select(Invoice))
                for line in invoice.lines if "Regnskap" in line.description]


def test_r_collab_6_the_firms_users_share_the_clients_company_until_the_client_ends_it(
        app, client, firm, log_in, run_jobs, approve):
    from webapp.models import AccessStretch, Membership
    from webapp.services.collaboration import TERMS_VERSION

    customer = active_customer(D(2026, 1, 5), name="Kunde Med Office AS")
    company = customer.agreement.companies[0]
    company.organisation_number = CLIENT_ORG
    db.session.commit()
    on(D(2026, 1, 6), 8)
    run_jobs()  # the client's own first invoice
    [own_invoice] = db.session.scalars(select(Invoice).where(
        Invoice.agreement_id == customer.agreement_id)).all()
    found = _add_client(client, name="Kunde Med Office AS")
    firm_admin = _firm_admin(firm.id)
    on(D(2026, 1, 6), 10)
    assert _activate(client, found, variant="regnskap-pro", invoice_recipient="client",
                     period="12").status_code == 303
    # Not before the client approves.
    assert client.post("/company", data={"company_id": company.id}).status_code == 404
    link = _approval_link("user0@example.com")
    client.post("/logout")
    log_in(client, _client_admin(customer))
    asked = _text(client.get(link))
    assert firm_admin.full_name in asked and "Regnskapsfører" in asked
    assert f"versjon {TERMS_VERSION}" in asked
    approve(client, link, _client_admin(customer), firm)
    collaboration = db.session.scalar(select(Collaboration))
    assert (collaboration.approved_by_user_id, collaboration.terms_version) == (
        _client_admin(customer).id, TERMS_VERSION)
    # The firm's user switches into the client's company and sees its invoices.
    assert client.post("/company", data={"company_id": company.id}).status_code == 303
    invoices = _text(client.get("/portal/invoices"))
    assert f'id="invoice-{own_invoice.number}"' in invoices
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == firm_admin.id, Membership.company_id == company.id))
    assert membership.active and membership.group.key == "accountant"
    # It counts as access from the day of approval (R-BILL-6 rule 1).
    stretch = db.session.scalar(select(AccessStretch).where(
        AccessStretch.user_id == firm_admin.id, AccessStretch.company_id == company.id))
    assert (stretch.first_day, stretch.last_day) == (D(2026, 1, 6), None)
    # The client sees the collaboration under Admin and ends it.
    on(D(2026, 2, 10), 9)
    client.post("/logout")
    log_in(client, _client_admin(customer))
    listed = _text(client.get("/portal/collaborations"))
    assert "Regnskapshuset AS" in listed and firm_admin.full_name in listed
    ended = client.post(f"/portal/collaborations/{collaboration.id}/end")
    assert ended.status_code == 303
    assert "har ikke lenger tilgang" in _text(client.get("/portal/collaborations"))
    # The firm's user is back in its own company at once and cannot switch in again.
    client.post("/logout")
    log_in(client, firm_admin)
    assert client.post("/company", data={"company_id": company.id}).status_code == 404
    db.session.refresh(stretch)
    assert stretch.last_day == D(2026, 2, 9)
    db.session.refresh(collaboration)
    assert (collaboration.status, collaboration.ended_by_user_id) == (
        "ended", _client_admin(customer).id)


def test_r_collab_7_only_the_clients_administrators_see_and_end_its_collaborations(
        app, client, firm, log_in):
    customer = active_customer(D(2026, 1, 5), name="Kunde Med Office AS", users=2)
    company = customer.agreement.companies[0]
    company.organisation_number = CLIENT_ORG
    db.session.commit()
    found = _add_client(client, name="Kunde Med Office AS")
    _activate(client, found, variant="regnskap-pro", invoice_recipient="client", period="12")
    collaboration = db.session.scalar(select(Collaboration))
    # The firm cannot end it through the client's page; a user of the client who is not an
    # administrator cannot see the page.
    assert client.post(f"/portal/collaborations/{collaboration.id}/end").status_code == 404
    client.post("/logout")
    log_in(client, db.session.scalar(select(User).where(User.username == "user1")))
    assert client.get("/portal/collaborations").status_code == 403
    assert client.post(f"/portal/collaborations/{collaboration.id}/end").status_code == 403
    assert db.session.scalar(select(Collaboration.status)) == "invited"
