"""Incoming payments from the bank: OCR giro files (Nets "OCR-innbetalinger", read with
netsgiro) and ISO 20022 camt.054 notifications (read with lxml). Each transaction is matched
by KID to the vendor's invoice; a file whose own totals do not add up, or that cannot be read,
is refused whole with the line and the reason; a transaction that cannot be a payment is parked
with its reason; nothing is applied twice (the same file, or the same transaction in another
file, by the bank's own reference)."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

import netsgiro
from flask_babel import gettext as _
from netsgiro import records as ocr_records
from sqlalchemy import Table, bindparam, select, update
from stdnum import luhn

from ..domain.refusals import Refusal
from ..domain.statuses import PaymentStatus
from ..extensions import db
from ..models import Invoice, ParkedTransaction, Payment, PaymentImport
from . import avtalegiro
from .billing import vendor_company
from .invoicing import insert_rows
from .payments import lift_suspensions, payment_outcome

CHUNK = 2000
# OCR giro transaction types that take money back: never a payment of an invoice.
REVERSALS = {netsgiro.TransactionType.REVERSING_WITH_KID,
             netsgiro.TransactionType.REVERSING_WITH_TEXT}


class BankFileError(Refusal):
    """The whole file is refused: `line` (1-based, or None) and the reason."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__("file_refused", "file", reason)
        self.reason, self.line = reason, line

    def __str__(self) -> str:
        if self.line is None:
            return self.reason
        return _("Line %(n)s: %(reason)s", n=self.line, reason=self.reason)

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class BankTransaction:
    """One incoming transaction as the bank reported it."""

    position: int  # the line (OCR) or entry (camt.054) it came from
    kid: str
    amount_ore: int
    paid_on: dt.date
    key: str  # the bank's own unique reference of the transaction
    archive_reference: str | None = None
    payer_account: str | None = None
    payer_name: str | None = None
    reversal: bool = False


@dataclass(frozen=True)
class BankFile:
    format: str
    reference: str
    transactions: list[BankTransaction]
    mandates: list = field(default_factory=list)  # AvtaleGiro agreement registrations


def to_ore(amount: Decimal) -> int:
    ore = amount * 100
    if ore != ore.to_integral_value():
        raise BankFileError(_("An amount has more than two decimals: %(a)s", a=amount))
    return int(ore)


# --- OCR giro --------------------------------------------------------------------------------

def _ocr_records(text: str) -> list:
    try:
        return ocr_records.parse(text)
    except (ValueError, KeyError) as whole_file:
        # Find the line it stopped at, to say so.
        for number, line in enumerate(text.strip().splitlines(), start=1):
            if len(line) != 80:
                raise BankFileError(_("a record must be 80 characters, this one has %(n)s.",
                                      n=len(line)), number) from None
            try:
                ocr_records.parse(line)
            except (ValueError, KeyError) as error:
                raise BankFileError(_("the record cannot be read (%(e)s).", e=error),
                                    number) from None
        raise BankFileError(str(whole_file)) from None


