"""Payments (by KID, by hand or from a bank file) and the dunning chain."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from .. import clock
from ..database import rowcount
from ..domain.refusals import Refusal
from ..domain.statuses import ClaimStatus, LicenceStatus, PaymentStatus, move, step
from ..extensions import db
from ..mail import queue_mail
from ..models import AvtaleGiroClaim, DunningEvent, Invoice, LicenceSubscription, Payment
from .avtalegiro import STANDING
from .billing import LICENCE_INVOICE

STAGE_REMINDER, STAGE_WARNING, STAGE_HANDED_OVER = 1, 2, 3
# The vendor's licence invoices (billed to agreements); a company's own sales invoices to its
# customers are its business, not the vendor's to collect.


class PaymentError(Refusal):
    """A payment that cannot be registered, with the reason (the amount's field)."""

    def __init__(self, message: str):
        super().__init__("refused", "amount", message)


# No amount typed in Kvitt comes near this; a larger one is a typing error (or an attack).
MAX_AMOUNT_ORE = 100_000_000_00


def parse_amount(text: str) -> int:
    """'1 234,50', '1234.50' or '1234' kroner → øre; refuses anything else."""
    cleaned = re.sub(r"[\s\u00a0]", "", text or "").replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", cleaned):
        raise PaymentError(_("Write the amount in kroner, like 1234,50."))
    try:
        ore = int(Decimal(cleaned) * 100)
    except InvalidOperation:
        raise PaymentError(_("Write the amount in kroner, like 1234,50.")) from None
    if ore <= 0:
        raise PaymentError(_("The amount must be more than zero."))
    if ore > MAX_AMOUNT_ORE:
        raise PaymentError(_("At most 100 000 000 kroner."))
    return ore


def invoice_by_kid(kid: str) -> Invoice | None:
    return db.session.scalar(select(Invoice).where(Invoice.kid == kid.strip(),
                                                   Invoice.kind == "invoice", LICENCE_INVOICE))


def register_payment(kid: str, amount_ore: int, paid_on: dt.date, now: dt.datetime, *,
                     source: str = "manual", reference: str | None = None,
                     user_id: int | None = None) -> Payment:
    """Record a payment; matched to the invoice with this KID, otherwise kept as unmatched."""
    if reference and db.session.scalar(select(Payment.id).where(Payment.reference == reference)):
        raise PaymentError(_("A payment with reference %(ref)s is already registered.",
                             ref=reference))
    invoice = invoice_by_kid(kid) if kid else None
    payment = Payment(amount_ore=amount_ore, paid_on=paid_on, kid=(kid or "").strip() or None,
                      invoice_id=invoice.id if invoice else None,
                      status=PaymentStatus.MATCHED if invoice else PaymentStatus.UNMATCHED,
                      source=source,
                      reference=reference, registered_by=user_id, created_at=now)
    db.session.add(payment)
    if invoice is not None:
        payment.outcome = _apply(invoice, amount_ore)
    db.session.flush()
    return payment


def invoice_payments(invoice_id: int) -> list[Payment]:
    """An invoice's payments, oldest first (its payment history)."""
    return list(db.session.scalars(select(Payment).where(Payment.invoice_id == invoice_id)
                                   .order_by(Payment.paid_on, Payment.id)))


def match_payment(payment: Payment, invoice: Invoice) -> None:
    """Match an unmatched payment to an invoice chosen by the operator."""
    if payment.status != PaymentStatus.UNMATCHED:
        raise PaymentError(_("This payment is already matched."))
    payment.invoice_id = invoice.id
    move(payment, PaymentStatus.MATCHED)
    payment.outcome = _apply(invoice, payment.amount_ore)
    db.session.flush()


def _apply(invoice: Invoice, amount_ore: int) -> str:
    """Add the payment to the invoice; returns what it did: 'full', 'partial' or 'over'."""
    owed = invoice.open_ore
    db.session.execute(update(Invoice).where(Invoice.id == invoice.id)
                       .values(paid_ore=Invoice.paid_ore + amount_ore)
                       .execution_options(synchronize_session=False))
    db.session.refresh(invoice)
    if invoice.open_ore == 0:
        lift_suspensions([invoice.id])
    return payment_outcome(amount_ore, owed)


def payment_outcome(amount_ore: int, owed_ore: int) -> str:
    """What a payment does to what the invoice owed: 'full', 'partial' or 'over'."""
    return "full" if amount_ore == owed_ore else "partial" if amount_ore < owed_ore else "over"


def lift_suspensions(paid_invoice_ids: list[int]) -> None:
    """Access comes back once nothing handed over to debt collection is unpaid (the invoices
    given have just been paid in full)."""
    subscriptions: set[int] = set(db.session.scalars(select(Invoice.subscription_id).where(
        Invoice.id.in_(paid_invoice_ids), Invoice.subscription_id.is_not(None),
        Invoice.handed_over_at.is_not(None))))
    for subscription_id in sorted(subscriptions):
        still_open = [i for i in db.session.scalars(
            select(Invoice).where(Invoice.subscription_id == subscription_id,
                                  Invoice.handed_over_at.is_not(None))) if i.open_ore > 0]
        if not still_open:
            db.session.execute(update(LicenceSubscription)
                               .where(LicenceSubscription.id == subscription_id,
                                      LicenceSubscription.status == LicenceStatus.SUSPENDED)
                               .values(status=step(LicenceStatus.SUSPENDED, LicenceStatus.ACTIVE),
                                       suspended_at=None))


# --- dunning -----------------------------------------------------------------------------

def _settings() -> tuple[int, int, int]:
    config = current_app.config
    return (config["DUNNING_REMINDER_AFTER_DAYS"], config["DUNNING_DEADLINE_DAYS"],
            config["DUNNING_STEP_AFTER_DAYS"])


def run_dunning(now: dt.datetime) -> int:
    """R-BILL-5: reminder after the due date with a new deadline, then a debt collection
    warning, then suspension of access and hand-over. A dialogue pauses the chain."""
    today = clock.local(now).date()
    reminder_after, deadline_days, step_after = _settings()
    candidates = db.session.scalars(
        select(Invoice).where(Invoice.kind == "invoice", LICENCE_INVOICE,
                              Invoice.in_dialogue.is_(False),
                              Invoice.handed_over_at.is_(None),
                              Invoice.paid_ore + Invoice.credited_ore < Invoice.total_ore,
                              Invoice.due_date < today - dt.timedelta(days=reminder_after - 1))
        .order_by(Invoice.id)).all()
    claims = _latest_claims([invoice.id for invoice in candidates])
    steps = 0
    for invoice in candidates:
        stage = invoice.dunning_stage
        claim = claims.get(invoice.id)
        if claim is not None and claim.status in STANDING:
            continue  # the AvtaleGiro debit is still to come
        if claim is not None and claim.status == ClaimStatus.FAILED:
            reminder_due = today > claim.failed_on  # the day after the failed debit
        else:
            reminder_due = today > invoice.due_date + dt.timedelta(days=reminder_after - 1)
        if stage == 0 and reminder_due:
            next_stage = STAGE_REMINDER
        elif stage in (STAGE_REMINDER, STAGE_WARNING) and invoice.dunning_deadline and \
                today >= invoice.dunning_deadline + dt.timedelta(days=step_after):
            next_stage = stage + 1
        else:
            continue
        deadline = today + dt.timedelta(days=deadline_days) if next_stage < 3 else None
        moved = db.session.execute(
            update(Invoice).where(Invoice.id == invoice.id, Invoice.dunning_stage == stage)
            .values(dunning_stage=next_stage, dunning_deadline=deadline,
                    handed_over_at=now if next_stage == STAGE_HANDED_OVER else None)
            .execution_options(synchronize_session=False))
        if rowcount(moved) != 1:
            continue
        db.session.add(DunningEvent(invoice_id=invoice.id, stage=next_stage, deadline=deadline,
                                    created_at=now))
        db.session.refresh(invoice)
        if next_stage == STAGE_HANDED_OVER and invoice.subscription_id:
            db.session.execute(update(LicenceSubscription)
                               .where(LicenceSubscription.id == invoice.subscription_id,
                                      LicenceSubscription.status == LicenceStatus.ACTIVE)
                               .values(status=step(LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED),
                                       suspended_at=now))
        with force_locale("nb"):
            queue_mail(f"dunning_{next_stage}", invoice.buyer_email, "dunning.txt",
                       invoice=invoice, stage=next_stage)
        steps += 1
    db.session.flush()
    return steps


def _latest_claims(invoice_ids: list[int]) -> dict:
    """Each invoice's latest AvtaleGiro claim (status and the day it failed)."""
    found = {}
    for start in range(0, len(invoice_ids), 1000):
        for row in db.session.execute(
                select(AvtaleGiroClaim.invoice_id, AvtaleGiroClaim.status,
                       AvtaleGiroClaim.failed_on)
                .where(AvtaleGiroClaim.invoice_id.in_(invoice_ids[start:start + 1000]))
                .order_by(AvtaleGiroClaim.id)):
            found[row.invoice_id] = row
    return found


def set_dialogue(invoice: Invoice, in_dialogue: bool) -> None:
    """An operator in dialogue with the customer pauses the chain (and resumes it)."""
    invoice.in_dialogue = in_dialogue
    db.session.flush()


def debt_collection_rows() -> list[Invoice]:
    return list(db.session.scalars(select(Invoice).where(Invoice.handed_over_at.is_not(None))
                                   .order_by(Invoice.handed_over_at)))
