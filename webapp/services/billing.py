"""Licence invoicing: issue on the schedule, send at 08:00, credit, in batches safe for many
processes.

Issuing is idempotent: a row in billed_period (unique per subscription and period start) is
claimed before an invoice is written, in the same transaction that takes the invoice numbers
from invoice_sequence. Two processes at once therefore issue nothing twice (the second claim
finds the row), and a rolled-back batch returns its numbers, so the numbers have no gaps.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Table, and_, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from stdnum.no import kontonr

from .. import clock
from ..database import among, collector_paused, rowcount
from ..domain import billing as rules
from ..domain.documents import STANDARD, vat_total
from ..domain.money import VAT_PERCENT, format_nok, percent_of
from ..domain.pricing import band_lines
from ..domain.refusals import Refusal
from ..domain.statuses import LicenceStatus
from ..extensions import db
from ..mail import queue_mail
from ..models import (
    AccessStretch,
    BilledPeriod,
    Company,
    CompanyMove,
    CustomerAgreement,
    Invoice,
    InvoiceLine,
    LicenceSubscription,
    PlanChange,
    QuantityChange,
    SubscriptionAddOn,
)
from . import catalog
from .invoicing import (
    agreement_buyer,
    buyer_columns,
    driver_marks,
    driver_rows,
    driver_values,
    insert_invoice_columns,
    invoice_row,
    line_row,
    seller_identity,
    take_numbers,
    write_invoice,
    write_values,
)

BATCH_SIZE = 10_000


class BillingError(Refusal):
    """A refusal of a credit note or an invoice change, in the operator's words; `field`
    names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(field or "refused", field, message)


def vendor_company() -> Company:
    """The vendor that issues licence invoices (created from the configuration when missing)."""
    query = select(Company).where(Company.kind == "vendor").order_by(Company.id)
    vendor = db.session.scalar(query)
    if vendor is not None:
        return vendor
    from .accounts import create_company

    config = current_app.config
    street, _, place = config["VENDOR_ADDRESS"].partition(", ")
    postal_code, _, city = place.partition(" ")
    try:
        with db.session.begin_nested():
            vendor = create_company(clock.now(), kind="vendor", name=config["VENDOR_NAME"],
                                    organisation_number=config["VENDOR_ORGANISATION_NUMBER"],
                                    email=config["VENDOR_EMAIL"], address_line=street,
                                    postal_code=postal_code, city=city)
            vendor.vat_registered = vendor.business_register = True
            vendor.bank_account = kontonr.compact(config["VENDOR_BANK_ACCOUNT"])
            vendor.invoice_email = config["VENDOR_EMAIL"]
            db.session.flush()
            return vendor
    except IntegrityError:  # another process created it at the same moment
        return db.session.scalars(query).one()


def send_moment(invoice_date: dt.date) -> dt.datetime:
    """R-BILL-1: 08:00 Oslo time on the invoice day (summer or winter time)."""
    return dt.datetime.combine(invoice_date, dt.time(rules.SEND_HOUR),
                               tzinfo=clock.OSLO).astimezone(clock.UTC)


# --- what a subscription costs ----------------------------------------------------------

@dataclass(frozen=True)
class Tariff:
    components: tuple[rules.Component, ...]
    months: int
    discount_percent: int
    excess_unit_ore: int  # per extra user per month (R-BILL-6)


def tariff(plan_code: str | None, quantity: int, addon_codes: tuple[str, ...], interval: str,
           custom_monthly_ore: int | None, label: str | None = None) -> Tariff:
    """The monthly components of a subscription from the catalog (names in bokmål)."""
    prices = catalog.price_list()
    months, discount = prices.intervals.get(interval, (12, 0))
    plan = prices.items.get(plan_code) if plan_code else None
    components: list[rules.Component] = []
    per_user_addons = 0
    excess_unit = 0
    if plan is not None and plan.kind == "variant":
        # Kvitt Regnskap for a client: a flat monthly price for the agreement period, no
        # interval discount (that belongs to Kvitt Office).
        suffix = f" – {label}" if label else ""
        return Tariff((rules.Component(f"Kvitt Regnskap {plan.name_nb}{suffix}", 1,
                                       plan.price_ore or 0,
                                       f"Kvitt Regnskap {plan.name_en}{suffix}"),),
                      months, 0, 0)
    if plan is not None and plan.kind == "edition":
        bands = prices.bands.get(plan.product, [])
        for line in band_lines(plan.price_ore or 0, quantity, bands):
            users = f"{line.from_user}–{line.to_user}"
            text = f"Kvitt Office {plan.name_nb}, brukere {users}"
            text_en = f"Kvitt Office {plan.name_en}, users {users}"
            if line.discount_percent:
                text += f" (kvantumsrabatt {line.discount_percent} %)"
                text_en += f" (volume discount {line.discount_percent}%)"
            components.append(rules.Component(text, line.users, line.unit_ore, text_en))
        beyond = band_lines(plan.price_ore or 0, quantity + 1, bands)
        excess_unit = beyond[-1].unit_ore if beyond else plan.price_ore or 0
    elif plan is not None and plan.kind == "plan":
        monthly = custom_monthly_ore if custom_monthly_ore is not None else plan.price_ore or 0
        components.append(rules.Component(f"Kvitt eFaktura {plan.name_nb}", 1, monthly,
                                          f"Kvitt eFaktura {plan.name_en}"))
        extra = prices.items.get("efaktura-extra-licence")
        # A contract plan (Enterprise) includes the licences the operator set.
        extra_count = 0 if plan.price_ore is None else max(0, quantity - plan.included_licences)
        if extra is not None:
            excess_unit = extra.price_ore or 0
            if extra_count:
                components.append(rules.Component(extra.name_nb, extra_count, excess_unit,
                                                  extra.name_en))
    for code in addon_codes:
        addon = prices.items.get(code)
        if addon is None:
            continue
        count = quantity if addon.per_user else 1
        components.append(rules.Component(addon.name_nb, count, addon.price_ore or 0,
                                          addon.name_en))
        if addon.per_user:
            per_user_addons += addon.price_ore or 0
    return Tariff(tuple(c for c in components if c.quantity), months, discount,
                  excess_unit + per_user_addons)


