"""Plan changes in the portal: an upgrade or a new add-on takes effect at once and the rest of
the paid period is invoiced the next morning (pro rata by days); a downgrade, a removed add-on
or another billing interval takes effect from the next period."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import clock
from ..domain import billing as rules
from ..domain.refusals import Refusal
from ..domain.statuses import LICENCE_USABLE
from ..extensions import db
from ..models import (
    Company,
    Invoice,
    LicenceSubscription,
    PlanChange,
    QuantityChange,
    SubscriptionAddOn,
)
from . import catalog
from .billing import Terms, renewal_threshold, subscription_tariff, terms_of, write_licence_invoice


class PlanError(Refusal):
    """A refusal of a plan, add-on, interval or licence change."""

    messages = {
        "below_users": lambda: _("Fewer licences than users in use: deactivate users first."),
        "quantity_range": lambda: _("Between 1 and 9999 licences."),
        "fixed_licences": lambda: _("This plan's licences cannot be changed here: upgrade the "
                                    "plan, or ask us for a contract change."),
        "not_running": lambda: _("The subscription is ending; its licences cannot be changed."),
        "unknown_plan": lambda: _("Choose from the lists."),
        "unknown_addon": lambda: _("Choose from the lists."),
        "unknown_interval": lambda: _("Choose from the lists."),
        "no_active_customer": lambda: _("No active customer with this customer id."),
    }
    fields = {"no_active_customer": "login_id"}


def monthly_ore(subscription: LicenceSubscription, plan_code: str | None = None,
                addons: tuple[str, ...] | None = None, quantity: int | None = None) -> int:
    rate = subscription_tariff(subscription, plan_code, addons, quantity)
    return sum(c.monthly_ore for c in rate.components)


# An invoice line of a change: (Norwegian and English text, quantity, price, first day, last
# day or None for the rest of the paid period).
DifferenceLine = tuple[tuple[str, str], int, int, dt.date, dt.date | None]


def _invoice_difference(subscription: LicenceSubscription, lines: list[DifferenceLine],
                        now: dt.datetime) -> Invoice | None:
    """R-BILL-3: what takes effect at once is invoiced the next morning for the rest of the
    paid period, each ((text, English text), quantity, monthly unit, first day, last day or
    None for the paid end) priced by its days; adjoining parts at the same price are one
    line."""
    today = clock.local(now).date()
    if subscription.billed_through is None or subscription.billed_through < today:
        return None  # not invoiced yet: the first invoice will have the new price
    joined: list[list] = []
    for text, quantity, unit, first, last in lines:
        if joined and joined[-1][:3] == [text, quantity, unit] and joined[-1][4] is not None \
                and joined[-1][4] + dt.timedelta(days=1) == first:
            joined[-1][4] = last
        else:
            joined.append([text, quantity, unit, first, last])
    priced = []
    for text, quantity, unit, first, last in joined:
        period = rules.Period(max(first, today), min(last or subscription.billed_through,
                                                     subscription.billed_through))
        if quantity * unit > 0 and period.start <= period.end:
            priced.append(rules.Line(text[0], period, quantity, unit,
                                     rules.period_amount(quantity * unit, period),
                                     description_en=text[1]))
    if not priced:
        return None
    whole = rules.Period(min(line.period.start for line in priced), subscription.billed_through)
    return write_licence_invoice(subscription, priced, (whole,), today + dt.timedelta(days=1),
                                 now)


def _stretches(starts: dt.date, changes) -> list[tuple[dt.date, dt.date | None]]:
    """(first, last) of the days from `starts` cut at each plan change after it; the last
    stretch runs to the paid end (None)."""
    firsts = sorted({starts} | {day for day in changes if day > starts})
    lasts: list[dt.date | None] = [day - dt.timedelta(days=1) for day in firsts[1:]]
    return list(zip(firsts, [*lasts, None], strict=True))


def change_plan(subscription: LicenceSubscription, code: str, now: dt.datetime) -> str:
    """'now' for an upgrade (invoiced pro rata), 'next_period' for a downgrade.

    An upgrade over the plan of the last invoiced period takes effect today if it is dearer
    than the plan in force today, else from the period already invoiced at a lower plan (a
    downgrade scheduled there is replaced); every paid day from then on owes the difference
    between the new plan and the plan it was paid at (R-BILL-6 rule 5: no day paid twice)."""
    prices = catalog.price_list()
    current, wanted = prices.items.get(subscription.plan_code or ""), prices.items.get(code)
    if wanted is None or current is None or wanted.kind != current.kind or \
            wanted.product != current.product or wanted.price_ore is None:
        raise PlanError("unknown_plan")
    if code == subscription.plan_code:
        subscription.next_plan_code = None
        return "unchanged"
    before, after = monthly_ore(subscription), monthly_ore(subscription, plan_code=code)
    if after <= before:
        subscription.next_plan_code = code
        db.session.flush()
        return "next_period"
    today = clock.local(now).date()
    if before == 0 and subscription.billed_through is None:
        # Out of a free plan: billing starts with the upgrade (R-BILL-3).
        subscription.activated_on = today
    history = db.session.scalars(select(PlanChange).where(
        PlanChange.subscription_id == subscription.id)
        .order_by(PlanChange.effective_on, PlanChange.id)).all()
    paid = Terms(subscription.plan_code, subscription.quantity,
                 [(row.effective_on, row.previous_plan_code, row.plan_code) for row in history])
    later = [row.effective_on for row in history if row.effective_on > today]
    starts = today
    if later and after <= monthly_ore(subscription, plan_code=paid.plan_on(today)):
        starts = later[0]
    for row in history:
        if row.effective_on >= starts:
            db.session.delete(row)
    previous = paid.plan_on(starts - dt.timedelta(days=1))
    if previous != code:
        db.session.add(PlanChange(subscription_id=subscription.id, effective_on=starts,
                                  previous_plan_code=previous, plan_code=code))
    subscription.plan_code, subscription.next_plan_code = code, None
    # The paid days from `starts` in stretches of one paid plan each.
    _invoice_difference(subscription, [
        ((f"Oppgradering til {wanted.name_nb}", f"Upgrade to {wanted.name_en}"), 1,
         after - monthly_ore(subscription, plan_code=paid.plan_on(first)), first, last)
        for first, last in _stretches(starts, later)], now)
    db.session.flush()
    return "now" if starts == today else "next_period"


def set_addons(subscription: LicenceSubscription, codes: set[str], now: dt.datetime) -> None:
    """New add-ons at once (the rest of the paid period invoiced); removed ones from the next
    period."""
    prices = catalog.price_list()
    if any(prices.items.get(c) is None or prices.items[c].kind != "addon" for c in codes):
        raise PlanError("unknown_addon")
    today = clock.local(now).date()
    # The add-ons in force now or later (an earlier removal that took effect is history).
    current = {a.addon_code: a for a in subscription.addons
               if a.removed_from is None or a.removed_from > today}
    added = []
    for code in sorted(codes):
        addon = current.get(code)
        if addon is None:
            subscription.addons.append(SubscriptionAddOn(addon_code=code, added_on=today))
            added.append((code, today))
        elif addon.removed_from is not None:
            # Taken back while still paid: only the days after the paid end are new.
            added.append((code, addon.removed_from))
            addon.removed_from = None
    for code, addon in current.items():
        if code not in codes and addon.removed_from is None:
            addon.removed_from = max(subscription.billed_through or today, today) \
                + dt.timedelta(days=1)
    if added:
        terms = terms_of([subscription])[subscription.id]
        lines: list[DifferenceLine] = []
        for code, first in added:
            item = prices.items[code]
            text = (item.name_nb, item.name_en)
            if not item.per_user:
                lines.append((text, 1, item.price_ore or 0, first, None))
                continue
            # Per user: at the licences of each day (fewer from a period already invoiced).
            for start, last in _stretches(first, [day for day, _was, _count
                                                  in terms.quantities]):
                lines.append((text, terms.quantity_on(start), item.price_ore or 0, start,
                              last))
        _invoice_difference(subscription, lines, now)
    db.session.flush()


MAX_LICENCES = 9999


def licences_fixed(plan_code: str | None) -> bool:
    """Free (upgrade first) and contract plans (the operator sets them) keep their licences."""
    plan = catalog.price_list().items.get(plan_code or "")
    return plan is None or plan.price_ore is None or (plan.kind == "plan" and not plan.price_ore)


def change_quantity(subscription: LicenceSubscription, quantity: int,
                    now: dt.datetime) -> str:
    """R-PLAN-6: more licences take effect today and the rest of the paid period is invoiced
    the next morning, each day at the plan in force that day; fewer take effect from the next
    period. Never fewer than the users in use. 'now', 'next_period' or 'unchanged'."""
    from .agreements import users_in_use

    if subscription.cancel_on is not None or subscription.status not in LICENCE_USABLE:
        raise PlanError("not_running")
    if licences_fixed(subscription.plan_code):
        raise PlanError("fixed_licences")
    if not 1 <= quantity <= MAX_LICENCES:
        raise PlanError("quantity_range")
    if quantity < users_in_use(subscription.agreement_id):
        raise PlanError("below_users")
    if quantity == subscription.quantity:
        subscription.next_quantity = None
        return "unchanged"
    if quantity < subscription.quantity:
        subscription.next_quantity = quantity
        db.session.flush()
        return "next_period"
    today = clock.local(now).date()
    previous = subscription.quantity
    terms = terms_of([subscription])[subscription.id]
    # The paid days from today cut wherever the plan or the add-ons change (a removed add-on
    # runs to the end of the period paid when it was removed), each stretch priced with the
    # plan and add-ons in force then.
    texts = (f"Lisenser økt fra {previous} til {quantity}",
             f"Licences raised from {previous} to {quantity}")
    parts = []
    for first, last in _stretches(today, terms.breaks()):
        plan, addons = terms.plan_on(first), terms.addons_on(first)
        before = monthly_ore(subscription, plan_code=plan, addons=addons)
        after = monthly_ore(subscription, plan_code=plan, addons=addons, quantity=quantity)
        parts.append((texts, 1, after - before, first, last))
    db.session.add(QuantityChange(subscription_id=subscription.id, effective_on=today,
                                  previous_quantity=previous, quantity=quantity))
    subscription.quantity, subscription.next_quantity = quantity, None
    _invoice_difference(subscription, parts, now)
    db.session.flush()
    return "now"


def change_interval(subscription: LicenceSubscription, interval: str) -> None:
    if interval not in catalog.price_list().intervals or interval == "monthly":
        raise PlanError("unknown_interval")
    subscription.next_billing_interval = None if interval == subscription.billing_interval \
        else interval
    db.session.flush()


def apply_pending_changes(now: dt.datetime) -> int:
    """Before the next period is invoiced (the 11th before it), its changes take effect."""
    today = clock.local(now).date()
    threshold = renewal_threshold(today)
    due = db.session.scalars(select(LicenceSubscription).where(
        LicenceSubscription.billed_through < threshold,
        (LicenceSubscription.next_plan_code.is_not(None))
        | (LicenceSubscription.next_billing_interval.is_not(None))
        | (LicenceSubscription.next_quantity.is_not(None))
        )).all()
    for subscription in due:
        assert subscription.billed_through is not None  # the query finds only billed ones
        next_start = subscription.billed_through + dt.timedelta(days=1)
        if subscription.next_plan_code:
            db.session.add(PlanChange(subscription_id=subscription.id, effective_on=next_start,
                                      previous_plan_code=subscription.plan_code,
                                      plan_code=subscription.next_plan_code))
            subscription.plan_code, subscription.next_plan_code = \
                subscription.next_plan_code, None
        if subscription.next_quantity:
            db.session.add(QuantityChange(subscription_id=subscription.id,
                                          effective_on=next_start,
                                          previous_quantity=subscription.quantity,
                                          quantity=subscription.next_quantity))
            subscription.quantity, subscription.next_quantity = \
                subscription.next_quantity, None
        if subscription.next_billing_interval:
            subscription.billing_interval = subscription.next_billing_interval
            subscription.agreement.billing_interval = subscription.next_billing_interval
            subscription.next_billing_interval = None
    db.session.flush()
    return len(due)


@dataclass
class Preview:
    """What saving the plan form would do: the invoice written for the next morning (None:
    nothing is invoiced now), when the change takes effect, and the next regular invoice."""
    outcome: str
    invoice_total_ore: int | None
    invoice_period: tuple[dt.date, dt.date] | None
    next_invoice: tuple | None


def preview(subscription: LicenceSubscription, plan: str, addons: set[str] | None,
            interval: str | None, now: dt.datetime) -> Preview:
    """What the plan form would do."""
    def change() -> str:
        outcome = change_plan(subscription, plan, now)
        if addons is not None:
            set_addons(subscription, addons, now)
        if interval:
            change_interval(subscription, interval)
        return outcome

    return _undone(subscription, change)


def preview_quantity(subscription: LicenceSubscription, quantity: int,
                     now: dt.datetime) -> Preview:
    """What the licence form would do (R-PLAN-6)."""
    return _undone(subscription, lambda: change_quantity(subscription, quantity, now))


def _undone(subscription: LicenceSubscription, change) -> Preview:
    """Make the change in a savepoint, read what it did, and undo it: the preview is the
    engine's own answer, never a second copy of its rules."""
    from .billing import estimate_next_invoice

    highest = db.session.scalar(select(func.max(Invoice.id))) or 0
    savepoint = db.session.begin_nested()
    try:
        outcome = change()
        written = db.session.scalar(select(Invoice).where(
            Invoice.id > highest, Invoice.subscription_id == subscription.id))
        total = written.total_ore if written is not None else None
        period = (written.period_start, written.period_end) if written is not None \
            and written.period_start and written.period_end else None
        upcoming = estimate_next_invoice(subscription)
    finally:
        savepoint.rollback()
    return Preview(outcome, total, period, upcoming)


def set_enterprise_terms(login_id: str, monthly_ore: int, licences: int) -> Company:
    """Kvitt eFaktura Enterprise by contract: the operator sets the customer's monthly price
    and licences (the customer found by the customer id it logs in with); a plan change
    waiting for the next period is dropped. Returns the company."""
    company = db.session.scalar(select(Company).where(Company.login_id == login_id.strip()))
    subscription = None if company is None else db.session.scalar(
        select(LicenceSubscription).where(
            LicenceSubscription.agreement_id == company.agreement_id,
            LicenceSubscription.kind == "licence",
            LicenceSubscription.status.in_(LICENCE_USABLE)))
    if company is None or subscription is None:
        raise PlanError("no_active_customer")
    subscription.plan_code = "efaktura-enterprise"
    subscription.custom_monthly_ore = monthly_ore
    subscription.quantity = licences
    subscription.next_plan_code = None
    db.session.flush()
    return company

