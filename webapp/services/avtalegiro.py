"""AvtaleGiro: the customer's mandate, claims for its open invoices due after the bank's
cut-off, claim files written with netsgiro (new claims and cancellations of claims for credited
invoices), the bank's confirmation of mandates and the payments that come back in the OCR giro
file. A claim's and a mandate's status move only along their tables in `domain.statuses`."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import netsgiro
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from stdnum.no import kontonr

from .. import clock
from ..domain.billing import kid_for
from ..domain.refusals import Refusal
from ..domain.statuses import ClaimStatus, MandateStatus, move
from ..extensions import db
from ..models import AvtaleGiroClaim, AvtaleGiroFile, AvtaleGiroMandate, CustomerAgreement, Invoice
from .billing import vendor_company

IN_FORCE = (MandateStatus.REQUESTED, MandateStatus.ACTIVE)
# A claim that still stands for its invoice: dunning waits for it, no second claim is made.
STANDING = (ClaimStatus.PENDING, ClaimStatus.SENT)
# A claim that pays or will pay its invoice: the invoice says so and is not claimed again.
CLAIMED = (*STANDING, ClaimStatus.PAID)


class AvtaleGiroError(Refusal):
    """A refusal of a mandate change."""

    messages = {"already": lambda: _("The agreement already has AvtaleGiro.")}


# --- mandates ------------------------------------------------------------------------------

def mandate_kid(agreement_id: int) -> str:
    """The KID that identifies the customer's mandate at the bank: 11 digits starting with 8,
    so it is never an invoice's KID (10 digits)."""
    return kid_for(int("8" + str(agreement_id).zfill(9)), length=11)


def agreement_of_kid(kid: str) -> int | None:
    if len(kid) == 11 and kid.startswith("8") and kid == mandate_kid(int(kid[1:10])):
        return int(kid[1:10])
    return None


def vendor_account() -> str:
    """The account the debits go to, as the customer types it in the online bank."""
    account = vendor_company().bank_account or ""
    return kontonr.format(account) if kontonr.is_valid(account) else account


def mandate_in_force(agreement_id: int) -> AvtaleGiroMandate | None:
    return db.session.scalar(select(AvtaleGiroMandate).where(
        AvtaleGiroMandate.agreement_id == agreement_id,
        AvtaleGiroMandate.status.in_(IN_FORCE)))


def request_mandate(agreement: CustomerAgreement, now: dt.datetime, *, limit_ore: int | None,
                    notify: bool, user_id: int | None) -> AvtaleGiroMandate:
    """The customer asks for AvtaleGiro in the portal: the mandate waits for the bank."""
    if mandate_in_force(agreement.id) is not None:
        raise AvtaleGiroError("already")
    mandate = AvtaleGiroMandate(agreement_id=agreement.id, kid=mandate_kid(agreement.id),
                                status=MandateStatus.REQUESTED, limit_ore=limit_ore, notify=notify,
                                source="portal", requested_by=user_id, created_at=now)
    db.session.add(mandate)
    db.session.flush()
    return mandate


def activate(agreement_id: int, now: dt.datetime, source: str) -> AvtaleGiroMandate:
    """The bank confirmed the mandate (or the operator registers it by hand)."""
    mandate = mandate_in_force(agreement_id)
    if mandate is None:
        mandate = AvtaleGiroMandate(agreement_id=agreement_id, kid=mandate_kid(agreement_id),
                                    status=MandateStatus.REQUESTED, notify=True, source=source,
                                    created_at=now)
        db.session.add(mandate)
    if mandate.status == MandateStatus.REQUESTED:
        move(mandate, MandateStatus.ACTIVE)
        mandate.activated_at = now
    db.session.flush()
    return mandate


def cancel_mandate(mandate: AvtaleGiroMandate, now: dt.datetime) -> None:
    """No more claims; those not yet due are cancelled (sent ones at the bank too)."""
    move(mandate, MandateStatus.CANCELLED)
    mandate.cancelled_at = now
    for claim in db.session.scalars(select(AvtaleGiroClaim).where(
            AvtaleGiroClaim.mandate_id == mandate.id,
            AvtaleGiroClaim.status.in_(STANDING))):
        withdraw(claim)
    db.session.flush()


