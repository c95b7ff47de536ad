"""The clock setting, the e-mail outbox and single-use action tokens."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.statuses import MailStatus
from ..extensions import Model
from .types import UTCDateTime, status_check, status_type


class ClockSetting(Model):
    __tablename__ = "clock_setting"
    id: Mapped[int] = mapped_column(primary_key=True)
    frozen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (CheckConstraint("id = 1", name="ck_clock_setting_single_row"),)


class OutboxMail(Model):
    """An e-mail written in the same transaction as the change that caused it."""

    __tablename__ = "outbox_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(status_type(MailStatus, 10),
                                               default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The delivery run that holds the lease; only it may record the outcome.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"))
    # An invoice's PDF is attached when the message is delivered.
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice.id", name="fk_outbox_mail_invoice"))

    __table_args__ = (
        status_check(MailStatus, "ck_outbox_status"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )


class ActionToken(Model):
    """A single-use, expiring token behind a signed link (activation, password)."""

    __tablename__ = "action_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    collaboration_id: Mapped[int | None] = mapped_column(
        ForeignKey("collaboration.id", name="fk_action_token_collaboration"))

    __table_args__ = (
        CheckConstraint("purpose in ('activate','set_password','approve')",
                        name="ck_action_token_purpose"),
    )


class SchedulerTick(Model):
    """One row per scheduler tick (wall-clock slot): the process that inserts it runs the jobs
    of that tick, so however many schedulers run, each tick's jobs run once."""

    __tablename__ = "scheduler_tick"
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    worker: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class JobResult(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"


class JobState(Model):
    """A job's last run as the operator sees it (wall-clock times)."""

    __tablename__ = "job_state"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_duration_ms: Mapped[int | None]
    last_result: Mapped[str | None] = mapped_column(String(10))
    last_count: Mapped[int | None]
    last_run_id: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        CheckConstraint("last_result in ('ok','failed')", name="ck_job_state_result"),
    )


class Throttle(Model):
    """Failed attempts counted per key (a client address, an account typed at login, a user
    asking for reset mails) within a window; shared by every process through the database."""

    __tablename__ = "throttle"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
    window_ends: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class TermsAcceptance(Model):
    """A user accepted a version of the terms of service (R-PLAN-5)."""

    __tablename__ = "terms_acceptance"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("user_id", "version", name="uq_terms_acceptance"),)
