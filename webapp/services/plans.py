"""Plan changes in the portal: an upgrade or a new add-on takes effect at once and the rest of
the paid period is invoiced the next morning (pro rata by days); a downgrade, a removed add-on
or another billing interval takes effect from the next period."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from .. import clock
from ..domain import billing as rules
from ..extensions import db
from ..models import Company, Invoice, LicenceSubscription, SubscriptionAddOn
from . import catalog
from .billing import (discount_text, licence_line_rows, renewal_threshold, send_moment,
                      subscription_tariff, take_invoice_numbers, vendor_company)
from .invoicing import agreement_buyer, invoice_row, seller_identity, write_invoice


class PlanError(Exception):
    """A refusal; `code` says which."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def monthly_ore(subscription: LicenceSubscription, plan_code: str | None = None,
                addons: tuple[str, ...] | None = None) -> int:
    rate = subscription_tariff(subscription, plan_code, addons)
    return sum(c.monthly_ore for c in rate.components)


def _invoice_difference(subscription: LicenceSubscription, monthly_difference: int,
                        description: str, now: dt.datetime) -> Invoice | None:
    """Invoice the rest of the paid period at the new price, dated tomorrow (R-BILL-3)."""
    today = clock.local(now).date()
    if subscription.billed_through is None or subscription.billed_through < today \
            or monthly_difference <= 0:
        return None  # not invoiced yet: the first invoice will have the new price
    period = rules.Period(today, subscription.billed_through)
    months, discount = catalog.price_list().intervals.get(subscription.billing_interval, (12, 0))
    amounts = rules.invoice_lines([rules.Component(description, 1, monthly_difference)],
                                  (period,), discount, discount_text(months, discount))
    seller = vendor_company()
    number = take_invoice_numbers(seller.id, 1)
    agreement = subscription.agreement
    recipient = db.session.get(Company, agreement.invoice_recipient_id)
    invoice_date = today + dt.timedelta(days=1)
    row = invoice_row(
        seller_id=seller.id, identity_id=seller_identity(seller, now).id, number=number,
        buyer=agreement_buyer(agreement, recipient).columns(), invoice_date=invoice_date,
        due_date=invoice_date + dt.timedelta(days=rules.FIRST_INVOICE_TERMS_DAYS),
        period=(period.start, period.end), send_at=send_moment(invoice_date),
        net_ore=amounts.net_ore, vat_ore=amounts.vat_ore, now=now, agreement_id=agreement.id,
        subscription_id=subscription.id)
    return write_invoice(row, licence_line_rows(0, amounts))


def change_plan(subscription: LicenceSubscription, code: str, now: dt.datetime) -> str:
    """'now' for an upgrade (invoiced pro rata), 'next_period' for a downgrade."""
    prices = catalog.price_list()
    current, wanted = prices.items.get(subscription.plan_code or ""), prices.items.get(code)
    if wanted is None or current is None or wanted.kind != current.kind or \
            wanted.product != current.product or wanted.price_ore is None:
        raise PlanError("unknown_plan")
    if code == subscription.plan_code:
        subscription.next_plan_code = None
        return "unchanged"
    before, after = monthly_ore(subscription), monthly_ore(subscription, plan_code=code)
    if after > before:
        if before == 0 and subscription.billed_through is None:
            # Out of a free plan: billing starts with the upgrade (R-BILL-3).
            subscription.activated_on = clock.local(now).date()
        subscription.plan_code, subscription.next_plan_code = code, None
        _invoice_difference(subscription, after - before,
                            f"Oppgradering til {wanted.name_nb}", now)
        db.session.flush()
        return "now"
    subscription.next_plan_code = code
    db.session.flush()
    return "next_period"


def set_addons(subscription: LicenceSubscription, codes: set[str], now: dt.datetime) -> None:
    """New add-ons at once (the rest of the paid period invoiced); removed ones from the next
    period."""
    prices = catalog.price_list()
    if any(prices.items.get(c) is None or prices.items[c].kind != "addon" for c in codes):
        raise PlanError("unknown_addon")
    today = clock.local(now).date()
    active = {a.addon_code: a for a in subscription.addons}
    added = [c for c in sorted(codes) if c not in active or active[c].removed_from]
    for code in added:
        if code in active:
            active[code].removed_from = None
        else:
            subscription.addons.append(SubscriptionAddOn(addon_code=code, added_on=today))
    for code, addon in active.items():
        if code not in codes and addon.removed_from is None:
            addon.removed_from = (subscription.billed_through or today) + dt.timedelta(days=1)
    if added:
        before = monthly_ore(subscription, addons=tuple(
            c for c in active if c not in added and active[c].removed_from is None))
        after = monthly_ore(subscription)
        _invoice_difference(subscription, after - before,
                            "Nye tilleggsprodukter: " + ", ".join(
                                prices.items[c].name_nb for c in added), now)
    db.session.flush()


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
        | LicenceSubscription.addons.any(SubscriptionAddOn.removed_from.is_not(None)))).all()
    for subscription in due:
        next_start = subscription.billed_through + dt.timedelta(days=1)
        if subscription.next_plan_code:
            subscription.plan_code, subscription.next_plan_code = \
                subscription.next_plan_code, None
        if subscription.next_billing_interval:
            subscription.billing_interval = subscription.next_billing_interval
            subscription.agreement.billing_interval = subscription.next_billing_interval
            subscription.next_billing_interval = None
        db.session.execute(delete(SubscriptionAddOn).where(
            SubscriptionAddOn.subscription_id == subscription.id,
            SubscriptionAddOn.removed_from <= next_start))
    db.session.flush()
    return len(due)
