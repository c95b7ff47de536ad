"""Web-shop use cases: drafts, placing an order, activation, reminders and expiry."""
from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from sqlalchemy import delete, select, update

from .. import clock
from ..database import rowcount
from ..domain.refusals import Refusal
from ..domain.statuses import LicenceStatus, OrderStatus, move, step
from ..extensions import db
from ..links import external
from ..mail import queue_mail
from ..models import (
    Company,
    CustomerAgreement,
    LicenceSubscription,
    Order,
    SubscriptionAddOn,
    User,
)
from . import catalog, plans, terms
from .accounts import add_user, create_company, open_own_agreement, send_welcome_mail
from .billing import active_addons, agreement_licence
from .tokens import TokenError, find_token, issue_token

TRIAL_DAYS = 30
ORDER_LIFETIME = dt.timedelta(days=30)
DRAFT_LIFETIME = dt.timedelta(days=30)
REMINDER_AFTER = (dt.timedelta(days=3), dt.timedelta(days=7))
SET_PASSWORD_LIFETIME = dt.timedelta(days=14)
ACTIVATION_LIFETIME = ORDER_LIFETIME


class OrderError(Refusal):
    """A refusal of an order step; the shop's views word each code at its field."""


def unsaved_draft(now: dt.datetime) -> Order:
    """An order to show the first step of; it is stored only when that step is sent."""
    return Order(status=OrderStatus.DRAFT, created_at=now, updated_at=now, product_data={},
                 company_data={}, users_data=[])


def new_draft(now: dt.datetime, user: User | None = None) -> Order:
    order = Order(status=OrderStatus.DRAFT, created_at=now, updated_at=now, product_data={},
                  company_data={}, users_data=[])
    if user is not None:
        order.created_by_user_id = user.id
    db.session.add(order)
    db.session.flush()
    return order


def save_step(order: Order, step: str, data, now: dt.datetime) -> None:
    """Keep a step's raw input exactly as typed (valid or not)."""
    if order.status != OrderStatus.DRAFT:
        raise OrderError("order_not_draft")
    setattr(order, f"{step}_data", data)
    order.updated_at = now


def selection(order: Order) -> dict:
    """The product step's choices as typed values (with safe defaults)."""
    data = order.product_data or {}
    try:
        users = max(0, min(int(data.get("users") or 1), 9999))
    except (TypeError, ValueError):
        users = 1
    product = data.get("product") or ""
    return {
        "edition": None if product in ("", "none") else product,
        "users": users,
        "addons": list(data.get("addons") or []),
        "trial": data.get("mode") == "trial",
        # Kvitt eFaktura is invoiced monthly (R-PLAN-3); Kvitt Office at the chosen interval.
        "interval": "monthly" if catalog.is_plan(product) else
        (order.company_data or {}).get("billing_interval") or "annual",
    }


def _existing_subscription(order: Order) -> LicenceSubscription | None:
    """The licence subscription an add-on order (product "None") adds to."""
    if not order.existing_company_id:
        return None
    company = db.session.get(Company, order.existing_company_id)
    if company is None or company.agreement_id is None:
        return None
    return agreement_licence(company.agreement_id)


def order_summary(order: Order, locale: str) -> dict:
    chosen = selection(order)
    existing = _existing_subscription(order) if chosen["edition"] is None else None
    if existing is not None:
        # Add-ons for an existing customer: its own licences and interval (R-SHOP, R-BILL-8).
        chosen["users"], chosen["interval"] = existing.quantity, existing.billing_interval
    quote = catalog.quote_order(chosen["edition"], chosen["users"], chosen["addons"],
                                chosen["interval"], locale)
    edition = catalog.item(chosen["edition"]) if chosen["edition"] else None
    return {"selection": chosen, "quote": quote, "edition": edition,
            "company": order.company_data or {}, "users": order.users_data or []}


def _activation_link(order: Order) -> str:
    token = issue_token("activate", ACTIVATION_LIFETIME, order_id=order.id)
    return external("shop.activate", token=token)


