"""Companies, customer agreements, users, employees, user groups and memberships."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import Model, db
from .types import UTCDateTime

DEFAULT_GROUPS = ("administrators", "privileged", "users", "guests")


def password_method() -> str:
    """How passwords are hashed: werkzeug's scrypt, unless the configuration names another
    (PASSWORD_HASH_METHOD: the test suite's many logins use a cheaper pbkdf2)."""
    return str(current_app.config.get("PASSWORD_HASH_METHOD") or "scrypt")


class Company(Model):
    __tablename__ = "company"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="customer")
    # The number users type at login, shown to them as "customer id"; unique across Kvitt.
    login_id: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    organisation_number: Mapped[str | None] = mapped_column(String(9), unique=True)
    contact_person: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    employee_count: Mapped[int | None] = mapped_column()
    address_line: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(4))
    city: Mapped[str | None] = mapped_column(String(60))
    # The seller on its own invoices (R-DOC-1) and the buyer on Kvitt's.
    vat_registered: Mapped[bool] = mapped_column(default=False, server_default="0")
    # "Foretaksregisteret" on its invoices (limited companies and other registered forms).
    business_register: Mapped[bool] = mapped_column(default=False, server_default="0")
    bank_account: Mapped[str | None] = mapped_column(String(11))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    invoice_email: Mapped[str | None] = mapped_column(String(320))
    payment_terms: Mapped[str | None] = mapped_column(String(300))
    # Closed by an operator (bankrupt, dissolved): nothing more is invoiced, nothing deleted.
    closed_on: Mapped[dt.date | None] = mapped_column()
    closed_reason: Mapped[str | None] = mapped_column(String(200))
    # Companies and agreements refer to each other: this key is added after both tables exist.
    agreement_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_agreement.id", use_alter=True, name="fk_company_agreement"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    agreement: Mapped[CustomerAgreement | None] = relationship(
        back_populates="companies", foreign_keys=[agreement_id]
    )
    groups: Mapped[list[UserGroup]] = relationship(back_populates="company")

    __table_args__ = (
        CheckConstraint("kind in ('customer','partner','vendor')", name="ck_company_kind"),
    )


class CustomerAgreement(Model):
    """The billing account: the vendor bills agreements, not companies."""

    __tablename__ = "customer_agreement"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    customer_number: Mapped[str | None] = mapped_column(String(30))
    owner_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    invoice_recipient_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    invoice_email: Mapped[str] = mapped_column(String(320))
    invoice_address_line: Mapped[str | None] = mapped_column(String(200))
    invoice_postal_code: Mapped[str | None] = mapped_column(String(4))
    invoice_city: Mapped[str | None] = mapped_column(String(60))
    billing_interval: Mapped[str] = mapped_column(ForeignKey("billing_interval.code"))
    # How the licence invoices reach the customer: e-mail with PDF, EHF, or both.
    buyer_reference: Mapped[str | None] = mapped_column(String(60))
    peppol_id: Mapped[str | None] = mapped_column(String(60))
    delivery: Mapped[str] = mapped_column(String(5), default="email", server_default="email")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # R-AGR-3: only an empty agreement is deleted; it is kept (hidden) for its invoices.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    companies: Mapped[list[Company]] = relationship(
        back_populates="agreement", foreign_keys=[Company.agreement_id]
    )
    owner: Mapped[Company] = relationship(foreign_keys=[owner_company_id])


class User(UserMixin, Model):
    """A person who logs in with customer id + username + password."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    username: Mapped[str] = mapped_column(String(40))
    username_key: Mapped[str] = mapped_column(String(40))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # The company's main contact (one of its administrators): told of contract changes.
    is_main_contact: Mapped[bool] = mapped_column(default=False)
    is_operator: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change, logout and deactivation: every older session is refused.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    company: Mapped[Company] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    __table_args__ = (
        UniqueConstraint("company_id", "username_key", name="uq_user_username_per_customer"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_method())
        self.session_version += 1

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash,
                                                                      password)


class Employee(Model):
    """The person record in a company; survives deletion of the user."""

    __tablename__ = "employee"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(320))
    employed: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User | None] = relationship()


class UserGroup(Model):
    __tablename__ = "user_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    key: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    can_admin: Mapped[bool] = mapped_column(default=False)
    can_billing: Mapped[bool] = mapped_column(default=False)
    can_sales: Mapped[bool] = mapped_column(default=False)
    can_reports: Mapped[bool] = mapped_column(default=False)
    can_vouchers: Mapped[bool] = mapped_column(default=False)

    company: Mapped[Company] = relationship(back_populates="groups")

    __table_args__ = (UniqueConstraint("company_id", "key", name="uq_group_key_per_company"),)


class AccessStretch(Model):
    """R-BILL-6: a stretch of one user's access to one company, kept forever: from the day it
    was given to its last day (None while it lasts). Removing access, deactivating or deleting
    the user closes it; access given again opens a new one."""

    __tablename__ = "access_stretch"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    first_day: Mapped[dt.date] = mapped_column()
    last_day: Mapped[dt.date | None] = mapped_column()

    __table_args__ = (Index("ix_access_stretch_company", "company_id"),
                      Index("ix_access_stretch_user", "user_id"))


class Membership(Model):
    """A user's access to one company, in one user group."""

    __tablename__ = "membership"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    user_group_id: Mapped[int] = mapped_column(ForeignKey("user_group.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # The access counts for licences from this day (None: since the user was created) ...
    granted_on: Mapped[dt.date | None] = mapped_column()
    # ... until the day before this one (access removed).
    revoked_on: Mapped[dt.date | None] = mapped_column()

    user: Mapped[User] = relationship(back_populates="memberships")
    company: Mapped[Company] = relationship()
    group: Mapped[UserGroup] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "company_id", name="uq_membership_user_company"),
        Index("ix_membership_company", "company_id"),
    )


def next_login_id() -> str:
    """Allocate the next login id (numeric, from 100001): from a sequence on PostgreSQL,
    so simultaneous orders never take the same one; SQLite writes one at a time."""
    from sqlalchemy import Integer, cast, select, text

    if db.engine.dialect.name == "postgresql":
        return str(db.session.scalar(text("SELECT nextval('kvitt_login_id_seq')")))
    highest = db.session.scalar(select(func.max(cast(Company.login_id, Integer))))
    return str(max(highest or 0, 100000) + 1)
