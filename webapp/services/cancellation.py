"""Cancellation (R-BILL-7, R-PLAN-3): when it takes effect, the confirmation, closing the account
on that day, and an operator's undo before it takes effect."""
from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from flask import url_for
from flask_babel import force_locale
from sqlalchemy import delete, select, update

from .. import clock
from ..domain.billing import month_end
from ..extensions import db
from ..models import BilledPeriod, LicenceSubscription, User
from . import billing, catalog
from .mail import queue_mail

NOTICE_MONTHS = 3


class CancellationError(Exception):
    """A refusal with a message key."""


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
    if subscription.cancel_on is not None or subscription.status not in ("active", "trial"):
        raise CancellationError("already")
    today = clock.local(now).date()
    if notice_rule(subscription) == "period" and not subscription.is_trial:
        ends_on = billing.cancel_subscription(subscription, now)
    else:
        ends_on = effective_date(subscription, today)
        subscription.cancel_on = ends_on
    with force_locale("nb"):
        queue_mail("cancellation", user.email, "cancellation.txt", user=user,
                   ends_on=ends_on, invoices_link=url_for("portal.invoices", _external=True))
    db.session.flush()
    return ends_on


def undo(subscription: LicenceSubscription, now: dt.datetime) -> None:
    """An operator takes a cancellation back before it takes effect; a period whose invoice
    was credited for the cancellation is invoiced again by the next issuing run."""
    today = clock.local(now).date()
    if subscription.cancel_on is None or subscription.cancel_on < today or \
            subscription.status != "active" and subscription.status != "trial":
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
               LicenceSubscription.status.in_(("active", "trial", "suspended")))
        .values(status="cancelled").execution_options(synchronize_session=False))
    return result.rowcount


def pending_cancellations() -> list[LicenceSubscription]:
    return list(db.session.scalars(select(LicenceSubscription).where(
        LicenceSubscription.cancel_on.is_not(None)).order_by(LicenceSubscription.cancel_on)))