def place_order(order: Order, now: dt.datetime, locale: str) -> Order:
    """Turn a complete draft into a pending customer; a second call changes nothing."""
    claimed = db.session.execute(
        update(Order).where(Order.id == order.id, Order.status == OrderStatus.DRAFT)
        .values(status=step(OrderStatus.DRAFT, OrderStatus.SUBMITTED), submitted_at=now,
                updated_at=now)
        .execution_options(synchronize_session=False))
    db.session.refresh(order)
    if rowcount(claimed) != 1:
        return order
    if order.existing_company_id:
        return _place_addon_order(order, now, locale)
    chosen = selection(order)
    data = order.company_data
    email = data["email"].strip()
    company = create_company(
        now, kind="partner" if data.get("is_partner") else "customer",
        name=data["company_name"].strip(), contact_person=data["contact_person"].strip(),
        organisation_number=data.get("organisation_number") or None,
        email=email, phone=data["phone"].strip(),
        employee_count=int(data["employee_count"]) if data.get("employee_count") else None)
    agreement = open_own_agreement(company, now, interval=chosen["interval"],
                                   invoice_email=email)
    first_admin = True
    for row in order.users_data:
        is_admin = row["user_group"] == "administrators"
        add_user(company, now, first_name=row["first_name"], last_name=row["last_name"],
                 email=row["email"], username=row["username"], group_key=row["user_group"],
                 is_main_contact=is_admin and first_admin)
        first_admin = first_admin and not is_admin
    subscription = LicenceSubscription(
        agreement_id=agreement.id, plan_code=chosen["edition"], quantity=chosen["users"],
        billing_interval=chosen["interval"], status=LicenceStatus.PENDING, is_trial=chosen["trial"],
        created_at=now)
    subscription.addons = [SubscriptionAddOn(addon_code=code, added_on=clock.local(now).date())
                           for code in chosen["addons"]]
    db.session.add(subscription)
    order.company_id, order.agreement_id = company.id, agreement.id
    db.session.flush()
    with force_locale(locale):
        summary = order_summary(order, locale)
        queue_mail("order_confirmation", email, "order_confirmation.txt",
                   order_id=order.id, order=order, company=company, summary=summary,
                   link=_activation_link(order), expires_on=clock.local(now + ORDER_LIFETIME),
                   locale=locale)
    return order


def _place_addon_order(order: Order, now: dt.datetime, locale: str) -> Order:
    """Product "None": add the chosen add-ons to an existing customer's subscription at once."""
    company = db.session.get_one(Company, order.existing_company_id)
    subscription = _existing_subscription(order)
    if subscription is None:
        raise OrderError("no_subscription")
    # Exactly like an add-on added in the portal: the rest of the paid period is invoiced the
    # next morning.
    plans.set_addons(subscription, set(active_addons(subscription))
                     | set(selection(order)["addons"]), now)
    move(order, OrderStatus.ACTIVATED)
    order.activated_at = now
    order.company_id, order.agreement_id = company.id, company.agreement_id
    buyer = db.session.get_one(User, order.created_by_user_id)
    with force_locale(locale):
        queue_mail("addon_confirmation", buyer.email, "addon_confirmation.txt", order_id=order.id,
                   company=company, summary=order_summary(order, locale), locale=locale)
    db.session.flush()
    return order


def needs_invoice_address(order: Order) -> bool:
    """R-SHOP-8: an order that will be invoiced asks for the invoice address at activation;
    a trial and Kvitt eFaktura Free are never invoiced."""
    chosen = selection(order)
    return not chosen["trial"] and not catalog.is_free_plan(chosen["edition"])


def activation_order(signed: str) -> Order:
    """Return the order behind an activation link, or raise TokenError."""
    token = find_token("activate", signed)
    order = db.session.get_one(Order, token.order_id)
    if order.status == OrderStatus.ACTIVATED:
        raise TokenError("used", token)
    if order.status == OrderStatus.EXPIRED:
        raise TokenError("expired", token)
    return order


