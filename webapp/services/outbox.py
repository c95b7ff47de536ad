"""The e-mail outbox's delivery: mails queued by `webapp.mail` in their caller's transaction are
sent later over SMTP with retries, each invoice with its PDF or EHF."""
from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import urlparse

from flask import current_app
from sqlalchemy import or_, select, update

from .. import clock
from ..database import read_intent, writing
from ..domain.statuses import MailStatus, move, step
from ..extensions import db
from ..mail import header_text
from ..models import OutboxMail

# Transient failures (the server away, 4xx answers) are retried for ever, backing off to an
# hour; a mail that cannot be built or that the server refuses for good (5xx) is parked.
BACKOFF_CEILING = dt.timedelta(hours=1)

log = logging.getLogger(__name__)


def _backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=2 ** min(attempts, 10)), BACKOFF_CEILING)


def claim_batch(now: dt.datetime, limit: int, token: str, lease: dt.timedelta) -> list[int]:
    """Lease up to `limit` due messages to one delivery run in one statement, so no other
    process sends them while the lease lasts (PostgreSQL skips rows another claim holds;
    SQLite claims under its write lock)."""
    due = (
        select(OutboxMail.id)
        .where(or_(
            (OutboxMail.status == MailStatus.PENDING) & (OutboxMail.next_attempt_at <= now),
            (OutboxMail.status == MailStatus.SENDING) & (OutboxMail.lease_until < now),
        ))
        .order_by(OutboxMail.id).limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    with writing():
        ids = list(db.session.scalars(
            update(OutboxMail).where(OutboxMail.id.in_(due.scalar_subquery()))
            .values(status=step((MailStatus.PENDING, MailStatus.SENDING), MailStatus.SENDING),
                    lease_until=now + lease, claim_token=token)
            .returning(OutboxMail.id)))
    return sorted(ids)


def _smtp(mail_url: str) -> smtplib.SMTP:
    url = urlparse(mail_url)
    port = url.port or (465 if url.scheme == "smtps" else 25)
    host = url.hostname or "localhost"
    connection: smtplib.SMTP
    if url.scheme == "smtps":
        connection = smtplib.SMTP_SSL(host, port, timeout=20)
    else:
        connection = smtplib.SMTP(host, port, timeout=20)
        if url.scheme == "smtp+starttls":
            connection.starttls()
    if url.username:
        connection.login(url.username, url.password or "")
    return connection


def _message(mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = mail.to_address
    message["Subject"] = header_text(mail.subject)
    message["Message-ID"] = mail.message_id
    message["Date"] = formatdate(mail.created_at.timestamp(), localtime=False)
    message.set_content(mail.body_text)
    if mail.invoice_id is not None:
        from ..models import Invoice
        from .ehf import ehf_filename, invoice_files, send_ehf

        invoice = db.session.get_one(Invoice, mail.invoice_id)
        document, pdf, xml = invoice_files(invoice)
        if invoice.delivery in ("email", "both") or xml is None:
            message.add_attachment(pdf, maintype="application", subtype="pdf",
                                   filename=ehf_filename(document).replace(".xml", ".pdf"))
        if invoice.delivery in ("ehf", "both") and xml is not None:
            send_ehf(document, xml, message)
    return message


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer for this message or its recipient; a refused login is the setup's fault
    and is retried like an outage."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


class _Delivery:
    """One delivery run: claims batches, reuses one SMTP connection, renews its lease while
    it works, and records each batch's outcomes in one short write."""

    def __init__(self, mail_url: str) -> None:
        config = current_app.config
        self.mail_url = mail_url
        self.sender = parseaddr(config["MAIL_FROM"])[1]
        self.batch_size = config["MAIL_BATCH_SIZE"]
        self.lease = dt.timedelta(seconds=config["MAIL_LEASE_SECONDS"])
        self.connection: smtplib.SMTP | None = None
        self.sent = 0

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None

    def _renew(self, token: str) -> None:
        with writing():
            db.session.execute(
                update(OutboxMail)
                .where(OutboxMail.claim_token == token,
                       OutboxMail.status == MailStatus.SENDING)
                .values(lease_until=clock.now() + self.lease))

    def _send(self, message: EmailMessage, to_address: str) -> None:
        if self.connection is None:
            self.connection = _smtp(self.mail_url)
        try:
            self.connection.send_message(message, from_addr=self.sender, to_addrs=[to_address])
        except (smtplib.SMTPServerDisconnected, OSError):
            self.connection = None
            raise

    def batch(self, token: str, ids: list[int]) -> None:
        """Build the claimed messages in one read, then send them with nothing held."""
        outcomes: dict[int, tuple[str, str | None]] = {}
        ready = []
        for mail in db.session.scalars(select(OutboxMail).where(OutboxMail.id.in_(ids))
                                       .order_by(OutboxMail.id)):
            try:
                ready.append((mail.id, mail.to_address, _message(mail)))
            except Exception as error:  # the message cannot be built: park it on its own
                log.warning("mail %s parked: %s", mail.id, error)
                outcomes[mail.id] = ("parked", f"cannot be built: {type(error).__name__}: "
                                               f"{error}"[:2000])
        db.session.rollback()  # end the read
        renew_at = time.monotonic() + self.lease.total_seconds() / 3
        for mail_id, to_address, message in ready:
            if time.monotonic() >= renew_at:
                self._renew(token)
                renew_at = time.monotonic() + self.lease.total_seconds() / 3
            try:
                self._send(message, to_address)
            except (smtplib.SMTPException, OSError) as error:
                kind = "parked" if _is_permanent(error) else "retry"
                outcomes[mail_id] = (kind, f"{type(error).__name__}: {error}"[:2000])
            else:
                outcomes[mail_id] = ("sent", None)
                self.sent += 1
        self._record(token, outcomes)

    def _record(self, token: str, outcomes: dict[int, tuple[str, str | None]]) -> None:
        with writing():
            now = clock.now()
            mails = db.session.scalars(select(OutboxMail).where(
                OutboxMail.id.in_(outcomes), OutboxMail.claim_token == token,
                OutboxMail.status == MailStatus.SENDING)).all()
            for mail in mails:
                kind, error = outcomes[mail.id]
                mail.attempts += 1
                mail.lease_until = mail.claim_token = None
                mail.last_error = error
                if kind == "sent":
                    move(mail, MailStatus.SENT)
                    mail.sent_at = now
                elif kind == "parked":
                    move(mail, MailStatus.FAILED)
                else:
                    move(mail, MailStatus.PENDING)
                    mail.next_attempt_at = now + _backoff(mail.attempts)


def deliver_outbox(now: dt.datetime) -> int:
    """Send due messages over SMTP (MAIL_URL) in batches until the outbox is empty or the run's
    time budget is spent; without SMTP they stay readable in the outbox."""
    mail_url = current_app.config.get("MAIL_URL")
    db.session.commit()  # this job keeps its writes short: no lock is held while sending
    if not mail_url:
        return 0
    deadline = time.monotonic() + current_app.config["MAIL_TIME_BUDGET_SECONDS"]
    delivery = _Delivery(mail_url)
    try:
        with read_intent():
            while time.monotonic() < deadline:
                token = uuid.uuid4().hex
                ids = claim_batch(clock.now(), delivery.batch_size, token, delivery.lease)
                if not ids:
                    break
                delivery.batch(token, ids)
    finally:
        delivery.close()
    return delivery.sent


def parked_mail(limit: int = 100) -> list[OutboxMail]:
    return list(db.session.scalars(
        select(OutboxMail).where(OutboxMail.status == MailStatus.FAILED)
        .order_by(OutboxMail.id.desc()).limit(limit)))


def retry_failed(mail_id: int, now: dt.datetime) -> bool:
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None or mail.status != MailStatus.FAILED:
        return False
    move(mail, MailStatus.PENDING)
    mail.next_attempt_at, mail.attempts = now, 0
    return True


# Links whose last part is a secret: whoever follows one sets a password or approves.
_SECRET_LINK = re.compile(r"(/(?:password/set|activate|collaboration/approve)/)[^\s/]+")


def hide_link_secrets(text: str) -> str:
    return _SECRET_LINK.sub(lambda match: match.group(1) + "•••", text)
