"""Invoices, credit notes, their lines and numbers, payments and dunning."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.statuses import ClaimStatus, MandateStatus, PaymentStatus
from ..extensions import Model, db
from .types import UTCDateTime, status_check, status_type

SERIES = ("invoice", "credit_note")
DELIVERIES = ("email", "ehf", "both")


class InvoiceSequence(Model):
    """The next number of a seller's series (invoices, credit notes: R-DOC-3); taken in the
    issuing transaction, so no gaps."""

    __tablename__ = "document_sequence"
    seller_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), primary_key=True)
    series: Mapped[str] = mapped_column(String(12), primary_key=True)
    next_number: Mapped[int] = mapped_column(BigInteger, default=1)


class SellerIdentity(Model):
    """The seller as printed on its invoices (R-DOC-1): a snapshot of the company profile,
    never changed, so an issued invoice shows the seller as it was when issued."""

    __tablename__ = "seller_identity"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    name: Mapped[str] = mapped_column(String(120))
    organisation_number: Mapped[str | None] = mapped_column(String(9))
    vat_registered: Mapped[bool] = mapped_column()
    business_register: Mapped[bool] = mapped_column(default=False)
    address_line: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(4))
    city: Mapped[str | None] = mapped_column(String(60))
    bank_account: Mapped[str | None] = mapped_column(String(11))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    email: Mapped[str | None] = mapped_column(String(320))
    payment_terms: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_seller_identity_company", "company_id", "id"),)


class Invoice(Model):
    """An invoice or a credit note from a seller company to a buyer."""

    __tablename__ = "invoice"
    id: Mapped[int] = mapped_column(primary_key=True)
    seller_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    number: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("customer_agreement.id"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("licence_subscription.id"))
    # Set on invoices a company sends its own customers from a subscription.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id",
                                                               name="fk_invoice_customer"))
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    buyer_name: Mapped[str] = mapped_column(String(120))
    buyer_organisation_number: Mapped[str | None] = mapped_column(String(9))
    buyer_address_line: Mapped[str | None] = mapped_column(String(200))
    buyer_postal_code: Mapped[str | None] = mapped_column(String(4))
    buyer_city: Mapped[str | None] = mapped_column(String(60))
    buyer_email: Mapped[str] = mapped_column(String(320))
    customer_number: Mapped[str | None] = mapped_column(String(30))
    invoice_date: Mapped[dt.date] = mapped_column()
    due_date: Mapped[dt.date] = mapped_column()
    period_start: Mapped[dt.date | None] = mapped_column()
    period_end: Mapped[dt.date | None] = mapped_column()
    send_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Credit notes carry no KID (nothing is paid to them).
    kid: Mapped[str | None] = mapped_column(String(25))
    seller_identity_id: Mapped[int | None] = mapped_column(ForeignKey("seller_identity.id"))
    buyer_vat_registered: Mapped[bool] = mapped_column(default=False, server_default="0")
    buyer_reference: Mapped[str | None] = mapped_column(String(60))
    order_reference: Mapped[str | None] = mapped_column(String(60))
    buyer_peppol_id: Mapped[str | None] = mapped_column(String(60))
    delivery: Mapped[str] = mapped_column(String(5), default="email", server_default="email")
    net_ore: Mapped[int] = mapped_column(BigInteger)
    vat_ore: Mapped[int] = mapped_column(BigInteger)
    total_ore: Mapped[int] = mapped_column(BigInteger)
    paid_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    credited_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    is_trial: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    dunning_stage: Mapped[int] = mapped_column(default=0)
    dunning_deadline: Mapped[dt.date | None] = mapped_column()
    in_dialogue: Mapped[bool] = mapped_column(default=False)
    handed_over_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice",
                                                    order_by="InvoiceLine.position")
    agreement = relationship("CustomerAgreement")
    seller = relationship("Company", foreign_keys=[seller_company_id])
    seller_identity = relationship("SellerIdentity")
    credited_invoice = relationship("Invoice", remote_side=[id])

    __table_args__ = (
        UniqueConstraint("seller_company_id", "kind", "number",
                         name="uq_invoice_number_per_seller"),
        UniqueConstraint("seller_company_id", "kid", name="uq_invoice_kid_per_seller"),
        CheckConstraint("kind in ('invoice','credit_note')", name="ck_invoice_kind"),
        CheckConstraint("total_ore = net_ore + vat_ore", name="ck_invoice_total"),
        CheckConstraint("dunning_stage between 0 and 3", name="ck_invoice_dunning_stage"),
        CheckConstraint("credited_ore >= 0 and credited_ore <= total_ore or kind = 'credit_note'",
                        name="ck_invoice_credited"),
        CheckConstraint("number > 0", name="ck_invoice_number"),
        CheckConstraint("delivery in ('email','ehf','both')", name="ck_invoice_delivery"),
        Index("ix_invoice_agreement", "agreement_id"),
        Index("ix_invoice_send", "sent_at", "send_at"),
    )

    @property
    def open_ore(self) -> int:
        """What is still owed (never negative; an overpayment shows as its own status)."""
        return max(0, self.total_ore - self.credited_ore - self.paid_ore)

    def status(self, today: dt.date) -> str:
        if self.kind == "credit_note":
            return "credit_note"
        if self.credited_ore >= self.total_ore and self.total_ore > 0:
            return "credited"
        if self.paid_ore > self.total_ore - self.credited_ore:
            return "overpaid"
        if self.open_ore == 0:
            return "paid"
        if self.handed_over_at is not None:
            return "debt_collection"
        if today > self.due_date:
            return "overdue"
        return "partly_paid" if self.paid_ore else "open"


class InvoiceLine(Model):
    __tablename__ = "invoice_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    position: Mapped[int] = mapped_column()
    description: Mapped[str] = mapped_column(String(200))  # bokmål, the document's language
    # The same text in English for English readers (none where the seller typed the text).
    description_en: Mapped[str | None] = mapped_column(String(200))
    period_start: Mapped[dt.date] = mapped_column()
    period_end: Mapped[dt.date] = mapped_column()
    quantity: Mapped[int] = mapped_column()
    unit_ore: Mapped[int] = mapped_column(BigInteger)
    amount_ore: Mapped[int] = mapped_column(BigInteger)
    vat_percent: Mapped[int] = mapped_column(default=25, server_default="25")
    # EN 16931 VAT category: S standard, Z zero-rated, E exempt, O outside the VAT system.
    vat_category: Mapped[str] = mapped_column(String(1), default="S", server_default="S")
    # On a credit note: the invoice line it credits (each line is credited at most once).
    credits_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_line.id"))
    # On an interval-discount line: its percentage (a partial credit credits as much of it).
    discount_percent: Mapped[int | None] = mapped_column()

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    def text(self, locale: str) -> str:
        """The line's text for a reader in `locale` (the document itself is in bokmål)."""
        return self.description_en if locale == "en" and self.description_en else \
            self.description

    __table_args__ = (
        UniqueConstraint("invoice_id", "position", name="uq_invoice_line_position"),
        UniqueConstraint("credits_line_id", name="uq_invoice_line_credited_once"),
        CheckConstraint("period_end >= period_start", name="ck_invoice_line_period"),
        CheckConstraint("vat_category in ('S','Z','E','O')", name="ck_invoice_line_vat_category"),
    )


