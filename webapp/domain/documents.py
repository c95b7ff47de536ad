"""The invoice document (R-DOC-1, R-DOC-2): one immutable value from which the page, the PDF and
the EHF are rendered, and its VAT summary per category and rate.

VAT is rounded once per VAT group (category and rate): the rate of the group's net basis,
rounded half up to the øre. Amounts on a credit note are stored negative (it reduces what is
owed); the documents show them as credited amounts.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .money import percent_of

# EN 16931 VAT categories Kvitt uses, with the rates each allows.
STANDARD, ZERO_RATED, EXEMPT, OUTSIDE = "S", "Z", "E", "O"
CATEGORY_RATES = {STANDARD: (25, 15, 12), ZERO_RATED: (0,), EXEMPT: (0,), OUTSIDE: (0,)}
# The exemption reason the rules ask for with E and O (BR-E-10, BR-O-10), in bokmål.
EXEMPTION_REASONS = {EXEMPT: "Unntatt merverdiavgift", OUTSIDE: "Selger er ikke mva-registrert"}
# A sales line's VAT choice: "25" … "0Z" (zero-rated), "0E" (exempt).
VAT_CHOICES = {"25": (STANDARD, 25), "15": (STANDARD, 15), "12": (STANDARD, 12),
               "0Z": (ZERO_RATED, 0), "0E": (EXEMPT, 0)}


def vat_choice(category: str, percent: int) -> str:
    return str(percent) if category == STANDARD else f"0{category}"


@dataclass(frozen=True)
class Party:
    name: str
    organisation_number: str | None = None
    vat_registered: bool = False
    business_register: bool = False
    address_line: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str = "NO"
    email: str | None = None
    peppol_id: str | None = None  # "0192:923609016"
    bank_account: str | None = None
    iban: str | None = None
    bic: str | None = None

    @property
    def vat_number(self) -> str | None:
        """The Norwegian VAT number as the EHF rules want it: NO + nine digits + MVA."""
        if self.vat_registered and self.organisation_number:
            return f"NO{self.organisation_number}MVA"
        return None


@dataclass(frozen=True)
class DocumentLine:
    position: int
    description: str
    period_start: dt.date
    period_end: dt.date
    quantity: int
    unit_ore: int  # per month (licences) or per unit (sales)
    amount_ore: int
    vat_category: str = STANDARD
    vat_percent: int = 25
    description_en: str | None = None  # for English readers; the document is in bokmål

    def text(self, locale: str) -> str:
        return self.description_en if locale == "en" and self.description_en else \
            self.description


@dataclass(frozen=True)
class VatGroup:
    category: str
    percent: int
    basis_ore: int
    vat_ore: int

    @property
    def exemption_reason(self) -> str | None:
        return EXEMPTION_REASONS.get(self.category)


def vat_groups(parts: Iterable[tuple[str, int, int]]) -> list[VatGroup]:
    """The VAT summary of (category, rate, net amount) parts: per category and rate, the net
    basis and its VAT rounded once."""
    basis: dict[tuple[str, int], int] = defaultdict(int)
    for category, percent, amount in parts:
        basis[(category, percent)] += amount
    return [VatGroup(category, percent, amount, percent_of(amount, percent))
            for (category, percent), amount in sorted(basis.items(),
                                                      key=lambda item: (-item[0][1], item[0][0]))]


def vat_total(parts: Iterable[tuple[str, int, int]]) -> int:
    return sum(group.vat_ore for group in vat_groups(parts))


@dataclass(frozen=True)
class Document:
    """An issued invoice or credit note, complete: what the buyer receives."""

    kind: str  # "invoice" or "credit_note"
    number: int
    issue_date: dt.date
    due_date: dt.date
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    net_ore: int
    vat_ore: int
    total_ore: int
    kid: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    customer_number: str | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    credited_number: int | None = None
    credited_issue_date: dt.date | None = None
    reason: str | None = None
    payment_terms: str | None = None
    is_trial: bool = False
    paid_ore: int = 0
    avtalegiro: bool = False  # the amount is debited by the buyer's AvtaleGiro mandate

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    @property
    def sign(self) -> int:
        """+1 on an invoice, −1 on a credit note: the factor that shows amounts as credited."""
        return -1 if self.is_credit_note else 1

    @property
    def notes(self) -> list[str]:
        """Free texts on the document: the trial marking (R-TRIAL-1), a credit note's reason."""
        notes = []
        if self.is_trial:
            notes.append("Produsert i prøveperiode")
        if self.is_credit_note and self.reason:
            notes.append(f"Årsak: {self.reason}")
        if self.avtalegiro and not self.is_credit_note:
            notes.append("Trekkes via AvtaleGiro på forfallsdato")
        return notes

    @property
    def ehf_possible(self) -> bool:
        """EHF reaches a buyer by its Peppol id (its organisation number by default)."""
        return bool(self.buyer.peppol_id or self.buyer.organisation_number)

    @property
    def groups(self) -> list[VatGroup]:
        return vat_groups((line.vat_category, line.vat_percent, line.amount_ore)
                          for line in self.lines)
