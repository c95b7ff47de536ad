"""Trials (R-TRIAL-1, R-TRIAL-2): upgrade e-mails, deactivation after 30 days, extension by an
operator, and "Buy now" that turns a trial into a paying subscription without losing data."""
from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from .. import clock
from ..database import rowcount
from ..domain.refusals import Refusal
from ..domain.statuses import LICENCE_TRIAL, LicenceStatus, move, step
from ..extensions import db
from ..links import external
from ..mail import queue_mail
from ..models import Company, LicenceSubscription, User

# Upgrade e-mails when this many days are left of the trial.
UPGRADE_MAIL_DAYS_LEFT = (10, 3)


class TrialError(Refusal):
    """A refusal to extend or buy a trial."""

    messages = {"not_a_trial": lambda: _("Extend by 1 to 90 days, and only a trial."),
                "days": lambda: _("Extend by 1 to 90 days, and only a trial.")}


def _main_contact(subscription: LicenceSubscription) -> User | None:
    return db.session.scalar(
        select(User).join(Company, Company.id == User.company_id)
        .where(Company.agreement_id == subscription.agreement_id, User.is_main_contact)
        .order_by(User.id))


def send_trial_mails(now: dt.datetime) -> int:
    """Upgrade e-mails during the trial (once each, in any number of processes)."""
    today = clock.local(now).date()
    sent = 0
    for number, days_left in enumerate(UPGRADE_MAIL_DAYS_LEFT, start=1):
        due = db.session.scalars(select(LicenceSubscription).where(
            LicenceSubscription.status == LicenceStatus.TRIAL, LicenceSubscription.is_trial,
            LicenceSubscription.trial_mails_sent < number,
            LicenceSubscription.trial_ends_on <= today + dt.timedelta(days=days_left),
            LicenceSubscription.trial_ends_on > today)).all()
        for subscription in due:
            claimed = db.session.execute(
                update(LicenceSubscription)
                .where(LicenceSubscription.id == subscription.id,
                       LicenceSubscription.trial_mails_sent < number)
                .values(trial_mails_sent=number).execution_options(synchronize_session=False))
            contact = _main_contact(subscription)
            ends_on = subscription.trial_ends_on
            if rowcount(claimed) != 1 or contact is None or ends_on is None:
                continue
            with force_locale("nb"):
                queue_mail("trial_upgrade", contact.email, "trial_upgrade.txt", user=contact,
                           days_left=(ends_on - today).days, ends_on=ends_on,
                           buy_link=external("portal.buy"),
                           support_link=external("portal.support", category="trial"))
            sent += 1
    db.session.flush()
    return sent


def expire_trials(now: dt.datetime) -> int:
    """Deactivate trials whose 30 days (or extension) have passed."""
    today = clock.local(now).date()
    result = db.session.execute(
        update(LicenceSubscription)
        .where(LicenceSubscription.status == LicenceStatus.TRIAL, LicenceSubscription.is_trial,
               LicenceSubscription.trial_ends_on < today)
        .values(status=step(LicenceStatus.TRIAL, LicenceStatus.DEACTIVATED))
        .execution_options(synchronize_session=False))
    return rowcount(result)


def extend_trial(subscription: LicenceSubscription, days: int, now: dt.datetime) -> dt.date:
    """An operator extends a trial (also one already deactivated) by some days."""
    if not subscription.is_trial or subscription.status not in LICENCE_TRIAL:
        raise TrialError("not_a_trial")
    if not 1 <= days <= 90:
        raise TrialError("days")
    today = clock.local(now).date()
    ends_on = max(subscription.trial_ends_on or today, today) + dt.timedelta(days=days)
    subscription.trial_ends_on = ends_on
    if subscription.status != LicenceStatus.TRIAL:
        move(subscription, LicenceStatus.TRIAL)
    db.session.flush()
    return ends_on


def buy_now(subscription: LicenceSubscription, company: Company, now: dt.datetime, *,
            edition: str, interval: str, company_name: str, contact_person: str,
            invoice_email: str, address_line: str, postal_code: str, city: str) -> None:
    """Convert a trial to a full subscription; users, data and documents stay as they are.
    The first invoice follows at 08:00 the next day (R-BILL-3)."""
    if not subscription.is_trial or subscription.status not in LICENCE_TRIAL:
        raise TrialError("not_a_trial")
    agreement = subscription.agreement
    company.name, company.contact_person = company_name, contact_person
    company.address_line, company.postal_code, company.city = address_line, postal_code, city
    agreement.name, agreement.invoice_email = company_name, invoice_email
    agreement.invoice_address_line = address_line
    agreement.invoice_postal_code, agreement.invoice_city = postal_code, city
    agreement.billing_interval = interval
    subscription.plan_code, subscription.billing_interval = edition, interval
    subscription.is_trial = False
    move(subscription, LicenceStatus.ACTIVE)
    subscription.activated_on = clock.local(now).date()
    with force_locale("nb"):
        queue_mail("trial_bought", invoice_email, "trial_bought.txt", company=company,
                   subscription=subscription)
    db.session.flush()