def read_ocr(text: str) -> BankFile:
    """An OCR giro file: its transactions, after its records and its own totals (every
    assignment's end record and the transmission's) are checked."""
    if not text.strip():
        raise BankFileError(_("The file is empty."))
    records = _ocr_records(text)
    if not isinstance(records[0], ocr_records.TransmissionStart):
        raise BankFileError(_("the file must start with a transmission start record (NY000010)."
                              ), 1)
    if not isinstance(records[-1], ocr_records.TransmissionEnd):
        raise BankFileError(_("the file must end with a transmission end record (NY000089); "
                              "is it cut short?"), len(records) + 1)
    try:
        transmission = netsgiro.Transmission.from_records(records)
    except (ValueError, AssertionError, TypeError) as error:
        raise BankFileError(_("The records are not in the order of an OCR giro file (%(e)s).",
                              e=error or type(error).__name__)) from None
    found: list[BankTransaction] = []
    line = 1
    ends = iter(record for record in records if isinstance(record, ocr_records.AssignmentEnd))
    mandates = []
    for assignment in transmission.assignments:
        line += 1  # the assignment's start record
        count, total = 0, 0
        if assignment.type == netsgiro.AssignmentType.AVTALEGIRO_AGREEMENTS:
            mandates.extend(assignment.transactions)
            line += len(assignment.transactions) + 1
            next(ends)
            continue
        for transaction in assignment.transactions:
            if not isinstance(transaction, netsgiro.Transaction):
                raise BankFileError(_("The file holds AvtaleGiro claims, not payments."))
            ore = to_ore(transaction.amount)
            count, total = count + 1, total + ore
            found.append(_ocr_transaction(transaction, line + 1, ore))
            line += 3 if transaction.type in (netsgiro.TransactionType.REVERSING_WITH_TEXT,
                                              netsgiro.TransactionType.PURCHASE_WITH_TEXT) else 2
        line += 1  # the assignment's end record
        end = next(ends)
        if (end.num_transactions, end.total_amount) != (count, total):
            raise BankFileError(_("the assignment's end record says %(n)s transactions of "
                                  "%(sum)s øre; the file holds %(count)s of %(total)s øre.",
                                  n=end.num_transactions, sum=end.total_amount, count=count,
                                  total=total), line)
    last = records[-1]
    total = sum(t.amount_ore for t in found)
    if (last.num_transactions, last.total_amount, last.num_records) != \
            (len(found) + len(mandates), total, len(records)):
        raise BankFileError(_("the transmission's end record says %(n)s transactions of "
                              "%(sum)s øre in %(r)s records; the file holds %(count)s of "
                              "%(total)s øre in %(records)s.", n=last.num_transactions,
                              sum=last.total_amount, r=last.num_records,
                              count=len(found) + len(mandates),
                              total=total, records=len(records)), len(records))
    return BankFile("ocr", transmission.number, found, mandates)


def _ocr_transaction(transaction, position: int, ore: int) -> BankTransaction:
    kid = (transaction.kid or "").strip()
    paid_on = transaction.bank_date or transaction.date
    archive = (transaction.reference or "").strip() or None
    key = f"ocr:{transaction.date.isoformat()}:{archive or transaction.form_number}:{kid}:{ore}"
    return BankTransaction(position, kid, ore, paid_on, key, archive,
                           (transaction.debit_account or "").strip() or None, None,
                           transaction.type in REVERSALS)


# --- import ----------------------------------------------------------------------------------

def read_bank_file(data: bytes) -> BankFile:
    """OCR giro or camt.054, told apart by their first bytes."""
    head = data.lstrip()[:200]
    if head.startswith(b"<"):
        from .camt054 import read_camt054

        return read_camt054(data)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if not text.lstrip().startswith("NY"):
        raise BankFileError(_("This is neither an OCR giro file (its records start with NY) "
                              "nor a camt.054 notification (XML)."))
    return read_ocr(text)


def import_bank_file(data: bytes, filename: str, now: dt.datetime,
                     user_id: int | None = None) -> PaymentImport:
    """Read the file and apply its payments, all in the caller's transaction; refuses a file
    read before (the same bytes) with BankFileError."""
    digest = hashlib.sha256(data).hexdigest()
    earlier = db.session.scalar(select(PaymentImport).where(PaymentImport.sha256 == digest))
    if earlier is not None:
        raise BankFileError(_("This file was imported before (import %(n)s); nothing is "
                              "applied twice.", n=earlier.id))
    bank_file = read_bank_file(data)
    record = PaymentImport(format=bank_file.format, filename=filename[:255], sha256=digest,
                           bank_reference=bank_file.reference[:80],
                           transactions=len(bank_file.transactions),
                           total_ore=sum(t.amount_ore for t in bank_file.transactions),
                           matched=0, matched_ore=0, partial=0, over=0, unmatched=0,
                           unmatched_ore=0, parked=0, duplicates=0, mandates=0, imported_by=user_id,
                           created_at=now)
    db.session.add(record)
    db.session.flush()
    _apply(record, bank_file, now, user_id)
    record.mandates = avtalegiro.apply_bank_agreements(bank_file.mandates, now)
    db.session.flush()
    return record


def _in_chunks(query, column, values: list[str]):
    for start in range(0, len(values), CHUNK):
        yield from db.session.execute(query.where(column.in_(values[start:start + CHUNK])))


def _registered(keys: list[str]) -> set[str]:
    """The bank references among `keys` already registered as payments."""
    return {row.reference for row in _in_chunks(select(Payment.reference), Payment.reference,
                                                keys)}


