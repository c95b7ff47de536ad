"""Support requests (R-SUPPORT-1): a customer asks from the portal with a category, its text
and where it was; operators take, answer and close requests in a queue; every answer goes to
the customer by e-mail through the outbox and is read in the portal."""
from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..domain.refusals import Refusal
from ..domain.support import SupportCategory, SupportStatus, SupportTransitionError, after
from ..extensions import db
from ..links import external
from ..mail import queue_mail
from ..models import Company, SupportMessage, SupportRequest, User

TEXT_LIMIT = 5000


class SupportError(Refusal):
    """A refusal of a support request or answer."""

    messages = {
        "no_text": lambda: _("Write what you need, so we can help."),
        "too_long": lambda: _("At most %(max)s characters.", max=TEXT_LIMIT),
        "no_category": lambda: _("Choose what it is about."),
        "closed": lambda: _("This request is closed: send a new one."),
        "not_allowed": lambda: _("This request cannot be changed now."),
    }


def _text(text: str | None) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise SupportError("no_text")
    if len(cleaned) > TEXT_LIMIT:
        raise SupportError("too_long")
    return cleaned


def _move(request: SupportRequest, event: str, now: dt.datetime) -> None:
    try:
        request.status = after(request.status, event)
    except SupportTransitionError:
        raise SupportError("closed" if request.status == SupportStatus.CLOSED else
                           "not_allowed") from None
    request.updated_at = now


def create_request(company: Company, user: User, now: dt.datetime, *, category: str,
                   text: str, page: str | None = None) -> SupportRequest:
    """A new request; the customer gets a receipt by e-mail."""
    if category not in {c.value for c in SupportCategory}:
        raise SupportError("no_category")
    request = SupportRequest(company_id=company.id, user_id=user.id, category=category,
                             status=SupportStatus.NEW, page=(page or "")[:300] or None,
                             created_at=now, updated_at=now)
    request.messages.append(SupportMessage(author_id=user.id, from_vendor=False,
                                           body=_text(text), created_at=now))
    db.session.add(request)
    db.session.flush()
    _receipt(request)
    return request


def create_quote_request(now: dt.datetime, *, name: str, email: str, phone: str,
                         company_name: str, organisation_number: str | None,
                         text: str) -> SupportRequest:
    """R-PLAN-5: a visitor asks for a quote for integrated services (Kvitt eFaktura
    Enterprise); operators answer it by e-mail from the same queue."""
    request = SupportRequest(category=SupportCategory.QUOTE.value,
                             status=SupportStatus.NEW, page="/quote",
                             visitor_name=name.strip(), visitor_email=email.strip(),
                             visitor_phone=phone.strip(), visitor_company=company_name.strip(),
                             visitor_organisation_number=organisation_number or None,
                             created_at=now, updated_at=now)
    request.messages.append(SupportMessage(from_vendor=False, body=_text(text),
                                           created_at=now))
    db.session.add(request)
    db.session.flush()
    _receipt(request)
    return request


def _portal_link(request: SupportRequest) -> str | None:
    """A customer reads the conversation in the portal; a visitor has only its e-mail."""
    if request.user_id is None:
        return None
    return external("portal.support_request", request_id=request.id)


def _receipt(request: SupportRequest) -> None:
    if request.reply_to:
        with force_locale("nb"):
            queue_mail("support_received", request.reply_to, "support_received.txt",
                       request=request, link=_portal_link(request))


def customer_writes(request: SupportRequest, user: User, text: str,
                    now: dt.datetime) -> None:
    """The customer adds to its request (a closed one is done: a new request instead)."""
    body = _text(text)
    _move(request, "customer_writes", now)
    request.messages.append(SupportMessage(author_id=user.id, from_vendor=False, body=body,
                                           created_at=now))
    db.session.flush()


def answer(request: SupportRequest, operator: User, text: str, now: dt.datetime, *,
           close: bool = False) -> None:
    """An operator's answer: it reaches the customer by e-mail and in the portal."""
    body = _text(text)
    _move(request, "close" if close else "answer", now)
    request.messages.append(SupportMessage(author_id=operator.id, from_vendor=True, body=body,
                                           created_at=now))
    db.session.flush()
    if request.reply_to:
        with force_locale("nb"):
            queue_mail("support_answer", request.reply_to, "support_answer.txt",
                       request=request, body=body, link=_portal_link(request))


def take(request: SupportRequest, now: dt.datetime) -> None:
    _move(request, "take", now)
    db.session.flush()


def close(request: SupportRequest, now: dt.datetime) -> None:
    _move(request, "close", now)
    db.session.flush()


def visible_requests(company_id: int, user: User, everyone: bool):
    """The company's requests (an administrator sees all, others their own), newest first."""
    query = select(SupportRequest).where(SupportRequest.company_id == company_id)
    if not everyone:
        query = query.where(SupportRequest.user_id == user.id)
    return query.order_by(SupportRequest.updated_at.desc(), SupportRequest.id.desc())


def queue(status: str | None):
    """The operators' queue: open requests oldest first, or those of one status."""
    query = select(SupportRequest)
    if status in {s.value for s in SupportStatus}:
        query = query.where(SupportRequest.status == status)
    else:
        query = query.where(SupportRequest.status.in_(
            [SupportStatus.NEW, SupportStatus.IN_PROGRESS]))
    return query.order_by(SupportRequest.updated_at, SupportRequest.id)
