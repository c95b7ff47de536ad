"""A company's subscription sales: frequencies, the customer register, subscriptions and the
invoices they issue on every occurrence (one pipeline with the licence invoices)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import String, case, func, or_, select, update

from .. import clock
from ..database import insert_ignoring_conflicts
from ..domain.documents import OUTSIDE, vat_total
from ..domain.formats import format_day
from ..domain.recurrence import Pattern, describe
from ..domain.refusals import Refusal
from ..domain.statuses import LicenceStatus
from ..extensions import db
from ..models import (
    Company,
    Customer,
    Frequency,
    Invoice,
    LicenceSubscription,
    Subscriber,
    Subscription,
    SubscriptionOccurrence,
    User,
)
from .billing import send_moment
from .export import workbook
from .invoicing import (
    customer_buyer,
    invoice_row,
    line_row,
    missing_seller_details,
    seller_identity,
    take_numbers,
    write_invoice,
)

SORTABLE = ("name", "pattern", "next_date", "end", "in_use", "modified_at", "by")
FILTERS = ("active", "mine", "deactivated", "all")
INVOICE_TERMS_DAYS = 14


class SalesError(Refusal):
    """A refusal of a frequency or subscription change, in the user's words."""

    def __init__(self, message: str):
        super().__init__("refused", None, message)


# --- frequencies -------------------------------------------------------------------------

def save_frequency(company_id: int, user: User, pattern: Pattern, name: str | None,
                   now: dt.datetime, frequency: Frequency | None = None,
                   locale: str = "nb") -> Frequency:
    """Create or change a frequency; with no name of its own it is named from its pattern."""
    pattern.validate()
    if frequency is None:
        frequency = Frequency(company_id=company_id, created_by_id=user.id, created_at=now,
                              active=True)
        db.session.add(frequency)
    frequency.kind, frequency.interval = pattern.kind, pattern.interval
    frequency.weekdays = ",".join(str(d) for d in sorted(set(pattern.weekdays)))
    frequency.month_day, frequency.ordinal = pattern.month_day, pattern.ordinal
    frequency.weekday, frequency.month = pattern.weekday, pattern.month
    frequency.start_date, frequency.count, frequency.until = (pattern.start, pattern.count,
                                                              pattern.until)
    custom = (name or "").strip()
    frequency.auto_name = not custom
    frequency.name = custom or describe(pattern, locale)
    frequency.modified_by_id, frequency.modified_at = user.id, now
    frequency.next_date = pattern.next_date(clock.local(now).date())
    db.session.flush()
    return frequency


def in_use_count(frequency_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.frequency_id == frequency_id, Subscription.active)) or 0


def set_frequency_active(frequency: Frequency, active: bool, user: User,
                         now: dt.datetime) -> None:
    """Deactivate (refused while active subscriptions use it) or reactivate a frequency."""
    if not active and in_use_count(frequency.id):
        raise SalesError(_("The frequency is used by %(n)s active subscriptions; choose "
                           "another frequency for them first.", n=in_use_count(frequency.id)))
    frequency.active = active
    frequency.modified_by_id, frequency.modified_at = user.id, now
    db.session.flush()


def refresh_next_dates(now: dt.datetime) -> int:
    """Daily: move each frequency's next date past today (the list sorts by it)."""
    today = clock.local(now).date()
    stale = db.session.scalars(select(Frequency).where(Frequency.next_date < today)).all()
    for frequency in stale:
        frequency.next_date = frequency.pattern().next_date(today)
    db.session.flush()
    return len(stale)


def _in_use_subquery():
    return (select(func.count()).select_from(Subscription)
            .where(Subscription.frequency_id == Frequency.id, Subscription.active)
            .correlate(Frequency).scalar_subquery())