def active_addons(subscription: LicenceSubscription) -> tuple[str, ...]:
    """The add-ons billed from now on (a removed one only runs to the end of the period)."""
    return tuple(a.addon_code for a in subscription.addons if a.removed_from is None)


def subscription_tariff(subscription: LicenceSubscription, plan_code: str | None = None,
                        addons: tuple[str, ...] | None = None,
                        quantity: int | None = None) -> Tariff:
    """The subscription's tariff as it stands (or with another plan, add-ons or licences)."""
    return tariff(plan_code or subscription.plan_code, quantity or subscription.quantity,
                  active_addons(subscription) if addons is None else addons,
                  subscription.billing_interval, subscription.custom_monthly_ore,
                  subscription.label)


def agreement_licence(agreement_id: int | None) -> LicenceSubscription | None:
    """The agreement's licence subscription (its users), whatever its status; None for a
    company in no agreement."""
    if agreement_id is None:
        return None
    return db.session.scalar(
        select(LicenceSubscription)
        .where(LicenceSubscription.agreement_id == agreement_id,
               LicenceSubscription.kind == "licence")
        .order_by(LicenceSubscription.id.desc()))


def discount_text(months: int, percent: int) -> tuple[str, str]:
    """The interval-discount line's text in bokmål and in English."""
    label = {12: "årlig", 6: "halvårlig", 3: "kvartalsvis", 1: "månedlig"}.get(months, "")
    label_en = {12: "annual", 6: "semi-annual", 3: "quarterly", 1: "monthly"}.get(months, "")
    return (f"Rabatt for {label} fakturering {percent} %",
            f"Discount for {label_en} invoicing {percent}%")


# --- issuing -----------------------------------------------------------------------------

def renewal_threshold(today: dt.date) -> dt.date:
    """Periods starting before this day have their invoice date (the 11th before) passed."""
    first = today.replace(day=1)
    return rules.first_of_next_month(first) if today.day >= rules.RENEWAL_INVOICE_DAY else first


def _due_subscriptions(today: dt.date, after_id: int, limit: int):
    threshold = renewal_threshold(today)
    s, a, c = LicenceSubscription, CustomerAgreement, Company
    # Free plans cost nothing: no invoice is issued for them.
    free = [code for code, item in catalog.price_list().items.items()
            if item.kind == "plan" and item.price_ore == 0]
    query = (
        select(s.id, s.agreement_id, s.kind, s.plan_code, s.quantity, s.billing_interval,
               s.activated_on, s.billed_through, s.excess_billed_through,
               s.custom_monthly_ore, s.cancel_on, s.label,
               # the buyer's columns (`invoicing.Buyer`), by their names on the invoice
               a.name.label("buyer_name"), a.invoice_email.label("buyer_email"),
               c.organisation_number.label("buyer_organisation_number"),
               c.vat_registered.label("buyer_vat_registered"),
               a.invoice_address_line.label("buyer_address_line"),
               a.invoice_postal_code.label("buyer_postal_code"),
               a.invoice_city.label("buyer_city"), a.customer_number, a.buyer_reference,
               a.peppol_id.label("buyer_peppol_id"), a.delivery)
        .join(a, a.id == s.agreement_id)
        .join(c, c.id == a.invoice_recipient_id)
        .where(s.status == LicenceStatus.ACTIVE, s.id > after_id, s.plan_code.not_in(free),
               or_(and_(s.billed_through.is_(None), s.activated_on < today),
                   s.billed_through < threshold),
               or_(s.cancel_on.is_(None), s.billed_through.is_(None),
                   s.cancel_on > s.billed_through))
        .order_by(s.id).limit(limit)
    )
    return db.session.connection().execute(query).all()  # plain rows, no ORM on the way


@dataclass
class Terms:
    """A licence subscription's history: the plan and add-ons in force on each day, and so
    what its users beyond the licence cost that day (R-BILL-6, R-PLAN-1)."""

    plan_code: str | None
    quantity: int
    changes: list[tuple[dt.date, str, str]] = field(default_factory=list)
    addons: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)
    # Licence counts changed from a day on: (effective on, previous count, new count).
    quantities: list[tuple[dt.date, int, int]] = field(default_factory=list)

    def plan_on(self, day: dt.date) -> str | None:
        for effective_on, previous, _plan in self.changes:
            if day < effective_on:
                return previous
        return self.plan_code

    def quantity_on(self, day: dt.date) -> int:
        """The licences bought on the day (R-PLAN-6: a change counts from its day on)."""
        for effective_on, previous, _quantity in self.quantities:
            if day < effective_on:
                return previous
        return self.quantity

    def addons_on(self, day: dt.date) -> tuple[str, ...]:
        return tuple(sorted({code for code, added_on, removed_from in self.addons
                             if added_on <= day and (removed_from is None or day < removed_from)}))

    def breaks(self) -> set[dt.date]:
        days = {effective_on for effective_on, _previous, _plan in self.changes}
        for _code, added_on, removed_from in self.addons:
            days.add(added_on)
            if removed_from is not None:
                days.add(removed_from)
        days.update(effective_on for effective_on, _previous, _quantity in self.quantities)
        return days

    def excess_price(self, day: dt.date, users: int) -> tuple[int, int]:
        return excess_price(self.plan_on(day), self.quantity_on(day), users,
                            self.addons_on(day))

    def most_licensed(self) -> int:
        """The fewest users that can ever be beyond the licence is above this."""
        plans = {self.plan_code} | {p for _d, p, _n in self.changes}
        counts = {self.quantity} | {q for _d, q, _n in self.quantities}
        return min(licensed(plan, count) for plan in plans for count in counts)


