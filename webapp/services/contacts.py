"""The company's main contact and where Kvitt's invoices go (R-PLAN-6, seed 000: e-mail is
the most important channel): changed by the customer's administrators, confirmed by e-mail to
the old and the new address."""
from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..domain.postal import city_for
from ..domain.refusals import Refusal
from ..extensions import db
from ..mail import queue_mail
from ..models import Company, Membership, User, UserGroup


class ContactError(Refusal):
    """A refusal of a contact change."""

    fields = {"no_contact": "contact_id", "not_owner": "contact_id"}
    messages = {"no_contact": lambda: _("Choose one of the company's administrators."),
                "not_owner": lambda: _("Choose one of the company's administrators.")}


def administrators(company_id: int) -> list[User]:
    """The company's own active administrators: who can be its main contact."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .join(UserGroup, UserGroup.id == Membership.user_group_id)
        .where(Membership.company_id == company_id, Membership.active, UserGroup.can_admin,
               User.active, User.company_id == company_id)
        .order_by(User.first_name, User.last_name)))


def main_contact(company: Company) -> User | None:
    """The main contact: the administrator marked so (the first one, when none is)."""
    return db.session.scalar(select(User).where(
        User.company_id == company.id, User.is_main_contact, User.active).order_by(User.id))


def change(company: Company, by: User, now: dt.datetime, *, contact_id: int,
           invoice_email: str, address_line: str | None, postal_code: str | None) -> list[str]:
    """Set the main contact and the agreement's invoice e-mail and address; both the old and
    the new address are told of a change. Returns what changed ('contact', 'invoice_email',
    'invoice_address')."""
    agreement = company.agreement
    if agreement is None or agreement.owner_company_id != company.id:
        raise ContactError("not_owner")
    contact = next((user for user in administrators(company.id) if user.id == contact_id), None)
    if contact is None:
        raise ContactError("no_contact")
    changed = []
    previous = main_contact(company)
    if previous is None or previous.id != contact.id:
        for user in db.session.scalars(select(User).where(User.company_id == company.id,
                                                          User.is_main_contact)):
            user.is_main_contact = False
        contact.is_main_contact = True
        changed.append("contact")
        _tell({previous.email if previous else None, contact.email}, "contact_changed",
              company=company, by=by, old=previous, new=contact)
    company.contact_person, company.email = contact.full_name, contact.email
    old_email = agreement.invoice_email
    if invoice_email.strip().lower() != (old_email or "").lower():
        agreement.invoice_email = invoice_email.strip()
        changed.append("invoice_email")
        _tell({old_email, agreement.invoice_email}, "invoice_email_changed", company=company,
              by=by, old=old_email, new=agreement.invoice_email)
    city = city_for(postal_code or "") or None
    address = ((address_line or "").strip() or None, postal_code or None, city)
    if address != (agreement.invoice_address_line, agreement.invoice_postal_code,
                   agreement.invoice_city):
        agreement.invoice_address_line, agreement.invoice_postal_code, \
            agreement.invoice_city = address
        changed.append("invoice_address")
    db.session.flush()
    return changed


def _tell(addresses: set[str | None], kind: str, **context) -> None:
    with force_locale("nb"):
        for address in sorted(a for a in addresses if a):
            queue_mail(kind, address, f"{kind}.txt", **context)