def frequency_query(company_id: int, user_id: int, show: str = "active",
                    sort: str = "next_date", descending: bool = False):
    """R-FREQ-4: the list's rows as (Frequency, in use, initials), filtered and sorted."""
    in_use = _in_use_subquery().label("in_use")
    author = db.aliased(User)
    initials = (func.substr(author.first_name, 1, 1, type_=String)
                + func.substr(author.last_name, 1, 1, type_=String))
    query = (select(Frequency, in_use, initials.label("initials"))
             .join(author, author.id == Frequency.modified_by_id)
             .where(Frequency.company_id == company_id))
    if show == "active":
        query = query.where(Frequency.active)
    elif show == "deactivated":
        query = query.where(Frequency.active.is_(False))
    elif show == "mine":
        # Seed 003: "mine" is what I created or changed last.
        query = query.where((Frequency.created_by_id == user_id)
                            | (Frequency.modified_by_id == user_id), Frequency.active)
    sortable: dict[str, list[Any]] = {
        "name": [func.lower(Frequency.name)],
        "pattern": [case({"daily": 1, "weekly": 2, "monthly": 3, "yearly": 4},
                         value=Frequency.kind), Frequency.interval],
        "next_date": [Frequency.next_date],
        "end": [Frequency.until, Frequency.count],
        "in_use": [in_use],
        "modified_at": [Frequency.modified_at],
        "by": [author.first_name, author.last_name],
    }
    columns = sortable[sort if sort in SORTABLE else "next_date"]
    order = [c.desc().nulls_last() if descending else c.asc().nulls_last() for c in columns]
    return query.order_by(*order, Frequency.id)


def end_text(frequency: Frequency) -> str:
    if frequency.count is not None:
        return _("After %(n)s times", n=frequency.count)
    if frequency.until is not None:
        return format_day(frequency.until, str(get_locale()))
    return _("Never")


def export_frequencies(rows, locale: str) -> bytes:
    """The list as it is filtered and sorted, as an Excel workbook."""
    return workbook(_("Frequencies"), [_("Name"), _("Pattern"), _("Next date"), _("End"),
                                       _("In use"), _("Last modified"), _("By")],
                    ([frequency.display_name(locale), describe(frequency.pattern(), locale),
                      frequency.next_date, end_text(frequency), in_use,
                      clock.local(frequency.modified_at).replace(tzinfo=None), initials]
                     for frequency, in_use, initials in rows))


# --- customers and subscriptions ----------------------------------------------------------

def company_customers(company_id: int) -> list[Customer]:
    return list(db.session.scalars(select(Customer).where(Customer.company_id == company_id)
                                   .order_by(func.lower(Customer.name))))


def active_frequencies(company_id: int) -> list[Frequency]:
    """R-FREQ-4: only active frequencies can be chosen in a subscription."""
    return list(db.session.scalars(select(Frequency).where(
        Frequency.company_id == company_id, Frequency.active).order_by(func.lower(Frequency.name))))


def preview(subscription: Subscription, today: dt.date, limit: int = 6) -> list[dt.date]:
    return subscription.frequency.pattern().occurrences(after=today, limit=limit)


# --- invoicing on every occurrence --------------------------------------------------------

def subscription_amounts(subscription: Subscription,
                         vat_registered: bool = True) -> tuple[list[tuple], int, int]:
    """Lines as (text, quantity, unit, amount, VAT category, rate) in øre, the net total and
    the VAT rounded once per VAT group (R-DOC-1). A seller outside the VAT register charges
    no VAT: every line is "not subject to VAT"."""
    lines = [(line.product_text, line.quantity, line.unit_ore, line.quantity * line.unit_ore,
              *((line.vat_category, line.vat_percent) if vat_registered else (OUTSIDE, 0)))
             for line in subscription.lines]
    net = sum(line[3] for line in lines)
    return lines, net, vat_total((line[4], line[5], line[3]) for line in lines)


def _in_trial(company_id: int) -> bool:
    return (db.session.scalar(
        select(func.count()).select_from(LicenceSubscription)
        .join(Company, Company.agreement_id == LicenceSubscription.agreement_id)
        .where(Company.id == company_id, LicenceSubscription.status == LicenceStatus.TRIAL))
        or 0) > 0


def subscriber_dates(pattern: Pattern, start: dt.date | None, first: dt.date, last: dt.date,
                     end_date: dt.date | None = None) -> list[dt.date]:
    """R-FREQ-2, R-FREQ-6: a subscriber's occurrences from `first` to `last`: the first on or
    after its start date onwards, "after N occurrences" counted from there, never after its
    own end date."""
    begin = max(pattern.start, start or pattern.start)
    first = max(first, begin)
    if pattern.count is None:
        return pattern.between(first, last, until=end_date)
    own = replace(pattern, count=None, until=None).occurrences(after=begin,
                                                               limit=pattern.count,
                                                               until=end_date)
    return [day for day in own if first <= day <= last]


