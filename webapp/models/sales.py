"""A company's own sales: its customer register, subscription frequencies and subscriptions."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.recurrence import Pattern, describe
from ..extensions import Model
from .types import UTCDateTime


class Frequency(Model):
    """A recurrence pattern owned by a company (abonnementsfrekvens)."""

    __tablename__ = "frequency"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    name: Mapped[str] = mapped_column(String(120))
    auto_name: Mapped[bool] = mapped_column(default=True)
    kind: Mapped[str] = mapped_column(String(10))
    interval: Mapped[int] = mapped_column(default=1)
    weekdays: Mapped[str] = mapped_column(String(20), default="")  # "0,4": Monday, Friday
    month_day: Mapped[int | None] = mapped_column()
    ordinal: Mapped[int | None] = mapped_column()
    weekday: Mapped[int | None] = mapped_column()
    month: Mapped[int | None] = mapped_column()
    start_date: Mapped[dt.date] = mapped_column()
    count: Mapped[int | None] = mapped_column()
    until: Mapped[dt.date | None] = mapped_column()
    # The next occurrence from today (kept by saves and a daily job, so the list sorts fast).
    next_date: Mapped[dt.date | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    modified_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    modified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def pattern(self) -> Pattern:
        weekdays = tuple(int(d) for d in self.weekdays.split(",") if d != "")
        return Pattern(self.kind, self.start_date, interval=self.interval, weekdays=weekdays,
                       month_day=self.month_day, ordinal=self.ordinal, weekday=self.weekday,
                       month=self.month, count=self.count, until=self.until)

    def display_name(self, locale: str) -> str:
        """The name the user gave, or the name its pattern gives in the reader's language."""
        return describe(self.pattern(), locale) if self.auto_name else self.name

    modified_by = relationship("User", foreign_keys=[modified_by_id])

    __table_args__ = (
        CheckConstraint("kind in ('daily','weekly','monthly','yearly')", name="ck_frequency_kind"),
        CheckConstraint("interval between 1 and 99", name="ck_frequency_interval"),
        CheckConstraint("month_day is null or month_day between 1 and 31",
                        name="ck_frequency_month_day"),
        CheckConstraint("month is null or month between 1 and 12", name="ck_frequency_month"),
        CheckConstraint("until is null or until >= start_date", name="ck_frequency_until"),
        Index("ix_frequency_company_next", "company_id", "active", "next_date"),
    )


class Customer(Model):
    """A company's own customer (the subscribers it invoices)."""

    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    name: Mapped[str] = mapped_column(String(120))
    organisation_number: Mapped[str | None] = mapped_column(String(9))
    email: Mapped[str] = mapped_column(String(320))
    address_line: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(4))
    city: Mapped[str | None] = mapped_column(String(60))
    vat_registered: Mapped[bool] = mapped_column(default=False, server_default="0")
    buyer_reference: Mapped[str | None] = mapped_column(String(60))
    peppol_id: Mapped[str | None] = mapped_column(String(60))
    delivery: Mapped[str] = mapped_column(String(5), default="email", server_default="email")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("company_id", "organisation_number", name="uq_customer_orgnr"),
        Index("ix_customer_company", "company_id", "name"),
    )


class Subscription(Model):
    """Order-basis lines + a frequency + subscribers (abonnement)."""

    __tablename__ = "subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    name: Mapped[str] = mapped_column(String(120))
    frequency_id: Mapped[int] = mapped_column(ForeignKey("frequency.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    frequency: Mapped[Frequency] = relationship()
    lines: Mapped[list[SubscriptionLine]] = relationship(
        back_populates="subscription", order_by="SubscriptionLine.position",
        cascade="all, delete-orphan")
    subscribers: Mapped[list[Subscriber]] = relationship(
        back_populates="subscription", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_subscription_frequency", "frequency_id"),
                      Index("ix_subscription_company", "company_id"))


class SubscriptionLine(Model):
    __tablename__ = "subscription_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"))
    position: Mapped[int] = mapped_column()
    product_text: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column()
    unit_ore: Mapped[int] = mapped_column(BigInteger)
    vat_percent: Mapped[int] = mapped_column(default=25)
    vat_category: Mapped[str] = mapped_column(String(1), default="S", server_default="S")

    subscription: Mapped[Subscription] = relationship(back_populates="lines")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_subscription_line_quantity"),
        CheckConstraint("vat_percent in (0, 12, 15, 25)", name="ck_subscription_line_vat"),
    )


class Subscriber(Model):
    """A customer on a subscription, with an optional end date of its own (R-FREQ-2)."""

    __tablename__ = "subscriber"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    end_date: Mapped[dt.date | None] = mapped_column()
    # R-FREQ-6: invoiced from the first occurrence on or after this day.
    start_date: Mapped[dt.date | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    invoiced_through: Mapped[dt.date | None] = mapped_column()

    subscription: Mapped[Subscription] = relationship(back_populates="subscribers")
    customer: Mapped[Customer] = relationship()

    __table_args__ = (
        UniqueConstraint("subscription_id", "customer_id", name="uq_subscriber"),
    )


class SubscriptionOccurrence(Model):
    """One invoice per subscriber per occurrence, at most (unique), for catching up safely."""

    __tablename__ = "subscription_occurrence"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id"))
    occurs_on: Mapped[dt.date] = mapped_column()
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))

    __table_args__ = (
        UniqueConstraint("subscriber_id", "occurs_on", name="uq_subscription_occurrence"),
    )
