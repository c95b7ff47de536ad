"""Companies with their default user groups, and users with employee records and access."""
from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from .. import clock
from ..domain import usernames
from ..domain.postal import city_for
from ..domain.refusals import Refusal
from ..extensions import db
from ..models import (
    AccessStretch,
    Company,
    CustomerAgreement,
    Employee,
    Membership,
    User,
    UserGroup,
)
from ..models.accounts import DEFAULT_GROUPS, next_login_id

# Module permissions of the four default groups; only Administrators reach Admin by default.
DEFAULT_PERMISSIONS = {
    "administrators": dict(can_admin=True, can_billing=True, can_sales=True, can_reports=True,
                           can_vouchers=True),
    "privileged": dict(can_sales=True, can_reports=True, can_vouchers=True),
    "users": dict(can_sales=True, can_vouchers=True),
    "guests": dict(can_reports=True),
}


def group_label(key: str) -> str:
    return {
        "administrators": _("Administrators"),
        "privileged": _("Privileged users"),
        "users": _("Users"),
        "guests": _("Guests"),
        "accountant": _("Accountant"),
    }.get(key, key)


def create_company(now: dt.datetime, *, kind: str = "customer", **fields) -> Company:
    """Create a company with a new customer id and its four default user groups."""
    company = Company(kind=kind, login_id=next_login_id(), created_at=now, **fields)
    db.session.add(company)
    db.session.flush()
    with force_locale("nb"):
        for key in DEFAULT_GROUPS:
            db.session.add(UserGroup(company_id=company.id, key=key, name=group_label(key),
                                     **DEFAULT_PERMISSIONS[key]))
    db.session.flush()
    return company


def open_own_agreement(company: Company, now: dt.datetime, *, interval: str,
                       invoice_email: str, address_line: str | None = None,
                       postal_code: str | None = None,
                       city: str | None = None) -> CustomerAgreement:
    """The company's own customer agreement: it owns it and receives its invoices."""
    agreement = CustomerAgreement(
        name=company.name, owner_company_id=company.id, invoice_recipient_id=company.id,
        invoice_email=invoice_email, invoice_address_line=address_line,
        invoice_postal_code=postal_code, invoice_city=city, billing_interval=interval,
        created_at=now)
    db.session.add(agreement)
    db.session.flush()
    company.agreement_id = agreement.id
    return agreement


def has_access(user_id: int, company_id: int) -> bool:
    """The user has (active) access to the company."""
    return db.session.scalar(select(Membership.id).where(
        Membership.user_id == user_id, Membership.company_id == company_id,
        Membership.active)) is not None


def group_by_key(company_id: int, key: str) -> UserGroup:
    return db.session.scalars(select(UserGroup).where(UserGroup.company_id == company_id,
                                                      UserGroup.key == key)).one()


def add_user(company: Company, now: dt.datetime, *, first_name: str, last_name: str,
             email: str, username: str, group_key: str, is_main_contact: bool = False) -> User:
    """Create a user with an employee record and access to the company in the given group."""
    user = User(company_id=company.id, username=username.strip(),
                username_key=usernames.key(username), first_name=first_name.strip(),
                last_name=last_name.strip(), email=email.strip(), is_main_contact=is_main_contact,
                created_at=now)
    db.session.add(user)
    db.session.flush()
    db.session.add(Employee(company_id=company.id, user_id=user.id, first_name=user.first_name,
                            last_name=user.last_name, email=user.email))
    db.session.add(Membership(user_id=user.id, company_id=company.id,
                              user_group_id=group_by_key(company.id, group_key).id))
    open_access(user.id, company.id, clock.local(now).date())
    db.session.flush()
    return user


def open_access(user_id: int, company_id: int, day: dt.date) -> None:
    """R-BILL-6: a new stretch of access counts from this day."""
    db.session.add(AccessStretch(user_id=user_id, company_id=company_id, first_day=day))


def close_access(user_id: int, day: dt.date, company_id: int | None = None) -> None:
    """The user's open stretches (to one company, or all) end the day before `day`; they are
    kept, so days already used are still billed."""
    query = update(AccessStretch).where(AccessStretch.user_id == user_id,
                                        AccessStretch.last_day.is_(None))
    if company_id is not None:
        query = query.where(AccessStretch.company_id == company_id)
    db.session.execute(query.values(last_day=day - dt.timedelta(days=1))
                       .execution_options(synchronize_session=False))


def send_welcome_mail(user: User, company: Company, lifetime: dt.timedelta,
                      order_id: int | None = None) -> None:
    """R-SHOP-9: customer id, username, a single-use link to set the password, and links to
    login, the user guide and support."""
    from ..links import external
    from ..mail import queue_mail
    from .tokens import issue_token

    token = issue_token("set_password", lifetime, user_id=user.id)
    queue_mail("welcome", user.email, "welcome.txt", order_id=order_id, user=user,
               company=company,
               set_password_link=external("auth.set_password", token=token),
               login_link=external("auth.login"),
               guide_link=external("pages.guide"),
               support_link=external("portal.support"))


def find_login_user(login_id: str, username: str) -> User | None:
    return db.session.scalar(
        select(User).join(Company, User.company_id == Company.id)
        .where(Company.login_id == login_id.strip(),
               User.username_key == usernames.key(username)))


def is_administrator(user: User, company_id: int) -> bool:
    return db.session.scalar(
        select(UserGroup.can_admin).join(Membership, Membership.user_group_id == UserGroup.id)
        .where(Membership.user_id == user.id, Membership.company_id == company_id,
               Membership.active)) is True


# --- the company profile (R-PLAN-4, R-DOC-1) -----------------------------------------------

class ProfileError(Refusal):
    """A refusal of the company profile."""

    fields = {"organisation_number_taken": "organisation_number"}


def save_company_profile(company: Company, *, name: str, organisation_number: str | None,
                         address_line: str | None, postal_code: str | None,
                         vat_registered: bool, business_register: bool,
                         bank_account: str | None, iban: str | None, bic: str | None,
                         invoice_email: str | None, payment_terms: str | None,
                         buyer_reference: str | None, peppol_id: str | None,
                         delivery: str) -> None:
    """The company's name, number and address, what its own invoices say about it as the
    seller (R-DOC-1) and how Kvitt's invoices reach it (its own agreement's EHF details). An
    organisation number another account has is refused with what to do about it."""
    number = organisation_number or None
    if number and db.session.scalar(select(Company.id).where(
            Company.organisation_number == number, Company.id != company.id)):
        raise ProfileError("organisation_number_taken", message=_(
            "Organisation number %(number)s is already registered in Kvitt for another "
            "account. Perhaps a colleague has ordered already; ask support to move it to this "
            "account if it belongs here.", number=number))
    company.name = name.strip()
    company.organisation_number = number
    company.address_line = address_line or None
    company.postal_code = postal_code or None
    company.city = city_for(postal_code or "") or None
    company.vat_registered, company.business_register = vat_registered, business_register
    for column, value in (("bank_account", bank_account), ("iban", iban), ("bic", bic),
                          ("invoice_email", invoice_email), ("payment_terms", payment_terms)):
        setattr(company, column, (value or "").strip() or None)
    agreement = company.agreement
    if agreement is not None and agreement.owner_company_id == company.id:
        agreement.buyer_reference = buyer_reference or None
        agreement.peppol_id = peppol_id or None
        agreement.delivery = delivery
    db.session.flush()