def past_invoices(pattern: Pattern, start: dt.date, today: dt.date,
                  end_date: dt.date | None = None) -> int:
    """How many invoices a start date creates at once (occurrences up to today)."""
    return len(subscriber_dates(pattern, start, start, today, end_date))


def issue_subscription_invoices(now: dt.datetime) -> int:
    """One invoice per active subscriber per occurrence up to today, catching up missed days;
    never twice (a unique occurrence row is claimed in the same transaction)."""
    today = clock.local(now).date()
    subscribers = db.session.execute(
        select(Subscriber.id).join(Subscription).join(Frequency)
        .where(Subscription.active, Subscriber.active, Frequency.start_date <= today,
               or_(Subscriber.start_date.is_(None), Subscriber.start_date <= today),
               or_(Subscriber.invoiced_through.is_(None), Subscriber.invoiced_through < today),
               or_(Subscriber.end_date.is_(None),
                   Subscriber.invoiced_through.is_(None),
                   Subscriber.invoiced_through < Subscriber.end_date))
        .order_by(Subscriber.id)).scalars().all()
    issued = 0
    for subscriber_id in subscribers:
        issued += _issue_for_subscriber(db.session.get_one(Subscriber, subscriber_id), today,
                                        now)
        db.session.commit()
    return issued


def _issue_for_subscriber(subscriber: Subscriber, today: dt.date, now: dt.datetime) -> int:
    subscription = subscriber.subscription
    pattern = subscription.frequency.pattern()
    first = (subscriber.invoiced_through + dt.timedelta(days=1)) \
        if subscriber.invoiced_through else pattern.start
    dates = subscriber_dates(pattern, subscriber.start_date, first, today, subscriber.end_date)
    issued = 0
    company = db.session.get_one(Company, subscription.company_id)
    if dates and missing_seller_details(company):
        return 0  # never an invoice without the seller's own account: issued once it is set
    if dates:
        trial = _in_trial(company.id)
        lines, net, vat = subscription_amounts(subscription, company.vat_registered)
        for occurs_on in dates:
            claimed = db.session.execute(
                insert_ignoring_conflicts(SubscriptionOccurrence.__table__)
                .values(subscriber_id=subscriber.id, occurs_on=occurs_on)
                .returning(SubscriptionOccurrence.__table__.c.id)).scalar()
            if claimed is None:
                continue
            invoice = _subscription_invoice(company, subscriber.customer, subscription,
                                            occurs_on, lines, net, vat, trial, now)
            db.session.execute(update(SubscriptionOccurrence)
                               .where(SubscriptionOccurrence.id == claimed)
                               .values(invoice_id=invoice.id))
            issued += 1
    subscriber.invoiced_through = today
    db.session.flush()
    return issued


def invoiced_subscribers(subscription_id: int) -> set[int]:
    """Customers of the subscription that have been invoiced (their history must stay)."""
    return set(db.session.scalars(
        select(Subscriber.customer_id).join(SubscriptionOccurrence,
                                            SubscriptionOccurrence.subscriber_id == Subscriber.id)
        .where(Subscriber.subscription_id == subscription_id)))


def delete_subscription(subscription: Subscription) -> None:
    """Delete a subscription that never invoiced anything; one that did is refused (deactivate
    it instead: no more occurrences, history kept)."""
    if invoiced_subscribers(subscription.id):
        raise SalesError(_("The subscription has issued invoices and cannot be deleted; "
                           "deactivate it instead."))
    db.session.delete(subscription)
    db.session.flush()


def _subscription_invoice(company, customer, subscription, occurs_on, lines, net, vat, trial,
                          now) -> Invoice:
    number = take_numbers(company.id, 1)
    row = invoice_row(
        seller_id=company.id, identity_id=seller_identity(company, now).id, number=number,
        buyer=customer_buyer(customer).columns(), invoice_date=occurs_on,
        due_date=occurs_on + dt.timedelta(days=INVOICE_TERMS_DAYS), period=(occurs_on, occurs_on),
        send_at=max(send_moment(occurs_on), now), net_ore=net, vat_ore=vat, now=now,
        customer_id=customer.id, is_trial=trial)
    return write_invoice(row, [
        line_row(0, position, text, (occurs_on, occurs_on), quantity, unit, amount, category,
                 percent)
        for position, (text, quantity, unit, amount, category, percent) in enumerate(lines, 1)])
