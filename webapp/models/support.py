"""Support requests from customers and the vendor's answers (R-SUPPORT-1)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.support import SupportCategory, SupportStatus
from ..extensions import db
from .types import UTCDateTime

_STATUSES = ",".join(f"'{s.value}'" for s in SupportStatus)
_CATEGORIES = ",".join(f"'{c.value}'" for c in SupportCategory)


class SupportRequest(db.Model):
    __tablename__ = "support_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    category: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default=SupportStatus.NEW.value)
    # Where the customer was when it asked (the page's path), for the operator.
    page: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    company = relationship("Company")
    user = relationship("User")
    messages: Mapped[list[SupportMessage]] = relationship(
        back_populates="request", order_by="SupportMessage.id", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(f"status in ({_STATUSES})", name="ck_support_request_status"),
        CheckConstraint(f"category in ({_CATEGORIES})", name="ck_support_request_category"),
        Index("ix_support_request_status", "status", "updated_at"),
        Index("ix_support_request_company", "company_id"),
    )


class SupportMessage(db.Model):
    __tablename__ = "support_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    from_vendor: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    request: Mapped[SupportRequest] = relationship(back_populates="messages")
    author = relationship("User")

    __table_args__ = (Index("ix_support_message_request", "request_id"),)
