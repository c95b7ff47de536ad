"""The one invoice writer: every invoice and credit note Kvitt issues (licences, plan changes,
collaborations, a company's sales subscriptions, credit notes) is written here, with the seller's
identity as it stands (R-DOC-1), the buyer's delivery details, gapless numbers per series
(R-DOC-3) and lines carrying their VAT category and rate."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text, update

from ..database import insert_ignoring_conflicts
from ..domain import billing as rules
from ..domain.documents import Document, DocumentLine, Party
from ..extensions import db
from ..models import (
    Company,
    CustomerAgreement,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    SellerIdentity,
)

IDENTITY_FIELDS = ("name", "organisation_number", "vat_registered", "business_register",
                   "address_line",
                   "postal_code", "city", "bank_account", "iban", "bic", "payment_terms")


# --- the seller ----------------------------------------------------------------------------

def missing_seller_details(company: Company) -> list:
    """What a company lacks before it can issue an invoice (R-DOC-1): never another's account."""
    missing = []
    if not company.organisation_number:
        missing.append(_l("organisation number"))
    if not company.bank_account:
        missing.append(_l("bank account number"))
    if not (company.address_line and company.postal_code):
        missing.append(_l("address"))
    return missing


def seller_identity(company: Company, now: dt.datetime) -> SellerIdentity:
    """The company's identity as printed on an invoice issued now: the latest snapshot, or a
    new one when the profile changed since (issued invoices keep the one they were given)."""
    latest = db.session.scalar(select(SellerIdentity).where(
        SellerIdentity.company_id == company.id).order_by(SellerIdentity.id.desc()).limit(1))
    wanted = {name: getattr(company, name) for name in IDENTITY_FIELDS}
    wanted["email"] = company.invoice_email or company.email
    if latest is not None and all(getattr(latest, k) == v for k, v in wanted.items()):
        return latest
    identity = SellerIdentity(company_id=company.id, created_at=now, **wanted)
    db.session.add(identity)
    db.session.flush()
    return identity


# --- the buyer -----------------------------------------------------------------------------

def default_peppol_id(organisation_number: str | None) -> str | None:
    """A Norwegian organisation's Peppol participant id: ICD 0192 + its number."""
    return f"0192:{organisation_number}" if organisation_number else None


@dataclass(frozen=True)
class Buyer:
    """The buyer's columns on an invoice, copied when it is issued."""

    buyer_name: str
    buyer_email: str
    buyer_organisation_number: str | None = None
    buyer_vat_registered: bool = False
    buyer_address_line: str | None = None
    buyer_postal_code: str | None = None
    buyer_city: str | None = None
    customer_number: str | None = None
    buyer_reference: str | None = None
    buyer_peppol_id: str | None = None
    delivery: str = "email"

    def columns(self) -> dict:
        values = {name: getattr(self, name) for name in BUYER_COLUMNS}
        values["buyer_peppol_id"] = values["buyer_peppol_id"] or default_peppol_id(
            self.buyer_organisation_number)
        return values


BUYER_COLUMNS = tuple(Buyer.__dataclass_fields__)


def buyer_columns(columns: Mapping[str, Sequence]) -> dict[str, list]:
    """The buyer columns of many invoices from their values column by column (as `Buyer`
    names them); with no Peppol id, the organisation number's."""
    found = {name: list(columns[name]) for name in BUYER_COLUMNS}
    found["buyer_peppol_id"] = [
        peppol_id or default_peppol_id(number) for peppol_id, number in
        zip(found["buyer_peppol_id"], found["buyer_organisation_number"], strict=True)]
    return found


def agreement_buyer(agreement: CustomerAgreement, recipient: Company | None) -> Buyer:
    """The buyer of a licence invoice: the agreement, at its invoice recipient's number."""
    return Buyer(buyer_name=agreement.name, buyer_email=agreement.invoice_email,
                 buyer_organisation_number=recipient.organisation_number if recipient else None,
                 buyer_vat_registered=bool(recipient and recipient.vat_registered),
                 buyer_address_line=agreement.invoice_address_line,
                 buyer_postal_code=agreement.invoice_postal_code,
                 buyer_city=agreement.invoice_city, customer_number=agreement.customer_number,
                 buyer_reference=agreement.buyer_reference, buyer_peppol_id=agreement.peppol_id,
                 delivery=agreement.delivery)