def licensed(plan_code: str | None, quantity: int) -> int:
    """R-PLAN-1: an eFaktura plan's licences are the larger of those included and bought."""
    plan = catalog.price_list().items.get(plan_code or "")
    if plan is not None and plan.kind == "plan" and plan.price_ore is not None:
        return max(quantity, plan.included_licences or 0)
    return quantity


@lru_cache(maxsize=4096)
def _excess_price(token: str, plan_code: str | None, quantity: int, users: int,
                  addons: tuple[str, ...]) -> tuple[int, int]:
    prices = catalog.price_list()
    plan = prices.items.get(plan_code or "")
    allowed = licensed(plan_code, quantity)
    extra = users - allowed
    if plan is None or extra <= 0:
        return 0, 0
    if plan.kind == "edition":
        bands = prices.bands.get(plan.product, [])
        monthly = sum(line.amount_ore for line in band_lines(plan.price_ore or 0, users, bands)) \
            - sum(line.amount_ore for line in band_lines(plan.price_ore or 0, allowed, bands))
    elif plan.kind == "plan":
        item = prices.items.get("efaktura-extra-licence")
        monthly = extra * ((item.price_ore or 0) if item is not None else 0)
    else:
        return 0, 0
    for code in addons:
        addon = prices.items.get(code)
        if addon is not None and addon.per_user:
            monthly += extra * (addon.price_ore or 0)
    return extra, monthly


def excess_price(plan_code: str | None, quantity: int, users: int,
                 addons: tuple[str, ...]) -> tuple[int, int]:
    """(users beyond the licence, their monthly price): each in the graduated band its
    position falls in (eFaktura: an extra licence each), plus the per-user add-ons."""
    return _excess_price(catalog.price_list().token, plan_code, quantity, users, addons)


def terms_of(subscriptions) -> dict[int, Terms]:
    """The terms of each licence subscription (rows with id, plan_code and quantity)."""
    found = {row.id: Terms(row.plan_code, row.quantity) for row in subscriptions}
    if not found:
        return found
    ids = list(found)
    read = db.session.connection().execute  # plain rows, no ORM on the way
    for sid, effective_on, previous, plan_code in read(
            select(PlanChange.subscription_id, PlanChange.effective_on,
                   PlanChange.previous_plan_code, PlanChange.plan_code)
            .where(among(PlanChange.subscription_id, ids))
            .order_by(PlanChange.effective_on, PlanChange.id)):
        if sid in found:
            found[sid].changes.append((effective_on, previous, plan_code))
    for sid, code, added_on, removed_from in read(
            select(SubscriptionAddOn.subscription_id, SubscriptionAddOn.addon_code,
                   SubscriptionAddOn.added_on, SubscriptionAddOn.removed_from)
            .where(among(SubscriptionAddOn.subscription_id, ids))
            .order_by(SubscriptionAddOn.id)):
        if sid in found:
            found[sid].addons.append((code, added_on, removed_from))
    for sid, effective_on, was, quantity in read(
            select(QuantityChange.subscription_id, QuantityChange.effective_on,
                   QuantityChange.previous_quantity, QuantityChange.quantity)
            .where(among(QuantityChange.subscription_id, ids))
            .order_by(QuantityChange.effective_on, QuantityChange.id)):
        if sid in found:
            found[sid].quantities.append((effective_on, was, quantity))
    return found


def excess_invoice_lines(terms: Terms, spans, window: rules.Period) -> list[rules.Line]:
    """The invoice lines for the users beyond the licence in the window."""
    if window.end < window.start or not spans or len(spans) <= terms.most_licensed():
        return []
    lines = []
    for period, extra, monthly in rules.excess_lines(spans, window, terms.breaks(),
                                                     terms.excess_price):
        lines.append(rules.Line(f"Brukere utover lisensen ({extra})", period, extra,
                                (2 * monthly + extra) // (2 * extra),
                                rules.period_amount(monthly, period),
                                description_en=f"Users beyond the licence ({extra})"))
    return lines


def agreement_stays(agreement_ids: list[int]
                    ) -> dict[int, list[tuple[int | None, dt.date, dt.date]]]:
    """R-AGR-4: for every company that is or was in one of the agreements, its stays as
    (agreement, first day, last day); a move counts from its day (date.min/max: open)."""
    wanted = set(agreement_ids)
    moved_companies = {
        company_id for company_id, moved_from, moved_to in db.session.execute(
            select(CompanyMove.company_id, CompanyMove.from_agreement_id,
                   CompanyMove.to_agreement_id)
            .where(or_(among(CompanyMove.from_agreement_id, wanted),
                       among(CompanyMove.to_agreement_id, wanted))))
        if moved_from in wanted or moved_to in wanted}
    current = [
        (company_id, agreement_id) for company_id, agreement_id in db.session.execute(
            select(Company.id, Company.agreement_id).where(or_(
                among(Company.agreement_id, wanted),
                Company.id.in_(moved_companies) if moved_companies else false())))
        if agreement_id in wanted or company_id in moved_companies]
    by_company: dict[int, list] = defaultdict(list)
    if moved_companies:
        for move in db.session.execute(
                select(CompanyMove.company_id, CompanyMove.from_agreement_id,
                       CompanyMove.moved_on)
                .where(CompanyMove.company_id.in_(moved_companies))
                .order_by(CompanyMove.company_id, CompanyMove.moved_on, CompanyMove.id)):
            by_company[move.company_id].append(move)
    stays: dict[int, list[tuple[int | None, dt.date, dt.date]]] = defaultdict(list)
    for company_id, agreement_id in current:
        start = dt.date.min
        for move in by_company.get(company_id, ()):
            if move.moved_on > start:
                stays[company_id].append((move.from_agreement_id, start,
                                          move.moved_on - dt.timedelta(days=1)))
            start = move.moved_on
        stays[company_id].append((agreement_id, start, dt.date.max))
    return stays


