"""Licence subscriptions: an agreement's plan, add-ons, licences and interval, with the history
of their changes (what the engine bills each day by)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.statuses import LicenceStatus
from ..extensions import Model
from .types import UTCDateTime, status_check, status_type


class LicenceSubscription(Model):
    """Agreement × plan × add-ons × quantity × interval."""

    __tablename__ = "licence_subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("customer_agreement.id"))
    plan_code: Mapped[str | None] = mapped_column(ForeignKey("catalog_item.code"))
    quantity: Mapped[int] = mapped_column()
    billing_interval: Mapped[str] = mapped_column(ForeignKey("billing_interval.code"))
    status: Mapped[LicenceStatus] = mapped_column(status_type(LicenceStatus, 12),
                                                  default=LicenceStatus.PENDING)
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
        status_check(LicenceStatus, "ck_licence_status"),
        CheckConstraint("quantity >= 0", name="ck_licence_quantity"),
        # The issuing job reads the due subscriptions batch by batch in id order.
        Index("ix_licence_due", "status", "id"),
    )


class PlanChange(Model):
    """A subscription's edition or plan changed from a day on: the history that prices each
    day at the plan in force that day (R-BILL-6)."""

    __tablename__ = "plan_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("licence_subscription.id"))
    effective_on: Mapped[dt.date] = mapped_column()
    previous_plan_code: Mapped[str] = mapped_column(String(40))
    plan_code: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_plan_change_subscription", "subscription_id", "effective_on"),)


class QuantityChange(Model):
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


class SubscriptionAddOn(Model):
    __tablename__ = "subscription_addon"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("licence_subscription.id"))
    addon_code: Mapped[str] = mapped_column(ForeignKey("catalog_item.code"))
    added_on: Mapped[dt.date] = mapped_column()
    # A removed add-on is billed to the end of the paid period, not from this day on.
    removed_from: Mapped[dt.date | None] = mapped_column()

    subscription: Mapped[LicenceSubscription] = relationship(back_populates="addons")
