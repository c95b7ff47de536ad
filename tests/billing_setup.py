"""Helpers that create active customers for the billing tests."""
from __future__ import annotations

import datetime as dt

from webapp import clock
from webapp.extensions import db
from webapp.models import LicenceSubscription, SubscriptionAddOn
from webapp.services.accounts import add_user, create_company, open_own_agreement


def active_customer(activated_on: dt.date, interval: str = "annual",
                    plan: str = "office-professional", quantity: int = 3,
                    addons: tuple[str, ...] = ("office-mobile",), users: int = 1,
                    name: str = "Bakeriet Lille AS") -> LicenceSubscription:
    """A customer activated on the given day, with `users` users created that day."""
    created = dt.datetime.combine(activated_on, dt.time(12), tzinfo=clock.OSLO)
    company = create_company(created, name=name, contact_person="Ingrid Hansen",
                             email=f"faktura@{name.split()[0].lower()}.example",
                             organisation_number=None)
    agreement = open_own_agreement(company, created, interval=interval,
                                   invoice_email=company.email, address_line="Storgata 1",
                                   postal_code="0150", city="OSLO")
    for number in range(users):
        add_user(company, created, first_name=f"User{number}", last_name="Test",
                 email=f"user{number}@example.com", username=f"user{number}",
                 group_key="administrators" if number == 0 else "users",
                 is_superuser=number == 0)
    subscription = LicenceSubscription(agreement_id=agreement.id, plan_code=plan,
                                       quantity=quantity, billing_interval=interval,
                                       status="active", activated_on=activated_on,
                                       created_at=created)
    subscription.addons = [SubscriptionAddOn(addon_code=code, added_on=activated_on)
                           for code in addons]
    db.session.add(subscription)
    db.session.commit()
    return subscription