def _user_spans(agreement_ids: list[int]) -> dict[int, list[tuple[dt.date, dt.date | None]]]:
    """Every user's days of access in each agreement, as (first, last or None) stretches."""
    return {agreement_id: [(a, None if b == dt.date.max else b)
                           for spans in users.values() for a, b in spans]
            for agreement_id, users in user_spans_by_user(agreement_ids).items()}


def user_spans_by_user(agreement_ids: list[int]) -> dict[int, dict[int, list]]:
    """R-AGR-1: each user counts once per agreement while it has access to any of the
    agreement's companies (from the access given until removed or the user deactivated), and
    R-AGR-4: a moved company's users count in each agreement for the days it was in it.
    Returns {agreement: {user: disjoint (first, last) stretches}}; date.max is open."""
    if not agreement_ids:
        return {}
    wanted = set(agreement_ids)
    stays = agreement_stays(agreement_ids)
    rows = db.session.execute(
        select(AccessStretch.company_id, AccessStretch.user_id, AccessStretch.first_day,
               AccessStretch.last_day)
        .where(among(AccessStretch.company_id, stays))).all()
    found: dict[int, dict[int, list[tuple[dt.date, dt.date]]]] = defaultdict(
        lambda: defaultdict(list))
    for company_id, user_id, first, last in rows:
        if company_id not in stays:
            continue
        last = dt.date.max if last is None else last
        for agreement_id, stay_first, stay_last in stays[company_id]:
            if agreement_id in wanted and max(first, stay_first) <= min(last, stay_last):
                found[agreement_id][user_id].append((max(first, stay_first),
                                                     min(last, stay_last)))
    return {agreement_id: {user_id: rules.merge_spans(spans) for user_id, spans in users.items()}
            for agreement_id, users in found.items()}


ONE_DAY = dt.timedelta(days=1)


def _plan_invoice(row, today: dt.date, terms: Terms | None, spans, cache: dict):
    """Return (schedule, amounts, excess_through) for one due subscription, or None. What
    many subscriptions share (tariffs, schedules, amounts) is computed once, in `cache`."""
    first = row.billed_through is None
    day = row.activated_on if first else row.billed_through + ONE_DAY
    addons = terms.addons_on(day) if terms is not None and terms.addons else ()
    key = (row.plan_code, row.quantity, addons, row.billing_interval, row.custom_monthly_ore,
           row.label)
    rate = cache.get(key)
    if rate is None:
        rate = cache[key] = tariff(*key)
    when = (first, day, rate.months, row.cancel_on)
    schedule = cache.get(when)
    if schedule is None:
        schedule = rules.first_invoice(row.activated_on, rate.months) if first \
            else rules.next_invoice(row.billed_through, rate.months)
        if row.cancel_on is not None:
            schedule = rules.cut_at(schedule, row.cancel_on)
        cache[when] = schedule
    if schedule.invoice_date > today:
        return None
    extra: list[rules.Line] = []
    excess_through = row.excess_billed_through
    if not first and terms is not None:
        window_end = schedule.invoice_date - ONE_DAY
        if spans:
            window = rules.Period((row.excess_billed_through or row.activated_on - ONE_DAY)
                                  + ONE_DAY, window_end)
            extra = excess_invoice_lines(terms, spans, window)
        excess_through = max(window_end, excess_through or window_end)
    amounts_key = (key, schedule.periods)
    amounts = None if extra else cache.get(amounts_key)
    if amounts is None:
        amounts = rules.invoice_lines(list(rate.components), schedule.periods,
                                      rate.discount_percent,
                                      discount_text(rate.months, rate.discount_percent),
                                      tuple(extra))
        if not extra:
            cache[amounts_key] = amounts  # the same tariff and periods cost the same
    return schedule, amounts, excess_through


def take_invoice_numbers(seller_id: int, count: int) -> int:
    """Reserve `count` consecutive invoice numbers; return the first."""
    return take_numbers(seller_id, count, "invoice")


def licence_line_rows(invoice_id: int, amounts: rules.InvoiceAmounts) -> list[dict]:
    """A licence invoice's lines: every line at the standard VAT rate."""
    return [line_row(invoice_id, position, line.description,
                     (line.period.start, line.period.end), line.quantity, line.unit_ore,
                     line.amount_ore, STANDARD, VAT_PERCENT,
                     discount_percent=line.discount_percent,
                     description_en=line.description_en)
            for position, line in enumerate(amounts.lines, start=1)]


