"""Company moves between agreements, company drafts, and partner collaboration."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.statuses import CollaborationStatus
from ..extensions import Model
from .types import UTCDateTime, status_check, status_type


class CompanyMove(Model):
    """R-AGR-4: a company moved from one agreement to another, counted from `moved_on`."""

    __tablename__ = "company_move"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    from_agreement_id: Mapped[int] = mapped_column(ForeignKey("customer_agreement.id"))
    to_agreement_id: Mapped[int] = mapped_column(ForeignKey("customer_agreement.id"))
    moved_on: Mapped[dt.date] = mapped_column()
    moved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    moved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    company = relationship("Company")
    from_agreement = relationship("CustomerAgreement", foreign_keys=[from_agreement_id])
    to_agreement = relationship("CustomerAgreement", foreign_keys=[to_agreement_id])
    moved_by = relationship("User")

    __table_args__ = (
        Index("ix_company_move_from", "from_agreement_id"),
        Index("ix_company_move_to", "to_agreement_id"),
    )


class CompanyDraft(Model):
    """R-AGR-2: the new-company wizard of an agreement, kept as typed until completed."""

    __tablename__ = "company_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("customer_agreement.id"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))

    agreement = relationship("CustomerAgreement")


class PartnerClient(Model):
    """A client in an accounting firm's client list (linked to a Kvitt company when known)."""

    __tablename__ = "partner_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    name: Mapped[str] = mapped_column(String(120))
    organisation_number: Mapped[str] = mapped_column(String(9))
    email: Mapped[str] = mapped_column(String(320))
    customer_number: Mapped[str | None] = mapped_column(String(30))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    company = relationship("Company", foreign_keys=[company_id])
    assignments: Mapped[list[Assignment]] = relationship(back_populates="client",
                                                         order_by="Assignment.id")

    __table_args__ = (
        UniqueConstraint("partner_company_id", "organisation_number",
                         name="uq_partner_client_org"),
    )


class Assignment(Model):
    """A piece of work the firm does for a client (R-COLLAB-1: needed before activating)."""

    __tablename__ = "assignment"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("partner_client.id"))
    title: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    client: Mapped[PartnerClient] = relationship(back_populates="assignments")




class Collaboration(Model):
    """Partner × client × Kvitt Regnskap variant × invoice recipient × agreement period."""

    __tablename__ = "collaboration"
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("partner_client.id"))
    client_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"))
    scenario: Mapped[str] = mapped_column(String(12))
    variant_code: Mapped[str] = mapped_column(ForeignKey("catalog_item.code"))
    invoice_recipient: Mapped[str] = mapped_column(String(10))
    period_months: Mapped[int] = mapped_column()
    status: Mapped[CollaborationStatus] = mapped_column(
        status_type(CollaborationStatus, 10), default=CollaborationStatus.INVITED)
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    invited_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Changes that take effect at the next renewal.
    next_variant_code: Mapped[str | None] = mapped_column(String(40))
    next_invoice_recipient: Mapped[str | None] = mapped_column(String(10))
    # The Kvitt Regnskap subscription the collaboration works in (billing follows it).
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("licence_subscription.id"))
    # The subscription was started by this collaboration (not one the client already had).
    started_subscription: Mapped[bool] = mapped_column(default=False)
    # Seed 004: the firm's users share the client's company in this group of the client's
    # (by key; "accountant" is made on approval when the client has none).
    access_group_key: Mapped[str] = mapped_column(String(20), default="accountant",
                                                  server_default="accountant")
    # Who approved, under which version of the terms, and who ended it.
    approved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    terms_version: Mapped[str | None] = mapped_column(String(20))
    ended_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    partner = relationship("Company", foreign_keys=[partner_company_id])
    client_company = relationship("Company", foreign_keys=[client_company_id])
    client: Mapped[PartnerClient] = relationship()
    assignment: Mapped[Assignment] = relationship()
    subscription = relationship("LicenceSubscription")
    members: Mapped[list[CollaborationMember]] = relationship(
        order_by="CollaborationMember.id", cascade="all, delete-orphan")
    approved_by = relationship("User", foreign_keys=[approved_by_user_id])

    __table_args__ = (
        status_check(CollaborationStatus, "ck_collaboration_status"),
        CheckConstraint("scenario in ('existing','new_service','new_client')",
                        name="ck_collaboration_scenario"),
        CheckConstraint("invoice_recipient in ('client','partner')",
                        name="ck_collaboration_recipient"),
        CheckConstraint("period_months in (3, 12)", name="ck_collaboration_period"),
        Index("ix_collaboration_partner", "partner_company_id", "status"),
    )


class CollaborationMember(Model):
    """A user of the firm who works in the client's company while the collaboration lasts."""

    __tablename__ = "collaboration_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    collaboration_id: Mapped[int] = mapped_column(ForeignKey("collaboration.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))

    user = relationship("User")

    __table_args__ = (
        UniqueConstraint("collaboration_id", "user_id", name="uq_collaboration_member"),
    )