def apply_bank_agreements(agreements, now: dt.datetime) -> int:
    """Mandate registrations from the bank (an OCR giro AvtaleGiro agreements assignment):
    new or updated ones become active, deleted ones end. KIDs that are not Kvitt's mandate
    KIDs are ignored. Returns how many mandates changed."""
    changed = 0
    deleted = netsgiro.AvtaleGiroRegistrationType.DELETED_AGREEMENT
    for agreement in agreements:
        agreement_id = agreement_of_kid((agreement.kid or "").strip())
        if agreement_id is None or db.session.get(CustomerAgreement, agreement_id) is None:
            continue
        mandate = mandate_in_force(agreement_id)
        if agreement.registration_type == deleted:
            if mandate is not None:
                cancel_mandate(mandate, now)
                changed += 1
        elif mandate is None or mandate.status != MandateStatus.ACTIVE:
            activate(agreement_id, now, "bank")
            changed += 1
    return changed


# --- claims --------------------------------------------------------------------------------

def withdraw(claim: AvtaleGiroClaim) -> None:
    """A claim no longer owed: never sent, it is dropped; sent, a cancellation goes to the
    bank in the next file."""
    move(claim, ClaimStatus.CANCELLED if claim.status == ClaimStatus.PENDING
         else ClaimStatus.CANCELLING)


def invoice_credited(invoice: Invoice) -> None:
    """A credited invoice's standing claim is withdrawn; what is still open is claimed anew
    by the next run (if its due date is still after the cut-off)."""
    for claim in db.session.scalars(select(AvtaleGiroClaim).where(
            AvtaleGiroClaim.invoice_id == invoice.id, AvtaleGiroClaim.status.in_(STANDING))):
        withdraw(claim)
    db.session.flush()


def standing_claim(invoice_id: int) -> AvtaleGiroClaim | None:
    return db.session.scalar(select(AvtaleGiroClaim).where(
        AvtaleGiroClaim.invoice_id == invoice_id,
        AvtaleGiroClaim.status.in_(CLAIMED)).order_by(AvtaleGiroClaim.id.desc()))


def create_claims(today: dt.date, now: dt.datetime) -> int:
    """A claim for each open invoice of an agreement with an active mandate, due after the
    bank's cut-off and within the mandate's limit, not claimed already."""
    cutoff = today + dt.timedelta(days=current_app.config["AVTALEGIRO_CUTOFF_DAYS"])
    claimed = select(AvtaleGiroClaim.id).where(
        AvtaleGiroClaim.invoice_id == Invoice.id,
        AvtaleGiroClaim.status.in_(CLAIMED))
    rows = db.session.execute(
        select(Invoice, AvtaleGiroMandate)
        .join(AvtaleGiroMandate, AvtaleGiroMandate.agreement_id == Invoice.agreement_id)
        .where(AvtaleGiroMandate.status == MandateStatus.ACTIVE, Invoice.kind == "invoice",
               Invoice.due_date >= cutoff, Invoice.handed_over_at.is_(None),
               Invoice.paid_ore + Invoice.credited_ore < Invoice.total_ore,
               ~claimed.exists())
        .order_by(Invoice.id)).all()
    count = 0
    for invoice, mandate in rows:
        amount = invoice.open_ore
        if mandate.limit_ore is not None and amount > mandate.limit_ore:
            continue  # above the customer's limit: paid the ordinary way
        db.session.add(AvtaleGiroClaim(invoice_id=invoice.id, mandate_id=mandate.id,
                                       amount_ore=amount, due_date=invoice.due_date,
                                       status=ClaimStatus.PENDING, created_at=now))
        count += 1
    db.session.flush()
    return count


