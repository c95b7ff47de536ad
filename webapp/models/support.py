"""Support requests from customers and the vendor's answers (R-SUPPORT-1)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.support import SupportCategory, SupportStatus
from ..extensions import Model
from .types import UTCDateTime, status_check, status_type

_CATEGORIES = ",".join(f"'{c.value}'" for c in SupportCategory)


class SupportRequest(Model):
    __tablename__ = "support_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    # A customer's user asks from the portal; a visitor (not a customer yet) asks for a quote
    # with its own contact details.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    visitor_name: Mapped[str | None] = mapped_column(String(120))
    visitor_email: Mapped[str | None] = mapped_column(String(320))
    visitor_phone: Mapped[str | None] = mapped_column(String(30))
    visitor_company: Mapped[str | None] = mapped_column(String(120))
    visitor_organisation_number: Mapped[str | None] = mapped_column(String(9))
    category: Mapped[str] = mapped_column(String(12))
    status: Mapped[SupportStatus] = mapped_column(status_type(SupportStatus, 12),
                                                  default=SupportStatus.NEW)
    # Where the customer was when it asked (the page's path), for the operator.
    page: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    company = relationship("Company")
    user = relationship("User")
    messages: Mapped[list[SupportMessage]] = relationship(
        back_populates="request", order_by="SupportMessage.id", cascade="all, delete-orphan")

    __table_args__ = (
        status_check(SupportStatus, "ck_support_request_status"),
        CheckConstraint(f"category in ({_CATEGORIES})", name="ck_support_request_category"),
        CheckConstraint("(user_id is not null and company_id is not null) or "
                        "(visitor_email is not null and visitor_name is not null)",
                        name="ck_support_request_asker"),
        Index("ix_support_request_status", "status", "updated_at"),
        Index("ix_support_request_company", "company_id"),
    )


    @property
    def reply_to(self) -> str | None:
        """Where answers go: the user's address, or the visitor's."""
        return self.user.email if self.user is not None else self.visitor_email

    @property
    def asker_name(self) -> str:
        return self.user.full_name if self.user is not None else self.visitor_name or ""

    @property
    def asker_first_name(self) -> str:
        if self.user is not None:
            return self.user.first_name
        return (self.visitor_name or "").split(" ")[0]


class SupportMessage(Model):
    __tablename__ = "support_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # none: a visitor
    from_vendor: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    request: Mapped[SupportRequest] = relationship(back_populates="messages")
    author = relationship("User")

    __table_args__ = (Index("ix_support_message_request", "request_id"),)
