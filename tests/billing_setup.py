"""Helpers that create active customers for the billing tests."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.models import Invoice, LicenceSubscription, SubscriptionAddOn
from webapp.services.accounts import add_user, create_company, open_own_agreement


def active_customer(activated_on: dt.date, interval: str = "annual",
                    plan: str = "office-professional", quantity: int = 3,
                    addons: tuple[str, ...] = ("office-mobile",), users: int = 1,
                    name: str = "Bakeriet Lille AS",
                    seller: bool = False) -> LicenceSubscription:
    """A customer activated on the given day, with `users` users created that day; a `seller`
    has the complete profile it needs to send its own invoices."""
    created = dt.datetime.combine(activated_on, dt.time(12), tzinfo=clock.OSLO)
    company = create_company(created, name=name, contact_person="Ingrid Hansen",
                             email=f"faktura@{name.split()[0].lower()}.example",
                             organisation_number=None)
    if seller:
        make_seller(company)
    agreement = open_own_agreement(company, created, interval=interval,
                                   invoice_email=company.email, address_line="Storgata 1",
                                   postal_code="0150", city="OSLO")
    for number in range(users):
        add_user(company, created, first_name=f"User{number}", last_name="Test",
                 email=f"user{number}@example.com", username=f"user{number}",
                 group_key="administrators" if number == 0 else "users",
                 is_main_contact=number == 0)
    subscription = LicenceSubscription(agreement_id=agreement.id, plan_code=plan,
                                       quantity=quantity, billing_interval=interval,
                                       status="active", activated_on=activated_on,
                                       created_at=created)
    subscription.addons = [SubscriptionAddOn(addon_code=code, added_on=activated_on)
                           for code in addons]
    db.session.add(subscription)
    db.session.commit()
    return subscription


def valid_organisation_number(prefix: int) -> str:
    """The first MOD11-valid organisation number from an eight-digit prefix on."""
    from stdnum.no import orgnr

    while True:
        for digit in range(10):
            if orgnr.is_valid(f"{prefix}{digit}"):
                return f"{prefix}{digit}"
        prefix += 1


def make_seller(company, vat_registered: bool = True) -> None:
    """Give a company the seller profile an invoice needs (R-DOC-1)."""
    company.organisation_number = company.organisation_number or valid_organisation_number(
        91700000 + company.id * 10)
    company.vat_registered = company.business_register = vat_registered
    company.bank_account = "12060000016"
    company.address_line, company.postal_code, company.city = "Torget 2", "7010", "TRONDHEIM"
    db.session.flush()


def sales_subscription(company, lines, start: dt.date, customer_vat_registered: bool = False):
    """A monthly subscription of the company (on the start date's day) with one subscriber,
    Kafé Nord AS; `lines` are (text, quantity, unit øre, VAT %, VAT category)."""
    from sqlalchemy import select

    from webapp.models import Customer, Frequency, Subscriber, Subscription, SubscriptionLine, User

    admin = db.session.scalar(select(User).where(User.company_id == company.id)
                              .order_by(User.id))
    now = clock.now()
    frequency = Frequency(company_id=company.id, name="Månedlig", kind="monthly", interval=1,
                          month_day=start.day, start_date=start, created_by_id=admin.id,
                          modified_by_id=admin.id, created_at=now, modified_at=now)
    customer = Customer(company_id=company.id, name="Kafé Nord AS", email="nord@example.com",
                        organisation_number="916000014", vat_registered=customer_vat_registered,
                        address_line="Nordgata 3", postal_code="9008", city="TROMSØ",
                        created_at=now)
    db.session.add_all([frequency, customer])
    db.session.flush()
    subscription = Subscription(company_id=company.id, name="Kaffe", frequency_id=frequency.id,
                                created_at=now)
    subscription.lines = [
        SubscriptionLine(position=position, product_text=text, quantity=quantity,
                         unit_ore=unit, vat_percent=percent, vat_category=category)
        for position, (text, quantity, unit, percent, category) in enumerate(lines, start=1)]
    subscription.subscribers = [Subscriber(customer_id=customer.id)]
    db.session.add(subscription)
    db.session.commit()
    return subscription


def sales_invoices(company):
    """The company's own sales invoices (Admin → Sales), in the order issued."""
    return db.session.scalars(select(Invoice).where(Invoice.seller_company_id == company.id)
                              .order_by(Invoice.id)).all()