class BilledPeriod(Model):
    """One row per subscription and period start: an invoice is issued for it at most once.
    (The invoice itself carries the subscription and the period.)"""

    __tablename__ = "billed_period"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("licence_subscription.id"))
    period_start: Mapped[dt.date] = mapped_column()
    period_end: Mapped[dt.date] = mapped_column()

    __table_args__ = (
        UniqueConstraint("subscription_id", "period_start", name="uq_billed_period"),
    )


PAYMENT_SOURCES = ("manual", "import", "ocr", "camt054", "avtalegiro")
PAYMENT_OUTCOMES = ("full", "partial", "over")


class PaymentImport(Model):
    """A bank file read in (OCR giro or camt.054): what it held, by its own totals, and what
    came of it. The same file (by its SHA-256) is never read twice."""

    __tablename__ = "payment_import"
    id: Mapped[int] = mapped_column(primary_key=True)
    format: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    bank_reference: Mapped[str | None] = mapped_column(String(80))
    transactions: Mapped[int] = mapped_column(default=0)
    total_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    matched: Mapped[int] = mapped_column(default=0)
    matched_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    partial: Mapped[int] = mapped_column(default=0)
    over: Mapped[int] = mapped_column(default=0)
    unmatched: Mapped[int] = mapped_column(default=0)
    unmatched_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    parked: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    mandates: Mapped[int] = mapped_column(default=0)  # AvtaleGiro mandates confirmed or ended
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("format in ('ocr','camt054')",
                                      name="ck_payment_import_format"),)


