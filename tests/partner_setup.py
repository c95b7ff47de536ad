"""Helpers: a partner firm with agreements and companies, as the services make them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.models import Company, CustomerAgreement, UserGroup
from webapp.services import agreements
from webapp.services.collaboration import register_partner

# Valid Norwegian organisation numbers (MOD11) for the tests.
ORG = ["912346781", "912360113", "912374556", "912379000", "912388999", "912391221",
       "912405664", "912433439"]


def on(day: dt.date, hour: int = 9) -> dt.datetime:
    """Set the test clock to the day (Oslo time) and return it."""
    moment = clock.set_test_clock(dt.datetime.combine(day, dt.time(hour), tzinfo=clock.OSLO))
    db.session.commit()
    return moment


def partner(day: dt.date, interval: str = "quarterly", name: str = "Regnskapshuset AS",
            org: str = ORG[0], email: str = "post@regnskapshuset.example"):
    """A partner registered (and its licence active) on the day; returns (company, admin)."""
    now = on(day)
    company, admin = register_partner(now, company_name=name, organisation_number=org,
                                      email=email, phone="+4791234567", first_name="Rita",
                                      last_name="Revisor", edition="office-professional",
                                      interval=interval, users=1)
    db.session.commit()
    return company, admin


def agreement_with(owner: Company, name: str, *company_names: str,
                   customer_number: str | None = None) -> CustomerAgreement:
    """A new agreement of the owner with companies made through the wizard's service."""
    now = clock.now()
    agreement = agreements.create_agreement(owner, now, name=name,
                                            customer_number=customer_number)
    for company_name in company_names:
        draft = agreements.start_draft(agreement, owner_admin(owner), now)
        agreements.save_draft(draft, {"name": company_name}, now)
        agreements.complete_draft(draft, now)
    db.session.commit()
    db.session.refresh(agreement)
    return agreement


def owner_admin(owner: Company):
    from webapp.models import User

    return db.session.scalar(select(User).where(User.company_id == owner.id).order_by(User.id))


def company_named(name: str) -> Company:
    return db.session.scalar(select(Company).where(Company.name == name))


def invite(company: Company, email: str, first_name: str = "Ola", group: str = "users"):
    group_id = db.session.scalar(select(UserGroup.id).where(UserGroup.company_id == company.id,
                                                           UserGroup.key == group))
    inviter = owner_admin(company.agreement.owner)
    user, created = agreements.invite_user(company, inviter, clock.now(), first_name=first_name,
                                           last_name="Nordmann", email=email,
                                           group_id=group_id)
    db.session.commit()
    return user, created
