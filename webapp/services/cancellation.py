"""Cancellation (R-BILL-7, R-PLAN-3): when it takes effect, the confirmation, closing the account
on that day, and an operator's undo before it takes effect."""
from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from .. import clock
from ..database import rowcount
from ..domain.billing import month_end
from ..domain.refusals import Refusal
from ..domain.statuses import (
    COLLABORATION_OPEN,
    LICENCE_IN_FORCE,
    LICENCE_OPEN,
    LICENCE_USABLE,
    LicenceStatus,
    step,
)
from ..extensions import db
from ..links import external
from ..mail import queue_mail
from ..models import BilledPeriod, Collaboration, Company, Invoice, LicenceSubscription, User
from . import billing, catalog

NOTICE_MONTHS = 3


class CancellationError(Refusal):
    """A refusal to cancel, undo a cancellation or close an account."""

    messages = {
        "already_closed": lambda: _("This account is already closed."),
        "not_owner": lambda: _("This company is in another company's agreement: close the "
                               "agreement's owner, or move the company first."),
        "no_reason": lambda: _("Choose why."),
    }


def notice_rule(subscription: LicenceSubscription) -> str:
    """'none' (Free), 'notice' (monthly plans: 3 months), or 'period' (to the paid end)."""
    plan = catalog.price_list().items.get(subscription.plan_code or "")
    if plan is not None and plan.kind == "plan":
        if (plan.price_ore or 0) == 0:
            return "none"
        if plan.price_ore is not None:
            return "notice"
    return "period"


def effective_date(subscription: LicenceSubscription, today: dt.date) -> dt.date:
    """The last day of access if cancelled today."""
    rule = notice_rule(subscription)
    if rule == "none" or subscription.is_trial:
        return today
    if rule == "notice":
        return month_end(today + relativedelta(months=NOTICE_MONTHS))
    return max(subscription.billed_through or today, today)


def cancel(subscription: LicenceSubscription, user: User, now: dt.datetime) -> dt.date:
    """Cancel now: the date follows the rules and the confirmation goes out at once."""
    if subscription.cancel_on is not None or subscription.status not in LICENCE_USABLE:
        raise CancellationError("already")
    today = clock.local(now).date()
    if notice_rule(subscription) == "period" and not subscription.is_trial:
        ends_on = billing.cancel_subscription(subscription, now)
    else:
        ends_on = effective_date(subscription, today)
        subscription.cancel_on = ends_on
    with force_locale("nb"):
        queue_mail("cancellation", user.email, "cancellation.txt", user=user,
                   ends_on=ends_on, invoices_link=external("portal.invoices"))
    db.session.flush()
    return ends_on


def undo(subscription: LicenceSubscription, now: dt.datetime) -> None:
    """An operator takes a cancellation back before it takes effect; a period whose invoice
    was credited for the cancellation is invoiced again by the next issuing run."""
    today = clock.local(now).date()
    if subscription.cancel_on is None or subscription.cancel_on < today or \
            subscription.status not in LICENCE_USABLE:
        raise CancellationError("too_late")
    if subscription.billed_through is not None:
        db.session.execute(delete(BilledPeriod).where(
            BilledPeriod.subscription_id == subscription.id,
            BilledPeriod.period_start > subscription.billed_through))
    subscription.cancel_on = None
    db.session.flush()


def close_cancelled(now: dt.datetime) -> int:
    """The account closes the day after its last day."""
    today = clock.local(now).date()
    result = db.session.execute(
        update(LicenceSubscription)
        .where(LicenceSubscription.cancel_on < today,
               LicenceSubscription.status.in_(LICENCE_IN_FORCE))
        .values(status=step(LICENCE_IN_FORCE, LicenceStatus.CANCELLED))
        .execution_options(synchronize_session=False))
    return rowcount(result)


def pending_cancellations() -> list[LicenceSubscription]:
    return list(db.session.scalars(select(LicenceSubscription).where(
        LicenceSubscription.cancel_on.is_not(None)).order_by(LicenceSubscription.cancel_on)))


# --- Closing the account of a bankrupt or dissolved company (seed 001) ----------------------

CLOSE_REASONS = ("bankrupt", "dissolved", "other")


def close_account(company: Company, reason: str, note: str, now: dt.datetime, *,
                  credit_open: bool) -> dict:
    """An operator closes the account: every subscription of the company's agreement ends
    today and the invoiced days after today are credited; open invoices stay for dunning
    (or, with `credit_open`, the unpaid ones are credited whole with the reason; a part-paid
    one stays); its collaborations end; nothing is deleted, so invoices and credit notes
    stay for the years the law requires."""
    from . import collaboration as collaboration_service

    agreement = company.agreement
    if reason not in CLOSE_REASONS:
        raise CancellationError("no_reason")
    if company.closed_on is not None:
        raise CancellationError("already_closed")
    if agreement is None or agreement.owner_company_id != company.id:
        raise CancellationError("not_owner")
    today = clock.local(now).date()
    text = f"Konto avsluttet ({_REASON_TEXT[reason]})"
    text = (f"{text}: {note.strip()}" if note.strip() else text)[:200]
    ended = credited = 0
    if credit_open:
        # Unpaid invoices are credited whole first (a part-paid one stays for dunning: its
        # payment is not paid back); the days after today are then already credited.
        for invoice in db.session.scalars(select(Invoice).where(
                Invoice.agreement_id == agreement.id, Invoice.kind == "invoice")
                .order_by(Invoice.id)):
            if invoice.open_ore > 0 and invoice.paid_ore == 0:
                try:
                    billing.credit_invoice(invoice, text, now)
                except billing.BillingError:
                    continue  # every line already credited
                credited += 1
    for subscription in db.session.scalars(select(LicenceSubscription).where(
            LicenceSubscription.agreement_id == agreement.id,
            LicenceSubscription.status.in_(LICENCE_OPEN))):
        if subscription.cancel_on is not None and subscription.cancel_on <= today:
            continue
        if subscription.billed_through is not None and subscription.billed_through > today:
            billing.credit_days_after(subscription, today, text, now)
            subscription.billed_through = today
        subscription.cancel_on = today
        subscription.next_plan_code = subscription.next_billing_interval = None
        subscription.next_quantity = None
        ended += 1
    for found in db.session.scalars(select(Collaboration).where(
            (Collaboration.client_company_id == company.id)
            | (Collaboration.partner_company_id == company.id),
            Collaboration.status.in_(COLLABORATION_OPEN))):
        collaboration_service.end(found, now)
    company.closed_on, company.closed_reason = today, text
    db.session.flush()
    return {"subscriptions": ended, "credited": credited}


_REASON_TEXT = {"bankrupt": "konkurs", "dissolved": "avviklet", "other": "annet"}
