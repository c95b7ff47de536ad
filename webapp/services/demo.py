"""Demo data: the catalog, the vendor company with an operator, one active customer and one
accounting firm (partner)."""
from __future__ import annotations

from sqlalchemy import select

from .. import clock
from ..domain.statuses import LicenceStatus
from ..extensions import db
from ..models import LicenceSubscription, User
from .accounts import add_user, create_company, open_own_agreement
from .billing import vendor_company
from .catalog import load_catalog

OPERATOR = {"login_id": "100001", "username": "operator", "password": "operator-demo-1"}
DEMO_ADMIN = {"login_id": "100002", "username": "kari", "password": "kari-demo-1"}
DEMO_PARTNER = {"login_id": "100003", "username": "rita", "password": "rita-demo-1"}


def seed_demo_data() -> str:
    """Create the demo rows unless they exist; return what was done."""
    load_catalog()
    if db.session.scalar(select(User).where(User.is_operator)):
        return "demo data already present"
    now = clock.now()
    vendor = vendor_company()
    operator = add_user(vendor, now, first_name="Ola", last_name="Operatør",
                        email="ola@kvitt.example", username=OPERATOR["username"],
                        group_key="administrators", is_main_contact=True)
    operator.is_operator = True
    operator.set_password(OPERATOR["password"])

    email = "kari@fjordkaffe.example"
    customer = create_company(now, name="Fjordkaffe AS", contact_person="Kari Nordmann",
                              email=email, phone="+47 912 34 567",
                              address_line="Kaigata 5", postal_code="5003", city="BERGEN",
                              organisation_number="916000006")
    # A complete seller profile: Fjordkaffe invoices its own customers (Admin → Sales).
    customer.vat_registered = customer.business_register = True
    customer.bank_account = "12060000008"
    agreement = open_own_agreement(customer, now, interval="annual",
                                   invoice_email=email, address_line="Kaigata 5",
                                   postal_code="5003", city="BERGEN")
    admin = add_user(customer, now, first_name="Kari", last_name="Nordmann",
                     email=email, username=DEMO_ADMIN["username"],
                     group_key="administrators", is_main_contact=True)
    admin.set_password(DEMO_ADMIN["password"])
    db.session.add(LicenceSubscription(agreement_id=agreement.id, plan_code="office-professional",
                                       quantity=3, billing_interval="annual",
                                       status=LicenceStatus.ACTIVE,
                                       activated_on=clock.local(now).date(), created_at=now))
    db.session.flush()
    from . import terms
    from .collaboration import register_partner

    _firm, rita = register_partner(now, company_name="Regnskapshuset AS",
                                   organisation_number="912346781",
                                   email="rita@regnskapshuset.example", phone="+4791234568",
                                   first_name="Rita", last_name="Revisor",
                                   edition="office-professional", interval="quarterly", users=2,
                                   welcome=False)
    rita.set_password(DEMO_PARTNER["password"])
    # The demo customers signed up and accepted the terms of service in force.
    for user in (admin, rita):
        terms.accept(user, now)
    db.session.flush()
    return (f"operator: customer id {vendor.login_id}, username {OPERATOR['username']}, "
            f"password {OPERATOR['password']}\n"
            f"customer admin: customer id {customer.login_id}, username "
            f"{DEMO_ADMIN['username']}, password {DEMO_ADMIN['password']}\n"
            f"partner admin: customer id {rita.company.login_id}, username "
            f"{DEMO_PARTNER['username']}, password {DEMO_PARTNER['password']}")
