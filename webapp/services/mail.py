"""The e-mail outbox: queue in the caller's transaction, deliver later over SMTP with retries."""
from __future__ import annotations

import datetime as dt
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import urlparse

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from .. import clock
from ..extensions import db
from ..models import OutboxMail
from ..models.system import MailStatus

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)


def queue_mail(kind: str, to_address: str, template: str, order_id: int | None = None,
               **context) -> OutboxMail:
    """Render an e-mail (first line of the template is the subject) and add it to the outbox."""
    rendered = render_template(f"mail/{template}", **context).strip()
    subject, _, body = rendered.partition("\n")
    now = clock.now()
    mail = OutboxMail(
        message_id=f"<{uuid.uuid4()}@kvitt>", kind=kind, to_address=to_address,
        subject=subject.strip(), body_text=body.strip() + "\n", status=MailStatus.PENDING.value,
        attempts=0, created_at=now, next_attempt_at=now, order_id=order_id,
    )
    db.session.add(mail)
    db.session.flush()
    return mail


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2 ** attempts, 240))


def claim_due_mail(now: dt.datetime, limit: int = 50) -> list[int]:
    """Lease due messages to this worker so no other process sends them at the same time."""
    due = (
        select(OutboxMail.id)
        .where(or_(
            (OutboxMail.status == MailStatus.PENDING.value) & (OutboxMail.next_attempt_at <= now),
            (OutboxMail.status == MailStatus.SENDING.value) & (OutboxMail.lease_until < now),
        ))
        .order_by(OutboxMail.id).limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    claimed = []
    for mail_id in ids:
        # The conditional update makes the claim safe even where SKIP LOCKED does not exist.
        result = db.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id,
                   or_(OutboxMail.status == MailStatus.PENDING.value,
                       (OutboxMail.status == MailStatus.SENDING.value)
                       & (OutboxMail.lease_until < now)))
            .values(status=MailStatus.SENDING.value, lease_until=now + LEASE)
        )
        if result.rowcount == 1:
            claimed.append(mail_id)
    db.session.commit()
    return claimed


def _smtp(mail_url: str) -> smtplib.SMTP:
    url = urlparse(mail_url)
    port = url.port or (465 if url.scheme == "smtps" else 25)
    if url.scheme == "smtps":
        connection = smtplib.SMTP_SSL(url.hostname, port, timeout=20)
    else:
        connection = smtplib.SMTP(url.hostname, port, timeout=20)
        if url.scheme == "smtp+starttls":
            connection.starttls()
    if url.username:
        connection.login(url.username, url.password or "")
    return connection


def _message(mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = formatdate(mail.created_at.timestamp(), localtime=False)
    message.set_content(mail.body_text)
    if mail.invoice_id is not None:
        from ..models import Invoice
        from .ehf import ehf_filename, invoice_files, send_ehf

        invoice = db.session.get(Invoice, mail.invoice_id)
        document, pdf, xml = invoice_files(invoice)
        if invoice.delivery in ("email", "both") or xml is None:
            message.add_attachment(pdf, maintype="application", subtype="pdf",
                                   filename=ehf_filename(document).replace(".xml", ".pdf"))
        if invoice.delivery in ("ehf", "both") and xml is not None:
            send_ehf(document, xml, message)
    return message


def deliver_outbox(now: dt.datetime) -> int:
    """Send due messages over SMTP (MAIL_URL); without SMTP they stay readable in the outbox."""
    mail_url = current_app.config.get("MAIL_URL")
    if not mail_url:
        return 0
    ids = claim_due_mail(now)
    if not ids:
        return 0
    sent = 0
    connection = None
    try:
        for mail_id in ids:
            mail = db.session.get(OutboxMail, mail_id)
            try:
                if connection is None:
                    connection = _smtp(mail_url)
                connection.send_message(_message(mail), from_addr=parseaddr(
                    current_app.config["MAIL_FROM"])[1], to_addrs=[mail.to_address])
            except (smtplib.SMTPException, OSError) as error:
                mail.attempts += 1
                mail.last_error = f"{type(error).__name__}: {error}"[:2000]
                mail.lease_until = None
                if mail.attempts >= MAX_ATTEMPTS:
                    mail.status = MailStatus.FAILED.value
                else:
                    mail.status = MailStatus.PENDING.value
                    mail.next_attempt_at = now + _backoff(mail.attempts)
                if isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
                    connection = None
            else:
                mail.attempts += 1
                mail.status = MailStatus.SENT.value
                mail.sent_at = now
                mail.lease_until = None
                mail.last_error = None
                sent += 1
            db.session.commit()
    finally:
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
    return sent


def retry_failed(mail_id: int, now: dt.datetime) -> bool:
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None or mail.status != MailStatus.FAILED.value:
        return False
    mail.status, mail.next_attempt_at, mail.attempts = MailStatus.PENDING.value, now, 0
    return True