def customer_buyer(customer) -> Buyer:
    """The buyer of a sales invoice: a company's own customer."""
    return Buyer(buyer_name=customer.name, buyer_email=customer.email,
                 buyer_organisation_number=customer.organisation_number,
                 buyer_vat_registered=customer.vat_registered,
                 buyer_address_line=customer.address_line,
                 buyer_postal_code=customer.postal_code, buyer_city=customer.city,
                 buyer_reference=customer.buyer_reference, buyer_peppol_id=customer.peppol_id,
                 delivery=customer.delivery)


# --- numbers and rows ----------------------------------------------------------------------

def take_numbers(seller_id: int, count: int, series: str = "invoice") -> int:
    """Reserve `count` consecutive numbers of a seller's series; return the first."""
    db.session.execute(insert_ignoring_conflicts(InvoiceSequence.__table__).values(
        seller_company_id=seller_id, series=series, next_number=1))
    after = db.session.execute(
        update(InvoiceSequence).where(InvoiceSequence.seller_company_id == seller_id,
                                      InvoiceSequence.series == series)
        .values(next_number=InvoiceSequence.next_number + count)
        .returning(InvoiceSequence.next_number)).scalar_one()
    return after - count


def invoice_row(*, seller_id: int, identity_id: int, number: int, buyer: dict,
                invoice_date: dt.date, due_date: dt.date, period: tuple[dt.date, dt.date] | None,
                send_at: dt.datetime, net_ore: int, vat_ore: int, now: dt.datetime,
                kind: str = "invoice", **extra) -> dict:
    """One invoice's columns; `extra` names what links it (agreement, subscription, customer,
    credited invoice), the reason and the trial marking."""
    row = {
        "seller_company_id": seller_id, "seller_identity_id": identity_id, "number": number,
        "kind": kind, "agreement_id": None, "subscription_id": None, "customer_id": None,
        "credited_invoice_id": None, "order_reference": None, "reason": None,
        "invoice_date": invoice_date, "due_date": due_date,
        "period_start": period[0] if period else None,
        "period_end": period[1] if period else None, "send_at": send_at,
        "kid": rules.kid_for(number) if kind == "invoice" else None,
        "net_ore": net_ore, "vat_ore": vat_ore, "total_ore": net_ore + vat_ore, "paid_ore": 0,
        "credited_ore": 0, "is_trial": False, "dunning_stage": 0, "in_dialogue": False,
        "created_at": now, **buyer}
    row.update(extra)
    return row


def line_row(invoice_id: int, position: int, description: str, period: tuple[dt.date, dt.date],
             quantity: int, unit_ore: int, amount_ore: int, vat_category: str = "S",
             vat_percent: int = 25, credits_line_id: int | None = None,
             discount_percent: int | None = None, description_en: str | None = None) -> dict:
    """An invoice line's row; `description` in bokmål (the document's language),
    `description_en` for English readers (none for a text the seller typed)."""
    return {"invoice_id": invoice_id, "position": position, "description": description,
            "description_en": description_en or None,
            "period_start": period[0], "period_end": period[1], "quantity": quantity,
            "unit_ore": unit_ore, "amount_ore": amount_ore, "vat_category": vat_category,
            "vat_percent": vat_percent, "credits_line_id": credits_line_id,
            "discount_percent": discount_percent}


def insert_rows(table, rows: list[dict]) -> None:
    """Insert the rows (dicts with the same keys) through the driver."""
    if rows:
        write_values(table, *driver_rows(table, rows))


def driver_rows(table, rows: list[dict]) -> tuple[list[str], list[tuple]]:
    """The rows' columns and values as the driver takes them (see `driver_values`)."""
    return driver_values(table, {name: [row[name] for row in rows] for name in rows[0]},
                         len(rows))


def driver_values(table, columns: Mapping[str, Any], count: int
                  ) -> tuple[list[str], list[tuple]]:
    """`count` rows given column by column (a list of `count` values, or one value that every
    row has) as the driver takes them: each value converted by its column's type (as
    SQLAlchemy would) without compiling parameters row by row, each distinct value once (a
    batch shares its dates, moment and seller)."""
    dialect = db.engine.dialect
    converted: list[Iterable] = []
    for name, values in columns.items():
        process = table.c[name].type._cached_bind_processor(dialect)
        if not isinstance(values, list):
            converted.append(repeat(process(values) if process is not None and values is not None
                                    else values, count))
        elif process is None:
            converted.append(values)
        else:
            seen: dict = {None: None}
            converted.append([seen[v] if v in seen else seen.setdefault(v, process(v))
                              for v in values])
    return list(columns), list(zip(*converted, strict=True))


def driver_marks(count: int) -> str:
    """`count` parameter marks in the driver's style, comma separated."""
    mark = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
    return ", ".join(mark for _ in range(count))