def issue_due_invoices(now: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Issue every licence invoice due on the clock's day (catching up missed days)."""
    today = clock.local(now).date()
    seller = vendor_company()
    seller_id, identity_id = seller.id, seller_identity(seller, now).id
    start_agreements_with_users(today)
    db.session.commit()
    issued = 0
    cache: dict[tuple, Any] = {}  # tariffs and amounts, the same for many subscriptions
    with collector_paused():
        while True:
            progress, count = _issue_round(today, now, (seller_id, identity_id), batch_size,
                                           cache)
            issued += count
            if not progress:
                break
    return issued + issue_final_invoices(today, now, (seller_id, identity_id))


def start_agreements_with_users(today: dt.date) -> int:
    """R-AGR-2: an agreement is billed from the day it first has a user (flat add-ons too)."""
    waiting = db.session.execute(
        select(LicenceSubscription.id, LicenceSubscription.agreement_id)
        .where(LicenceSubscription.kind == "licence",
               LicenceSubscription.status == LicenceStatus.ACTIVE,
               LicenceSubscription.activated_on.is_(None),
               LicenceSubscription.is_trial == false())).all()
    if not waiting:
        return 0
    people = user_spans_by_user([agreement_id for _id, agreement_id in waiting])
    started = 0
    for subscription_id, agreement_id in waiting:
        firsts = [spans[0][0] for spans in people.get(agreement_id, {}).values() if spans]
        if firsts and min(firsts) < today:
            db.session.execute(update(LicenceSubscription)
                               .where(LicenceSubscription.id == subscription_id,
                                      LicenceSubscription.activated_on.is_(None))
                               .values(activated_on=min(firsts))
                               .execution_options(synchronize_session=False))
            started += 1
    return started


def issue_final_invoices(today: dt.date, now: dt.datetime, seller) -> int:
    """R-BILL-8: when a subscription ends, the users beyond the licence not yet invoiced are
    billed on a final invoice dated the morning after its last day."""
    s = LicenceSubscription
    ending = db.session.scalars(
        select(s).where(s.kind == "licence", s.cancel_on < today, s.billed_through.is_not(None),
                        s.activated_on.is_not(None),
                        or_(s.excess_billed_through.is_(None),
                            s.excess_billed_through < s.cancel_on))
        .order_by(s.id)).all()
    if not ending:
        return 0
    terms = terms_of(ending)
    spans = _user_spans(sorted({row.agreement_id for row in ending}))
    issued = 0
    for subscription in ending:
        last_seen, cancel_on = subscription.excess_billed_through, subscription.cancel_on
        activated_on = subscription.activated_on
        assert cancel_on is not None and activated_on is not None  # what the query finds
        window = rules.Period((last_seen or activated_on - dt.timedelta(days=1))
                              + dt.timedelta(days=1), cancel_on)
        claimed = db.session.execute(
            update(s).where(s.id == subscription.id,
                            s.excess_billed_through.is_(None) if last_seen is None
                            else s.excess_billed_through == last_seen)
            .values(excess_billed_through=cancel_on)
            .execution_options(synchronize_session=False))
        if rowcount(claimed) != 1:
            continue
        lines = excess_invoice_lines(terms[subscription.id],
                                     spans.get(subscription.agreement_id, []), window)
        if lines:
            write_licence_invoice(subscription, lines, (window,),
                                  cancel_on + dt.timedelta(days=1), now, seller)
            issued += 1
        db.session.commit()
    return issued


def write_licence_invoice(subscription: LicenceSubscription, lines: list[rules.Line],
                          periods: tuple[rules.Period, ...], invoice_date: dt.date,
                          now: dt.datetime, seller=None) -> Invoice | None:
    """An invoice of the given lines (the interval discount applied), dated `invoice_date`
    with the first invoice's terms; none when it comes to nothing."""
    months, discount = catalog.price_list().intervals.get(subscription.billing_interval, (12, 0))
    amounts = rules.invoice_lines([], periods, discount, discount_text(months, discount),
                                  tuple(lines))
    if amounts.total_ore <= 0:
        return None
    if seller is None:
        company = vendor_company()
        seller = (company.id, seller_identity(company, now).id)
    seller_id, identity_id = seller
    agreement = subscription.agreement
    recipient = db.session.get(Company, agreement.invoice_recipient_id)
    row = invoice_row(
        seller_id=seller_id, identity_id=identity_id, number=take_invoice_numbers(seller_id, 1),
        buyer=agreement_buyer(agreement, recipient).columns(), invoice_date=invoice_date,
        due_date=invoice_date + dt.timedelta(days=rules.FIRST_INVOICE_TERMS_DAYS),
        period=(periods[0].start, periods[-1].end), send_at=max(send_moment(invoice_date), now),
        net_ore=amounts.net_ore, vat_ore=amounts.vat_ore, now=now, agreement_id=agreement.id,
        subscription_id=subscription.id)
    return write_invoice(row, licence_line_rows(0, amounts))


def _issue_round(today, now, seller, batch_size, cache) -> tuple[int, int]:
    """Returns (periods claimed, invoices issued)."""
    progress, issued, after_id = 0, 0, 0
    while True:
        rows = _due_subscriptions(today, after_id, batch_size)
        if not rows:
            return progress, issued
        after_id = rows[-1].id
        claimed, count = _issue_batch(rows, today, now, seller, cache)
        progress, issued = progress + claimed, issued + count
        db.session.commit()


def _issue_batch(rows, today, now, seller, cache) -> tuple[int, int]:
    seller_id, identity_id = seller
    licences = [row for row in rows if row.kind == "licence"]
    terms = terms_of(licences)
    over = [row for row in licences if row.billed_through is not None]
    spans = _user_spans(sorted({row.agreement_id for row in over})) if over else {}
    planned = {}
    for row in rows:
        plan = _plan_invoice(row, today, terms.get(row.id), spans.get(row.agreement_id, []),
                             cache)
        if plan is not None:
            planned[row.id] = (row, *plan)
    if not planned:
        return 0, 0
    _rows, schedules, _amounts, _excess = zip(*planned.values(), strict=True)
    claimed = claim_periods({"subscription_id": list(planned),
                             "period_start": [schedule.start for schedule in schedules],
                             "period_end": [schedule.end for schedule in schedules]})
    if not claimed:
        return 0, 0
    # A period that costs nothing (an agreement without users yet) is claimed, not invoiced.
    charged = [planned[sid] for sid, _bid in claimed if planned[sid][2].total_ore]
    if charged:
        _write_batch(charged, now, seller)
    # One executemany moves every claimed subscription's billed-through day to its period end
    # (and its extra users' day), from values already at hand.
    rows, schedules, _amounts, excess = zip(*(planned[sid] for sid, _bid in claimed),
                                            strict=True)
    columns, values = driver_values(LicenceSubscription.__table__, {
        "billed_through": [schedule.end for schedule in schedules],
        "excess_billed_through": list(excess), "id": [row.id for row in rows]}, len(claimed))
    mark = driver_marks(1)
    db.session.connection().exec_driver_sql(
        f"UPDATE licence_subscription SET billed_through = {mark}, "
        f"excess_billed_through = {mark} WHERE id = {mark}", values)
    return len(claimed), len(charged)


def _write_batch(charged: list[tuple], now: dt.datetime, seller) -> None:
    """The invoices of a batch and their lines, column by column: one invoice's columns
    (`invoice_row`) that the whole batch shares, and beside them the columns that differ."""
    seller_id, identity_id = seller
    count = len(charged)
    first_number = take_invoice_numbers(seller_id, count)
    numbers = list(range(first_number, first_number + count))
    rows, schedules, amounts, _excess = zip(*charged, strict=True)
    by_name = dict(zip(rows[0]._fields, zip(*rows, strict=True), strict=True))  # by column
    sending = {day: send_moment(day) for day in {s.invoice_date for s in schedules}}
    columns = invoice_row(seller_id=seller_id, identity_id=identity_id, number=first_number,
                          buyer=buyer_columns(by_name), invoice_date=schedules[0].invoice_date,
                          due_date=schedules[0].due_date, period=None,
                          send_at=sending[schedules[0].invoice_date], net_ore=0, vat_ore=0,
                          now=now)
    columns.update(
        number=numbers, kid=[rules.kid_for(number) for number in numbers],
        agreement_id=list(by_name["agreement_id"]), subscription_id=list(by_name["id"]),
        invoice_date=[s.invoice_date for s in schedules], due_date=[s.due_date for s in schedules],
        period_start=[s.start for s in schedules], period_end=[s.end for s in schedules],
        send_at=[sending[s.invoice_date] for s in schedules],
        net_ore=[a.net_ore for a in amounts], vat_ore=[a.vat_ore for a in amounts],
        total_ore=[a.net_ore + a.vat_ore for a in amounts])
    invoice_ids = insert_invoice_columns(columns, count)
    # Invoices of the same tariff and periods share their amounts: their lines are converted
    # for the driver once and written under each invoice's id.
    table = InvoiceLine.__table__
    lines_of: dict[int, list[tuple]] = {}
    line_values: list[tuple] = []
    for invoice_id, shared in zip(invoice_ids, amounts, strict=True):
        values = lines_of.get(id(shared))
        if values is None:
            line_columns, converted = driver_rows(table, licence_line_rows(0, shared))
            assert line_columns[0] == "invoice_id"
            values = lines_of[id(shared)] = [line[1:] for line in converted]
        line_values.extend((invoice_id, *line) for line in values)
    write_values(table, line_columns, line_values)


CLAIMS_PER_STATEMENT = 500


def claim_periods(claims: dict[str, list]) -> list[tuple[int, int]]:
    """Claim each subscription's period (one row per subscription and period start; the
    claims given column by column: subscription_id, period_start, period_end): the
    (subscription, claim id) pairs this process won, sorted. A period another process
    claimed first is left out, so no period is invoiced twice. Multi-row INSERT … ON
    CONFLICT DO NOTHING RETURNING through the driver, 500 rows a statement."""
    table = cast(Table, BilledPeriod.__table__)
    won: list[tuple[int, int]] = []
    connection = db.session.connection()
    count = len(claims["subscription_id"])
    for start in range(0, count, CLAIMS_PER_STATEMENT):
        columns, values = driver_values(table, {
            name: values[start:start + CLAIMS_PER_STATEMENT] for name, values in claims.items()},
            min(count - start, CLAIMS_PER_STATEMENT))
        group = f"({driver_marks(len(columns))})"
        tuples = ", ".join(group for _ in values)
        won.extend(tuple(row) for row in connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {tuples} "
            "ON CONFLICT DO NOTHING RETURNING subscription_id, id",
            tuple(value for row in values for value in row)).all())
    return sorted(won)


