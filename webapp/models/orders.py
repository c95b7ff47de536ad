"""Web-shop orders: the draft kept step by step, then the order waiting for activation."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.statuses import OrderStatus
from ..extensions import Model
from .types import UTCDateTime, status_check, status_type


class Order(Model):
    """The web-shop draft (kept server-side, step by step) and, once confirmed, the order."""

    __tablename__ = "shop_order"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True,
                                           default=lambda: str(uuid.uuid4()))
    status: Mapped[OrderStatus] = mapped_column(status_type(OrderStatus, 10),
                                                default=OrderStatus.DRAFT)
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
        status_check(OrderStatus, "ck_order_status"),
        CheckConstraint("reminders_sent between 0 and 2", name="ck_order_reminders"),
        Index("ix_order_status_submitted", "status", "submitted_at"),
    )