def write_values(table, columns: list[str], values: list[tuple]) -> None:
    """Rows already in the driver's terms: COPY on PostgreSQL (far faster than INSERT for
    thousands of rows), else one executemany."""
    if not values:
        return
    names = ", ".join(columns)
    if db.engine.dialect.name == "postgresql" and len(values) > 1:
        raw: Any = db.session.connection().connection.dbapi_connection  # psycopg's own
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    db.session.connection().exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({driver_marks(len(columns))})", values)


def insert_invoices(rows: list[dict]) -> list[int]:
    """Insert invoices (their numbers taken) and return their ids in the order given."""
    return insert_invoice_columns({name: [row[name] for row in rows] for name in rows[0]},
                                  len(rows))


def insert_invoice_columns(columns: dict[str, Any], count: int) -> list[int]:
    """Insert `count` invoices given column by column (as `driver_values` takes them; their
    numbers taken) and return their ids in order."""
    table = Invoice.__table__
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.execute(text(
            "SELECT nextval(pg_get_serial_sequence('invoice', 'id')) "
            "FROM generate_series(1, :n)"), {"n": count}).scalars())
    else:
        # SQLite: the numbers were taken in this transaction, so it holds the database's write
        # lock and no one else can insert meanwhile: the ids follow the highest one, and the
        # rows go in with one executemany instead of an INSERT … RETURNING each.
        first = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        ids = list(range(first, first + count))
    write_values(table, *driver_values(table, {"id": ids, **columns}, count))
    return ids


def write_invoice(row: dict, lines: list[dict]) -> Invoice:
    """Insert one invoice with its lines and return it."""
    invoice_id = insert_invoices([row])[0]
    for line in lines:
        line["invoice_id"] = invoice_id
    insert_rows(InvoiceLine.__table__, lines)
    return db.session.get_one(Invoice, invoice_id)


# --- the document --------------------------------------------------------------------------

def document_of(invoice: Invoice) -> Document:
    """The invoice as its buyer receives it (page, PDF and EHF are rendered from this)."""
    identity = invoice.seller_identity
    if identity is None:  # issued before identities were kept: the profile as it is
        identity = invoice.seller
    seller = Party(name=identity.name, organisation_number=identity.organisation_number,
                   vat_registered=identity.vat_registered,
                   business_register=identity.business_register, address_line=identity.address_line,
                   postal_code=identity.postal_code, city=identity.city,
                   email=getattr(identity, "email", None)
                   or getattr(identity, "invoice_email", None),
                   peppol_id=default_peppol_id(identity.organisation_number),
                   bank_account=identity.bank_account, iban=identity.iban, bic=identity.bic)
    buyer = Party(name=invoice.buyer_name, organisation_number=invoice.buyer_organisation_number,
                  vat_registered=invoice.buyer_vat_registered,
                  address_line=invoice.buyer_address_line,
                  postal_code=invoice.buyer_postal_code, city=invoice.buyer_city,
                  email=invoice.buyer_email, peppol_id=invoice.buyer_peppol_id)
    lines = tuple(DocumentLine(line.position, line.description, line.period_start,
                               line.period_end, line.quantity, line.unit_ore, line.amount_ore,
                               line.vat_category, line.vat_percent, line.description_en)
                  for line in invoice.lines)
    credited = invoice.credited_invoice
    # Extra users are billed afterwards: the document's period spans every line's.
    starts = [d for d in [invoice.period_start, *(line.period_start for line in lines)] if d]
    ends = [d for d in [invoice.period_end, *(line.period_end for line in lines)] if d]
    return Document(
        kind=invoice.kind, number=invoice.number, issue_date=invoice.invoice_date,
        due_date=invoice.due_date, seller=seller, buyer=buyer, lines=lines,
        net_ore=invoice.net_ore, vat_ore=invoice.vat_ore, total_ore=invoice.total_ore,
        kid=invoice.kid, period_start=min(starts, default=None),
        period_end=max(ends, default=None),
        customer_number=invoice.customer_number, buyer_reference=invoice.buyer_reference,
        order_reference=invoice.order_reference,
        credited_number=credited.number if credited else None,
        credited_issue_date=credited.invoice_date if credited else None,
        reason=invoice.reason, payment_terms=identity.payment_terms,
        is_trial=invoice.is_trial, paid_ore=invoice.paid_ore,
        avtalegiro=invoice.kind == "invoice" and _claimed(invoice.id))


def _claimed(invoice_id: int) -> bool:
    from .avtalegiro import standing_claim

    return standing_claim(invoice_id) is not None