# --- sending -----------------------------------------------------------------------------

def send_due_invoices(now: dt.datetime) -> int:
    """R-BILL-1: e-mail each invoice (with its PDF) from 08:00 on its invoice day, once: claimed
    500 at a time by one conditional update, so two processes never send the same one."""
    due = db.session.scalars(select(Invoice.id).where(Invoice.sent_at.is_(None),
                                                      Invoice.send_at <= now)
                             .order_by(Invoice.id)).all()
    sent = 0
    for start in range(0, len(due), 500):
        claimed = db.session.scalars(
            update(Invoice).where(Invoice.id.in_(due[start:start + 500]),
                                  Invoice.sent_at.is_(None))
            .values(sent_at=now).returning(Invoice.id)
            .execution_options(synchronize_session=False)).all()
        invoices = db.session.scalars(select(Invoice).where(Invoice.id.in_(claimed))
                                      .order_by(Invoice.id)).all()
        with force_locale("nb"):
            for invoice in invoices:
                template = "credit_note.txt" if invoice.kind == "credit_note" else "invoice.txt"
                queue_mail(invoice.kind, invoice.buyer_email, template, invoice_id=invoice.id,
                           now=now, flush=False, invoice=invoice, seller=invoice.seller)
        sent += len(invoices)
        db.session.commit()
    return sent


# --- credit notes ------------------------------------------------------------------------

BUYER_COLUMNS = ("buyer_name", "buyer_email", "buyer_organisation_number",
                 "buyer_vat_registered", "buyer_address_line", "buyer_postal_code",
                 "buyer_city", "customer_number", "buyer_reference", "buyer_peppol_id",
                 "delivery")