class Payment(Model):
    """A payment received; matched to an invoice by KID, or kept visibly as unmatched."""

    __tablename__ = "payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    amount_ore: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date] = mapped_column()
    kid: Mapped[str | None] = mapped_column(String(25))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    status: Mapped[PaymentStatus] = mapped_column(status_type(PaymentStatus, 10))
    source: Mapped[str] = mapped_column(String(10))
    # The bank's own key of the transaction; a second import of it is a duplicate.
    reference: Mapped[str | None] = mapped_column(String(80), unique=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("payment_import.id"), index=True)
    archive_reference: Mapped[str | None] = mapped_column(String(40))
    payer_account: Mapped[str | None] = mapped_column(String(40))
    payer_name: Mapped[str | None] = mapped_column(String(140))
    # What the payment did to the invoice's open amount when it was matched.
    outcome: Mapped[str | None] = mapped_column(String(10))
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    invoice = relationship("Invoice")

    __table_args__ = (
        CheckConstraint("amount_ore > 0", name="ck_payment_amount"),
        status_check(PaymentStatus, "ck_payment_status"),
        CheckConstraint("source in ('manual','import','ocr','camt054','avtalegiro')",
                        name="ck_payment_source"),
        CheckConstraint("outcome is null or outcome in ('full','partial','over')",
                        name="ck_payment_outcome"),
        Index("ix_payment_invoice", "invoice_id"),
    )


class ParkedTransaction(Model):
    """A transaction of a bank file that could not become a payment (a zero or negative
    amount, a reversal) or was already registered; kept with the reason, never applied."""

    __tablename__ = "parked_transaction"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("payment_import.id"), index=True)
    position: Mapped[int] = mapped_column()
    kid: Mapped[str | None] = mapped_column(String(25))
    amount_ore: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date | None] = mapped_column()
    reference: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(20))

    __table_args__ = (CheckConstraint("reason in ('duplicate','not_positive','reversal')",
                                      name="ck_parked_reason"),)


class DunningEvent(Model):
    """A step of the dunning chain taken for an invoice: reminder, warning, hand-over."""

    __tablename__ = "dunning_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    stage: Mapped[int] = mapped_column()
    deadline: Mapped[dt.date | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("invoice_id", "stage", name="uq_dunning_stage"),)


class AvtaleGiroMandate(Model):
    """A customer's AvtaleGiro mandate (fullmakt): asked for in the portal, active once the
    bank confirms it (in an OCR giro agreements file) or the operator registers it."""

    __tablename__ = "avtalegiro_mandate"
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("customer_agreement.id"), index=True)
    kid: Mapped[str] = mapped_column(String(25), index=True)
    status: Mapped[MandateStatus] = mapped_column(status_type(MandateStatus, 10))
    limit_ore: Mapped[int | None] = mapped_column(BigInteger)
    notify: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(10))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        status_check(MandateStatus, "ck_mandate_status"),
        CheckConstraint("source in ('portal','bank','operator')", name="ck_mandate_source"),
        # One mandate in force (asked for or active) per agreement.
        Index("uq_mandate_in_force", "agreement_id", unique=True,
              sqlite_where=db.text("status != 'cancelled'"),
              postgresql_where=db.text("status != 'cancelled'")),
    )


class AvtaleGiroFile(Model):
    """A claim file written for the bank: new claims and cancellations, kept as sent."""

    __tablename__ = "avtalegiro_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(7), unique=True)
    claims: Mapped[int] = mapped_column(default=0)
    cancellations: Mapped[int] = mapped_column(default=0)
    total_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AvtaleGiroClaim(Model):
    """A claim to debit an invoice's open amount on its due date by the customer's mandate.
    Its status moves only along CLAIM_TRANSITIONS (webapp/domain/statuses.py)."""

    __tablename__ = "avtalegiro_claim"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("avtalegiro_mandate.id"), index=True)
    amount_ore: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[dt.date] = mapped_column()
    status: Mapped[ClaimStatus] = mapped_column(status_type(ClaimStatus, 10))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("avtalegiro_file.id"))
    cancel_file_id: Mapped[int | None] = mapped_column(ForeignKey("avtalegiro_file.id"))
    failed_on: Mapped[dt.date | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    mandate = relationship("AvtaleGiroMandate")
    invoice = relationship("Invoice")

    __table_args__ = (
        CheckConstraint("amount_ore > 0", name="ck_claim_amount"),
        status_check(ClaimStatus, "ck_claim_status"),
    )
