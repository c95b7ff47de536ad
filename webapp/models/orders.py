"""Web-shop orders (draft and submission) and licence subscriptions."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime

ORDER_STATUSES = ("draft", "submitted", "activated", "expired")


class Order(db.Model):
    """The web-shop draft (kept server-side, step by step) and, once confirmed, the order."""

    __tablename__ = "shop_order"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True,
                                           default=lambda: str(uuid.uuid4()))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    is_trial: Mapped[bool] = mapped_column(default=False)
    # Raw input of each step, exactly as typed, so nothing is lost going back and forth.
    product_data: Mapped[dict] = mapped_column(JSON, default=dict)
    company_data: Mapped[dict] = mapped_column(JSON, default=dict)
    users_data: Mapped[list] = mapped_column(JSON, default=list)
    terms_accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when an administrator of an existing customer buys add-ons only (product "None").
    existing_company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(default=0)
    summary_text: Mapped[str | None] = mapped_column(Text)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("customer_agreement.id"))

    company = relationship("Company", foreign_keys=[company_id])
    agreement = relationship("CustomerAgreement", foreign_keys=[agreement_id])

    __table_args__ = (
        CheckConstraint("status in ('draft','submitted','activated','expired')",
                        name="ck_order_status"),
        CheckConstraint("reminders_sent between 0 and 2", name="ck_order_reminders"),
        Index("ix_order_status_submitted", "status", "submitted_at"),
    )


class LicenceSubscription(db.Model):
    """Agreement × plan × add-ons × quantity × interval."""

    __tablename__ = "licence_subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("customer_agreement.id"))
    plan_code: Mapped[str | None] = mapped_column(ForeignKey("catalog_item.code"))
    quantity: Mapped[int] = mapped_column()
    billing_interval: Mapped[str] = mapped_column(ForeignKey("billing_interval.code"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    # "licence": the agreement's users (Office, eFaktura); "service": a Kvitt Regnskap variant
    # started for a collaboration (one per client company).
    kind: Mapped[str] = mapped_column(String(10), default="licence", server_default="licence")
    # Printed on the invoice lines (which client a service is for).
    label: Mapped[str | None] = mapped_column(String(120))
    is_trial: Mapped[bool] = mapped_column(default=False)
    trial_ends_on: Mapped[dt.date | None] = mapped_column()
    trial_mails_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    activated_on: Mapped[dt.date | None] = mapped_column()
    paid_through: Mapped[dt.date | None] = mapped_column()
    cancel_on: Mapped[dt.date | None] = mapped_column()
    # The last day invoiced so far; the next invoice starts the day after.
    billed_through: Mapped[dt.date | None] = mapped_column()
    # Users beyond the licence are billed afterwards (R-BILL-6) up to and including this day.
    excess_billed_through: Mapped[dt.date | None] = mapped_column()
    # Enterprise terms set by an operator (monthly, øre); otherwise the catalog price.
    custom_monthly_ore: Mapped[int | None] = mapped_column()
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Changes that take effect from the next period (a downgrade, another interval).
    next_plan_code: Mapped[str | None] = mapped_column(String(40))
    next_billing_interval: Mapped[str | None] = mapped_column(String(20))
    # R-PLAN-6: fewer licences from the next period.
    next_quantity: Mapped[int | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    agreement = relationship("CustomerAgreement", backref="licence_subscriptions")
    addons: Mapped[list[SubscriptionAddOn]] = relationship(
        back_populates="subscription", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(
            "status in ('pending','trial','active','suspended','cancelled','deactivated',"
            "'expired')",
            name="ck_licence_status",
        ),
        CheckConstraint("quantity >= 0", name="ck_licence_quantity"),
        Index("ix_licence_billing", "status", "billed_through"),
    )


class PlanChange(db.Model):
    """A subscription's edition or plan changed from a day on: the history that prices each
    day at the plan in force that day (R-BILL-6)."""

    __tablename__ = "plan_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("licence_subscription.id"))
    effective_on: Mapped[dt.date] = mapped_column()
    previous_plan_code: Mapped[str] = mapped_column(String(40))
    plan_code: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_plan_change_subscription", "subscription_id", "effective_on"),)


class QuantityChange(db.Model):
    """R-PLAN-6: a subscription's licence count changed from a day on (more at once, fewer
    from the next period), so each day's users beyond the licence count against the licences
    bought that day."""

    __tablename__ = "quantity_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("licence_subscription.id"))
    effective_on: Mapped[dt.date] = mapped_column()
    previous_quantity: Mapped[int] = mapped_column()
    quantity: Mapped[int] = mapped_column()

    __table_args__ = (
        Index("ix_quantity_change_subscription", "subscription_id", "effective_on"),
        CheckConstraint("quantity >= 1 and previous_quantity >= 1",
                        name="ck_quantity_change_positive"),
    )


class SubscriptionAddOn(db.Model):
    __tablename__ = "subscription_addon"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("licence_subscription.id"))
    addon_code: Mapped[str] = mapped_column(ForeignKey("catalog_item.code"))
    added_on: Mapped[dt.date] = mapped_column()
    # A removed add-on is billed to the end of the paid period, not from this day on.
    removed_from: Mapped[dt.date | None] = mapped_column()

    subscription: Mapped[LicenceSubscription] = relationship(back_populates="addons")