def write_claim_file(now: dt.datetime) -> AvtaleGiroFile | None:
    """The pending claims and the cancellations waiting, in one AvtaleGiro claim file
    (netsgiro's writer); None when there is nothing to send."""
    new = db.session.scalars(select(AvtaleGiroClaim).where(
        AvtaleGiroClaim.status == ClaimStatus.PENDING).order_by(AvtaleGiroClaim.id)).all()
    cancels = db.session.scalars(select(AvtaleGiroClaim).where(
        AvtaleGiroClaim.status == ClaimStatus.CANCELLING).order_by(AvtaleGiroClaim.id)).all()
    if not new and not cancels:
        return None
    number = (db.session.scalar(select(func.max(AvtaleGiroFile.id))) or 0) + 1
    record = AvtaleGiroFile(number=f"{number:07d}", claims=len(new), cancellations=len(cancels),
                            total_ore=sum(c.amount_ore for c in new), content="",
                            created_at=now)
    db.session.add(record)
    db.session.flush()
    account = "".join(ch for ch in (vendor_company().bank_account or "") if ch.isdigit())
    transmission = netsgiro.Transmission(number=record.number,
                                         data_transmitter=current_app.config["NETS_ID"],
                                         data_recipient="00008080")
    for kind, claims in ((netsgiro.AssignmentType.TRANSACTIONS, new),
                         (netsgiro.AssignmentType.AVTALEGIRO_CANCELLATIONS, cancels)):
        if not claims:
            continue
        assignment = transmission.add_assignment(
            service_code=netsgiro.ServiceCode.AVTALEGIRO, assignment_type=kind,
            number=f"{record.id * 2 + (kind != netsgiro.AssignmentType.TRANSACTIONS):07d}",
            account=account.zfill(11)[:11])
        add = assignment.add_payment_request if kind == netsgiro.AssignmentType.TRANSACTIONS \
            else assignment.add_payment_cancellation
        for claim in claims:
            invoice = claim.invoice
            add(kid=claim.mandate.kid, due_date=claim.due_date,
                amount=Decimal(claim.amount_ore) / 100, reference=f"Faktura {invoice.number}",
                payer_name=(invoice.buyer_name or "")[:10])
            if kind == netsgiro.AssignmentType.TRANSACTIONS:
                move(claim, ClaimStatus.SENT)
                claim.file_id = record.id
            else:
                move(claim, ClaimStatus.CANCELLED)
                claim.cancel_file_id = record.id
    record.content = transmission.to_ocr() + "\n"
    db.session.flush()
    return record


def fail_unpaid_claims(today: dt.date) -> int:
    """A sent claim still unpaid some days after its due date failed (no cover, stopped by
    the payer): dunning starts the day after."""
    settle = dt.timedelta(days=current_app.config["AVTALEGIRO_SETTLE_DAYS"])
    failed = 0
    for claim in db.session.scalars(select(AvtaleGiroClaim).where(
            AvtaleGiroClaim.status == ClaimStatus.SENT, AvtaleGiroClaim.due_date < today - settle)):
        move(claim, ClaimStatus.FAILED)
        claim.failed_on = today
        failed += 1
    db.session.flush()
    return failed


def run(now: dt.datetime) -> int:
    """The daily job: fail claims left unpaid, claim what is due, write the file."""
    today = clock.local(now).date()
    count = fail_unpaid_claims(today) + create_claims(today, now)
    write_claim_file(now)
    return count


def claims_paid_by(kids: list[str]) -> dict[str, list[AvtaleGiroClaim]]:
    """For mandate KIDs in a payment file: their sent (or failed, paid late) claims, oldest
    due first, to match AvtaleGiro payments to invoices."""
    if not kids:
        return {}
    found: dict[str, list[AvtaleGiroClaim]] = {}
    for claim, kid in db.session.execute(
            select(AvtaleGiroClaim, AvtaleGiroMandate.kid)
            .join(AvtaleGiroMandate, AvtaleGiroMandate.id == AvtaleGiroClaim.mandate_id)
            .where(AvtaleGiroMandate.kid.in_(kids),
                   AvtaleGiroClaim.status.in_((ClaimStatus.SENT, ClaimStatus.FAILED)))
            .order_by(AvtaleGiroClaim.due_date, AvtaleGiroClaim.id)):
        found.setdefault(kid, []).append(claim)
    return found


def mark_paid(claim: AvtaleGiroClaim) -> None:
    move(claim, ClaimStatus.PAID)
