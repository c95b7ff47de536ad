"""Access to the portal and Admin (users, groups, agreements, sales), walked over the URL
map: another customer's objects are not found (404) and change nothing; a group without the
module permission gets 403."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.billing_setup import active_customer
from tests.partner_setup import ORG, partner
from tests.selling import LAST_FRIDAY_6, post_frequency, post_subscription
from webapp import clock
from webapp.extensions import db
from webapp.models import (
    CompanyDraft,
    CompanyMove,
    Customer,
    CustomerAgreement,
    Employee,
    Frequency,
    Invoice,
    Membership,
    Subscription,
    UserGroup,
)
from webapp.services import agreements, collaboration, support

AREAS = ("portal.", "admin.", "sales.", "agreements.")
PERMISSION_OF = {"sales.": "can_sales", "agreements.": "can_admin", "admin.": "can_admin",
                 "portal.invoice": "can_billing",
                 "portal.buy": "can_billing", "portal.cancel": "can_admin",
                 "portal.company_profile": "can_admin", "portal.moved_to_admin": "can_admin",
                 "portal.plan": "can_billing", "portal.collaborations": "can_admin",
                 "portal.end_collaboration": "can_admin", "portal.contact": "can_admin",
                 "portal.licence": "can_billing"}



@pytest.fixture
def owner_objects(app, client, admin_of, at, log_in, run_jobs):
    """Company A with one of everything that has an id in a URL."""
    owner = active_customer(dt.date(2026, 1, 5), name="Eier AS", seller=True)
    at(2026, 1, 6, 9, 0)
    run_jobs()
    log_in(client, admin_of(owner))
    post_frequency(client, LAST_FRIDAY_6)
    company = owner.agreement.companies[0]
    customer = Customer(company_id=company.id, name="Kafé", email="k@example.com",
                        created_at=dt.datetime(2026, 1, 6, tzinfo=dt.UTC))
    db.session.add(customer)
    db.session.commit()
    post_subscription(client, db.session.scalar(select(Frequency.id)), [customer])
    at(2026, 1, 30, 9, 0)
    run_jobs()
    client.post("/logout")
    licence_invoice = db.session.scalar(select(Invoice.id).where(
        Invoice.agreement_id == owner.agreement_id))
    sales_invoice = db.session.scalar(select(Invoice.id).where(
        Invoice.seller_company_id == company.id))
    owner_admin = admin_of(owner)
    second = agreements.create_agreement(company, clock.now(), name="Andre", customer_number="2")
    draft = agreements.start_draft(second, owner_admin, clock.now())
    # An accounting firm asks to work in the company (Admin → Accounting firms).
    firm, firm_admin = partner(dt.date(2026, 1, 5))
    company.organisation_number = ORG[3]
    listed = collaboration.add_client(firm, clock.now(), name="Eier AS",
                                      organisation_number=ORG[3], email="post@eier.example",
                                      customer_number=None)
    assignment = collaboration.add_assignment(listed, "Bokføring", clock.now())
    asked = collaboration.activate(firm, listed, firm_admin, clock.now(),
                                   assignment_id=assignment.id, variant="regnskap-pro",
                                   recipient="client", period_months=12)
    asked_us = support.create_request(company, owner_admin, clock.now(), category="other",
                                      text="Hjelp")
    db.session.commit()
    return {"agreement_id": second.id, "draft_id": draft.id, "step": "company",
            "collaboration_id": asked.id, "request_id": asked_us.id,
            "company_id": company.id, "membership_id": db.session.scalar(
                select(Membership.id).where(Membership.user_id == owner_admin.id)),
            "user_id": owner_admin.id, "action": "deactivate", "extension": "pdf",
            "employee_id": db.session.scalar(select(Employee.id).where(
                Employee.user_id == owner_admin.id)),
            "group_id": db.session.scalar(select(UserGroup.id).where(
                UserGroup.company_id == owner_admin.company_id)),
            "frequency_id": db.session.scalar(select(Frequency.id)),
            "subscription_id": db.session.scalar(select(Subscription.id)),
            "portal.invoice_id": licence_invoice, "sales.invoice_id": sales_invoice}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(AREAS):
            for method in sorted({"GET", "POST"} & rule.methods):
                yield rule, method


def _url(rule, ids):
    values = {}
    for argument in rule.arguments:
        key = f"{rule.endpoint.split('.')[0]}.{argument}"
        values[argument] = ids.get(key, ids.get(argument))
    return rule.build(values)[1]


def _counts():
    return [db.session.scalar(select(func.count()).select_from(model))
            for model in (Frequency, Subscription, Invoice, Customer, CustomerAgreement,
                          CompanyDraft, CompanyMove)] + [
        db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.active))]


def test_every_route_with_an_id_is_404_for_another_customer(app, client, owner_objects, admin_of,
                                                            log_in):
    stranger = admin_of(active_customer(dt.date(2026, 1, 5), name="Fremmed AS"))
    log_in(client, stranger)
    before = _counts()
    checked = 0
    for rule, method in _routes(app):
        if not rule.arguments:
            continue
        response = client.open(_url(rule, owner_objects), method=method,
                               data={"active": "0", "name": "x", "action": "save"})
        assert response.status_code == 404, (rule.rule, method, response.status_code)
        checked += 1
    assert checked >= 15
    assert _counts() == before


def test_every_route_needs_its_module_permission(app, client, owner_objects, admin_of, log_in):
    member = admin_of(active_customer(dt.date(2026, 1, 5), name="Begrenset AS"))
    group = db.session.scalar(select(UserGroup).join(
        Membership, Membership.user_group_id == UserGroup.id).where(
        Membership.user_id == member.id))
    group.can_sales = group.can_billing = group.can_admin = False
    db.session.commit()
    log_in(client, member)
    checked = 0
    for rule, method in _routes(app):
        permission = next((p for prefix, p in PERMISSION_OF.items()
                           if rule.endpoint.startswith(prefix)), None)
        if permission is None:
            continue
        response = client.open(_url(rule, owner_objects), method=method)
        assert response.status_code == 403, (rule.rule, method, response.status_code)
        checked += 1
    assert checked >= 38


def test_the_portal_and_sales_need_a_login(app, client, owner_objects):
    for rule, method in _routes(app):
        response = client.open(_url(rule, owner_objects), method=method)
        assert response.status_code in (302, 401), (rule.rule, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]