def credit_invoice(invoice: Invoice, reason: str, now: dt.datetime,
                   line_ids: list[int] | None = None, amount_ore: int | None = None,
                   vat_group: tuple[str, int] | None = None) -> Invoice:
    """R-DOC-3: a credit note for chosen lines, for an amount (excl. VAT, in one of the
    invoice's VAT groups), or for every line not credited yet; its own number series; it
    reduces what is owed and never credits more than was invoiced, nor a line twice."""
    if invoice.kind != "invoice":
        raise BillingError(_("Only invoices can be credited."))
    if not reason.strip():
        raise BillingError(_("Give a reason for the credit note."), "reason")
    credited_lines = set(db.session.scalars(
        select(InvoiceLine.credits_line_id).where(InvoiceLine.credits_line_id.in_(
            [line.id for line in invoice.lines]))))
    if amount_ore is not None:
        groups = {(line.vat_category, line.vat_percent) for line in invoice.lines}
        if amount_ore <= 0:
            raise BillingError(_("Enter an amount above zero."), "amount")
        if vat_group not in groups:
            raise BillingError(_("Choose one of the invoice's VAT rates."), "vat_group")
        category, percent = vat_group
        lines = [line_row(0, 1, f"Kreditert beløp: {reason.strip()}"[:200],
                          (invoice.period_start or invoice.invoice_date,
                           invoice.period_end or invoice.invoice_date), 1, -amount_ore,
                          -amount_ore, category, percent,
                          description_en=f"Credited amount: {reason.strip()}"[:200])]
    else:
        if line_ids is None:
            chosen = [line for line in invoice.lines if line.id not in credited_lines]
        else:
            chosen = [line for line in invoice.lines if line.id in set(line_ids)]
            if len(chosen) != len(set(line_ids)):
                raise BillingError(_("Choose lines of this invoice."), "lines")
            if any(line.id in credited_lines for line in chosen):
                raise BillingError(_("A chosen line is already credited."), "lines")
        if not chosen:
            raise BillingError(_("This invoice is already credited.") if line_ids is None
                               else _("Choose the lines to credit."), "lines")
        lines = [line_row(0, position, line.description, (line.period_start, line.period_end),
                          line.quantity, line.unit_ore, -line.amount_ore, line.vat_category,
                          line.vat_percent, credits_line_id=line.id,
                          description_en=line.description_en)
                 for position, line in enumerate(chosen, start=1)]
    return _write_credit(invoice, reason, lines, now, amount_ore is not None)


def _write_credit(invoice: Invoice, reason: str, lines: list[dict], now: dt.datetime,
                  by_amount: bool = False) -> Invoice:
    """Write a credit note of the given lines against the invoice, in one transaction."""
    today = clock.local(now).date()
    net = sum(line["amount_ore"] for line in lines)
    vat = vat_total((line["vat_category"], line["vat_percent"], line["amount_ore"])
                    for line in lines)
    if net + vat >= 0:
        raise BillingError(_("The lines chosen credit nothing."), "lines")
    # Claim the amount on the invoice first: a second credit at the same moment cannot pass.
    locked = db.session.execute(
        update(Invoice).where(Invoice.id == invoice.id,
                              Invoice.credited_ore - (net + vat) <= Invoice.total_ore)
        .values(credited_ore=Invoice.credited_ore - (net + vat))
        .execution_options(synchronize_session=False))
    if rowcount(locked) != 1:
        raise BillingError(_("That credits more than is left on the invoice (%(left)s).",
                             left=format_nok(invoice.total_ore - invoice.credited_ore)),
                           "amount" if by_amount else "lines")
    db.session.refresh(invoice)
    number = take_numbers(invoice.seller_company_id, 1, "credit_note")
    row = invoice_row(
        seller_id=invoice.seller_company_id,
        identity_id=invoice.seller_identity_id or seller_identity(invoice.seller, now).id,
        number=number, buyer={c: getattr(invoice, c) for c in BUYER_COLUMNS},
        invoice_date=today, due_date=today, period=(invoice.period_start, invoice.period_end)
        if invoice.period_start and invoice.period_end else None, send_at=now, net_ore=net,
        vat_ore=vat, now=now,
        kind="credit_note", agreement_id=invoice.agreement_id,
        subscription_id=invoice.subscription_id, customer_id=invoice.customer_id,
        credited_invoice_id=invoice.id, order_reference=invoice.order_reference,
        reason=reason.strip(), is_trial=invoice.is_trial)
    from .avtalegiro import invoice_credited

    invoice_credited(invoice)  # its AvtaleGiro claim is withdrawn; the rest claimed anew
    return write_invoice(row, lines)


def cancel_subscription(subscription: LicenceSubscription, now: dt.datetime) -> dt.date:
    """R-BILL-7: end at the last paid day (a period not yet begun is not paid for); R-BILL-8:
    every invoiced day after it is credited, renewals and upgrade differences alike, while a
    period already begun stays invoiced (no refunds). Returns the last day."""
    today = clock.local(now).date()
    ends_on = subscription.billed_through or today
    if subscription.billed_through is not None:
        not_begun = db.session.scalar(
            select(func.min(Invoice.period_start))
            .where(Invoice.subscription_id == subscription.id, Invoice.kind == "invoice",
                   Invoice.period_start > today))
        if not_begun is not None:
            ends_on = min(ends_on, not_begun - dt.timedelta(days=1))
        credit_days_after(subscription, ends_on, "Oppsigelse: dager etter siste dag", now)
        subscription.billed_through = ends_on
    subscription.cancel_on = ends_on
    db.session.flush()
    return ends_on