def _invoices_by_kid(kids: list[str]) -> dict:
    """The vendor's invoices with these KIDs: id and what they owe."""
    query = select(Invoice.kid, Invoice.id, Invoice.total_ore, Invoice.paid_ore,
                   Invoice.credited_ore).where(Invoice.seller_company_id == vendor_company().id,
                                               Invoice.kind == "invoice",
                                               Invoice.agreement_id.is_not(None))
    return {row.kid: row for row in _in_chunks(query, Invoice.kid, kids)}


def _apply(record: PaymentImport, bank_file: BankFile, now: dt.datetime,
           user_id: int | None) -> None:
    registered = _registered(sorted({t.key for t in bank_file.transactions}))
    invoices = _invoices_by_kid(sorted({t.kid for t in bank_file.transactions
                                        if valid_kid(t.kid)}))
    open_ore = {row.id: max(0, row.total_ore - row.paid_ore - row.credited_ore)
                for row in invoices.values()}
    claims = avtalegiro.claims_paid_by(sorted({t.kid for t in bank_file.transactions
                                               if avtalegiro.agreement_of_kid(t.kid)}))
    for waiting in claims.values():
        for claim in waiting:
            open_ore.setdefault(claim.invoice_id, claim.invoice.open_ore)
    paid: dict[int, int] = {}
    payments, parked, seen = [], [], set()
    for t in bank_file.transactions:
        reason = None
        if t.key in registered or t.key in seen:
            reason = "duplicate"
        elif t.reversal:
            reason = "reversal"
        elif t.amount_ore <= 0:
            reason = "not_positive"
        if reason is not None:
            parked.append({"import_id": record.id, "position": t.position, "kid": t.kid or None,
                           "amount_ore": t.amount_ore, "paid_on": t.paid_on,
                           "reference": t.key[:80], "reason": reason})
            record.duplicates += reason == "duplicate"
            record.parked += reason != "duplicate"
            continue
        seen.add(t.key)
        invoice = invoices.get(t.kid)
        source = bank_file.format
        if invoice is None and claims.get(t.kid):
            # An AvtaleGiro debit: the mandate's KID; the claim of that amount (or the oldest).
            waiting = claims[t.kid]
            claim = next((c for c in waiting if c.amount_ore == t.amount_ore), waiting[0])
            waiting.remove(claim)
            avtalegiro.mark_paid(claim)
            invoice, source = claim.invoice, "avtalegiro"
        outcome = None
        if invoice is not None:
            owed = open_ore[invoice.id]
            outcome = payment_outcome(t.amount_ore, owed)
            open_ore[invoice.id] = max(0, owed - t.amount_ore)
            paid[invoice.id] = paid.get(invoice.id, 0) + t.amount_ore
            record.matched += 1
            record.matched_ore += t.amount_ore
            record.partial += outcome == "partial"
            record.over += outcome == "over"
        else:
            record.unmatched += 1
            record.unmatched_ore += t.amount_ore
        payments.append({
            "amount_ore": t.amount_ore, "paid_on": t.paid_on, "kid": t.kid[:25] or None,
            "invoice_id": invoice.id if invoice is not None else None,
            "status": PaymentStatus.MATCHED if invoice is not None else PaymentStatus.UNMATCHED,
            "source": source, "reference": t.key[:80], "import_id": record.id,
            "archive_reference": t.archive_reference, "payer_account": t.payer_account,
            "payer_name": t.payer_name, "outcome": outcome, "registered_by": user_id,
            "created_at": now})
    insert_rows(Payment.__table__, payments)
    insert_rows(ParkedTransaction.__table__, parked)
    if paid:
        table = cast(Table, Invoice.__table__)
        db.session.execute(
            update(table).where(table.c.id == bindparam("i_id"))
            .values(paid_ore=table.c.paid_ore + bindparam("i_paid")),
            [{"i_id": invoice_id, "i_paid": amount} for invoice_id, amount in paid.items()])
        lift_suspensions([invoice_id for invoice_id, left in open_ore.items()
                          if left == 0 and invoice_id in paid])


def valid_kid(kid: str) -> bool:
    """A KID Kvitt could have written: digits with a MOD10 check digit."""
    return 2 <= len(kid) <= 25 and kid.isdigit() and luhn.is_valid(kid)
