"""E-mails: every mail is composed here from its template (the first line is the subject)
and queued in the outbox in the caller's transaction; `services.outbox` delivers it later.
Services say which mail, to whom, with what; links in it come from `webapp.links`."""
from __future__ import annotations

import datetime as dt
import re
import uuid

from flask import render_template

from . import clock
from .domain.statuses import MailStatus
from .extensions import db
from .models import OutboxMail

_UNSAFE_IN_HEADER = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def header_text(value: str) -> str:
    """A header value the e-mail library accepts: control characters and line or paragraph
    separators become one space."""
    return " ".join(_UNSAFE_IN_HEADER.sub(" ", value).split())


def queue_mail(kind: str, to_address: str, template: str, order_id: int | None = None,
               invoice_id: int | None = None, now: dt.datetime | None = None,
               flush: bool = True, **context) -> OutboxMail:
    """Render an e-mail (first line of the template is the subject) and add it to the outbox
    (an invoice's PDF is attached when it is delivered). `flush=False` leaves the insert to
    the caller's next flush, for many mails at once."""
    rendered = render_template(f"mail/{template}", **context).strip()
    subject, _, body = rendered.partition("\n")
    now = now or clock.now()
    mail = OutboxMail(
        message_id=f"<{uuid.uuid4()}@kvitt>", kind=kind, to_address=to_address,
        subject=header_text(subject)[:300], body_text=body.strip() + "\n",
        status=MailStatus.PENDING, attempts=0, created_at=now, next_attempt_at=now,
        order_id=order_id, invoice_id=invoice_id,
    )
    db.session.add(mail)
    if flush:
        db.session.flush()
    return mail