def credit_days_after(subscription: LicenceSubscription, last_day: dt.date, reason: str,
                      now: dt.datetime) -> list[Invoice]:
    """Credit every invoiced day of the subscription after `last_day`: each line for its
    days after it (the line less what its days up to the last day cost), the interval
    discount as its percentage of what is credited."""
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.subscription_id == subscription.id,
                              Invoice.kind == "invoice", Invoice.period_end > last_day)
        .order_by(Invoice.id)).all()
    notes = []
    for invoice in invoices:
        credited = set(db.session.scalars(
            select(InvoiceLine.credits_line_id).where(InvoiceLine.credits_line_id.in_(
                [line.id for line in invoice.lines]))))
        lines: list[dict] = []
        gross = 0
        for line in invoice.lines:
            if line.id in credited or line.amount_ore <= 0 or line.period_end <= last_day:
                continue
            kept = 0 if line.period_start > last_day else rules.period_amount(
                line.quantity * line.unit_ore, rules.Period(line.period_start, last_day))
            amount = line.amount_ore - kept
            if amount <= 0:
                continue
            gross += amount
            lines.append(line_row(0, len(lines) + 1, line.description,
                                  (max(line.period_start, last_day + dt.timedelta(days=1)),
                                   line.period_end), line.quantity, line.unit_ore, -amount,
                                  line.vat_category, line.vat_percent, credits_line_id=line.id,
                                  description_en=line.description_en))
        for line in invoice.lines:
            if line.amount_ore < 0 and line.id not in credited and gross and \
                    line.discount_percent:
                share = percent_of(gross, line.discount_percent)
                lines.append(line_row(0, len(lines) + 1, line.description,
                                      (line.period_start, line.period_end), 1, share, share,
                                      line.vat_category, line.vat_percent,
                                      credits_line_id=line.id, discount_percent=
                                      line.discount_percent,
                                      description_en=line.description_en))
        if lines:
            notes.append(_write_credit(invoice, reason, lines, now))
    return notes


# The vendor's licence invoices (a company's own sales invoices have no agreement).
LICENCE_INVOICE = Invoice.agreement_id.is_not(None)
INVOICE_FILTERS = ("open", "overdue", "paid", "credited", "credit_notes", "debt_collection")


def licence_invoices(which: str, today: dt.date, agreement_id: int | None = None):
    """The vendor's licence invoices and credit notes (of one agreement, or all), narrowed
    to one of INVOICE_FILTERS ("" for all); a query to order and page."""
    settled = Invoice.paid_ore + Invoice.credited_ore >= Invoice.total_ore
    query = select(Invoice).where(LICENCE_INVOICE)
    if agreement_id is not None:
        query = query.where(Invoice.agreement_id == agreement_id)
    if which == "open":
        query = query.where(Invoice.kind == "invoice", ~settled)
    elif which == "overdue":
        query = query.where(Invoice.kind == "invoice", ~settled, Invoice.due_date < today)
    elif which == "paid":
        query = query.where(Invoice.kind == "invoice", Invoice.paid_ore > 0, settled,
                            Invoice.credited_ore == 0)
    elif which == "credited":
        query = query.where(Invoice.kind == "invoice", Invoice.credited_ore > 0)
    elif which == "credit_notes":
        query = query.where(Invoice.kind == "credit_note")
    elif which == "debt_collection":
        query = query.where(Invoice.handed_over_at.is_not(None))
    return query


def invoice_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Invoice)) or 0


def estimate_next_invoice(subscription: LicenceSubscription):
    """The next licence invoice the engine will issue (date and amounts), for the portal: the
    changes scheduled for the next period applied, today's users carried on to the invoice
    day, and the final invoice of a subscription that ends."""
    if subscription.status != LicenceStatus.ACTIVE or subscription.activated_on is None:
        return None
    terms = terms_of([subscription])[subscription.id]
    spans = _user_spans([subscription.agreement_id]).get(subscription.agreement_id, [])
    if subscription.cancel_on is not None and subscription.billed_through is not None \
            and subscription.cancel_on <= subscription.billed_through:
        window = rules.Period((subscription.excess_billed_through or subscription.activated_on
                               - dt.timedelta(days=1)) + dt.timedelta(days=1),
                              subscription.cancel_on)
        lines = excess_invoice_lines(terms, spans, window)
        if not lines:
            return None
        months, discount = catalog.price_list().intervals.get(subscription.billing_interval,
                                                              (12, 0))
        amounts = rules.invoice_lines([], (window,), discount, discount_text(months, discount),
                                      tuple(lines))
        invoice_date = subscription.cancel_on + dt.timedelta(days=1)
        return rules.InvoiceSchedule(invoice_date, invoice_date + dt.timedelta(
            days=rules.FIRST_INVOICE_TERMS_DAYS), (window,)), amounts
    row = _Scheduled(
        id=subscription.id, plan_code=subscription.next_plan_code or subscription.plan_code,
        quantity=subscription.next_quantity or subscription.quantity,
        billing_interval=subscription.next_billing_interval or subscription.billing_interval,
        custom_monthly_ore=subscription.custom_monthly_ore, label=subscription.label,
        activated_on=subscription.activated_on, billed_through=subscription.billed_through,
        excess_billed_through=subscription.excess_billed_through,
        cancel_on=subscription.cancel_on)
    planned = _plan_invoice(row, dt.date.max, terms, spans, {})
    if planned is None:
        return None
    schedule, amounts, _excess = planned
    return schedule, amounts


@dataclass(frozen=True)
class _Scheduled:
    """A subscription as the next issuing run will see it (pending changes applied)."""

    id: int
    plan_code: str | None
    quantity: int
    billing_interval: str
    custom_monthly_ore: int | None
    label: str | None
    activated_on: dt.date
    billed_through: dt.date | None
    excess_billed_through: dt.date | None
    cancel_on: dt.date | None


def paid_through(subscription: LicenceSubscription) -> dt.date | None:
    """The last day paid for: the end of the invoiced periods up to the first invoice still
    open (unpaid, partly paid or handed over to collection)."""
    last = None
    for invoice in db.session.scalars(
            select(Invoice).where(Invoice.subscription_id == subscription.id,
                                  Invoice.kind == "invoice")
            .order_by(Invoice.period_start, Invoice.id)):
        if invoice.open_ore > 0 or invoice.handed_over_at is not None:
            break
        if invoice.period_end is not None and invoice.total_ore - invoice.credited_ore > 0:
            last = max(last or invoice.period_end, invoice.period_end)
    return last