def activate_order(signed: str, now: dt.datetime, locale: str,
                   address: dict | None = None) -> Order:
    """Activate an order from its e-mailed link: once, before it expires."""
    token = find_token("activate", signed, for_update=True)
    order = db.session.get_one(Order, token.order_id)
    used = db.session.execute(
        update(Order).where(Order.id == order.id, Order.status == OrderStatus.SUBMITTED)
        .values(status=step(OrderStatus.SUBMITTED, OrderStatus.ACTIVATED), activated_at=now,
                updated_at=now)
        .execution_options(synchronize_session=False))
    if rowcount(used) != 1:
        db.session.refresh(order)
        raise TokenError("used" if order.status == OrderStatus.ACTIVATED else "expired", token)
    db.session.refresh(order)
    token.used_at = now
    agreement = db.session.get_one(CustomerAgreement, order.agreement_id)
    subscription = db.session.scalars(select(LicenceSubscription).where(
        LicenceSubscription.agreement_id == agreement.id)).one()
    today = clock.local(now).date()
    subscription.activated_on = today
    if subscription.is_trial:
        move(subscription, LicenceStatus.TRIAL)
        subscription.trial_ends_on = today + dt.timedelta(days=TRIAL_DAYS)
    elif not needs_invoice_address(order):
        move(subscription, LicenceStatus.ACTIVE)  # Kvitt eFaktura Free: nothing to invoice
    else:
        if not address:
            raise OrderError("address_required")
        move(subscription, LicenceStatus.ACTIVE)
        agreement.invoice_address_line = address["address_line"]
        agreement.invoice_postal_code = address["postal_code"]
        agreement.invoice_city = address["city"]
        company = db.session.get_one(Company, order.company_id)
        company.address_line, company.postal_code, company.city = (
            address["address_line"], address["postal_code"], address["city"])
    # The person who ordered (the first user) accepted the terms of service with the order.
    orderer = db.session.scalar(select(User).where(User.company_id == order.company_id)
                                .order_by(User.id))
    if orderer is not None:
        terms.accept(orderer, order.terms_accepted_at or now)
    _send_welcome_mails(order, locale)
    db.session.flush()
    return order


def _send_welcome_mails(order: Order, locale: str) -> None:
    company = order.company
    users = db.session.scalars(select(User).where(User.company_id == company.id)
                               .order_by(User.id))
    with force_locale(locale):
        for user in users:
            send_welcome_mail(user, company, SET_PASSWORD_LIFETIME, order_id=order.id)


def send_activation_reminders(now: dt.datetime, locale: str = "nb") -> int:
    """Remind the contact after 3 and 7 days without activation (once each, any process)."""
    sent = 0
    for number, after in reversed(list(enumerate(REMINDER_AFTER, start=1))):
        due = db.session.scalars(
            select(Order).where(Order.status == OrderStatus.SUBMITTED,
                                Order.reminders_sent < number, Order.submitted_at <= now - after,
                                Order.submitted_at > now - ORDER_LIFETIME))
        for order in list(due):
            claimed = db.session.execute(
                update(Order).where(Order.id == order.id, Order.reminders_sent < number,
                                    Order.status == OrderStatus.SUBMITTED)
                .values(reminders_sent=number).execution_options(synchronize_session=False))
            if rowcount(claimed) != 1:
                continue
            assert order.submitted_at is not None  # a submitted order
            with force_locale(locale):
                queue_mail("activation_reminder", order.company.email, "activation_reminder.txt",
                           order_id=order.id, order=order, company=order.company,
                           link=_activation_link(order), number=number,
                           expires_on=clock.local(order.submitted_at + ORDER_LIFETIME))
            sent += 1
    db.session.flush()
    return sent


def remove_abandoned(now: dt.datetime) -> int:
    """Drafts nobody touched for 30 days are deleted (an order that was sent is kept), with
    the login and reset counters whose windows are over."""
    from . import throttle

    removed = rowcount(db.session.execute(
        delete(Order).where(Order.status == OrderStatus.DRAFT,
                            Order.updated_at <= now - DRAFT_LIFETIME)
        .execution_options(synchronize_session=False)))
    throttle.remove_expired(now)
    return removed


def expire_orders(now: dt.datetime) -> int:
    """Expire orders not activated within 30 days; nothing of them can be used."""
    due = list(db.session.scalars(select(Order.id).where(
        Order.status == OrderStatus.SUBMITTED, Order.submitted_at <= now - ORDER_LIFETIME)))
    expired = 0
    for order_id in due:
        result = db.session.execute(
            update(Order).where(Order.id == order_id, Order.status == OrderStatus.SUBMITTED)
            .values(status=step(OrderStatus.SUBMITTED, OrderStatus.EXPIRED), expired_at=now)
            .execution_options(synchronize_session=False))
        if rowcount(result) == 1:
            order = db.session.get_one(Order, order_id)
            db.session.execute(update(LicenceSubscription)
                               .where(LicenceSubscription.agreement_id == order.agreement_id,
                                      LicenceSubscription.status == LicenceStatus.PENDING)
                               .values(status=step(LicenceStatus.PENDING,
                                                   LicenceStatus.EXPIRED)))
            expired += 1
    db.session.flush()
    return expired
