"""EHF Billing 3.0 (Peppol BIS Billing 3.0, UBL 2.1 Invoice and CreditNote) from an invoice
document (R-DOC-2), and the one place an EHF leaves Kvitt.

Lines whose amount runs against the document (the interval discount on an invoice) are written
as lines with a negative quantity at a positive price, as the standard allows; a line's price is
its amount divided by its quantity, so quantity × price gives the line amount (PEPPOL-EN16931-R120)
also for a part of a month priced by its days.
"""
from __future__ import annotations

import base64
from decimal import Decimal

from lxml import etree

from ..domain.documents import OUTSIDE, Document, Party
from ..domain.formats import format_day
from ..models import Invoice
from .invoice_pdf import render_invoice_pdf
from .invoicing import document_of

UBL = {
    "invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "credit_note": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CURRENCY = "NOK"
CREDIT_TRANSFER = "30"
ORGANISATION_SCHEME = "0192"  # Norwegian organisation number (Enhetsregisteret)


def _money(ore: int) -> str:
    return str(Decimal(ore).scaleb(-2).quantize(Decimal("0.01")))


def _price(amount_ore: int, quantity: int) -> str:
    """The unit price that gives the line amount: to the øre when it divides evenly, else to
    8 decimals (within a hundredth of an øre for any quantity Kvitt allows)."""
    price = Decimal(abs(amount_ore)) / abs(quantity) / 100
    even = price.quantize(Decimal("0.01"))
    return str(even if even == price else price.quantize(Decimal("0.00000001")))


class _Writer:
    def __init__(self, root):
        self.root = root

    def cbc(self, parent, name: str, value, **attributes):
        if value is None or value == "":
            return None
        element = etree.SubElement(parent, f"{{{CBC}}}{name}", **attributes)
        element.text = str(value)
        return element

    def cac(self, parent, name: str):
        return etree.SubElement(parent, f"{{{CAC}}}{name}")


def _endpoint(party: Party) -> tuple[str, str]:
    """(scheme, id) of a party's electronic address: its Peppol id, else its organisation
    number (Peppol knows no e-mail address scheme)."""
    if party.peppol_id and ":" in party.peppol_id:
        scheme, _, identifier = party.peppol_id.partition(":")
        return scheme, identifier
    return ORGANISATION_SCHEME, party.organisation_number or ""


def _party(w: _Writer, parent, party: Party, seller: bool, vat_ids: bool) -> None:
    node = w.cac(parent, "Party")
    scheme, identifier = _endpoint(party)
    w.cbc(node, "EndpointID", identifier, schemeID=scheme)
    if not seller and party.organisation_number:
        identification = w.cac(node, "PartyIdentification")
        w.cbc(identification, "ID", party.organisation_number, schemeID=ORGANISATION_SCHEME)
    w.cbc(w.cac(node, "PartyName"), "Name", party.name)
    address = w.cac(node, "PostalAddress")
    w.cbc(address, "StreetName", party.address_line)
    w.cbc(address, "CityName", party.city)
    w.cbc(address, "PostalZone", party.postal_code)
    w.cbc(w.cac(address, "Country"), "IdentificationCode", party.country)
    if vat_ids and party.vat_number:
        scheme_node = w.cac(node, "PartyTaxScheme")
        w.cbc(scheme_node, "CompanyID", party.vat_number)
        w.cbc(w.cac(scheme_node, "TaxScheme"), "ID", "VAT")
    if seller and party.business_register:
        scheme_node = w.cac(node, "PartyTaxScheme")
        w.cbc(scheme_node, "CompanyID", "Foretaksregisteret")
        w.cbc(w.cac(scheme_node, "TaxScheme"), "ID", "TAX")
    legal = w.cac(node, "PartyLegalEntity")
    w.cbc(legal, "RegistrationName", party.name)
    if party.organisation_number:
        w.cbc(legal, "CompanyID", party.organisation_number, schemeID=ORGANISATION_SCHEME)
    if party.email:
        w.cbc(w.cac(node, "Contact"), "ElectronicMail", party.email)


def _tax_category(w: _Writer, parent, name: str, category: str, percent: int,
                  reason: str | None = None) -> None:
    node = w.cac(parent, name)
    w.cbc(node, "ID", category)
    if category != OUTSIDE:
        w.cbc(node, "Percent", percent)
    if reason:
        w.cbc(node, "TaxExemptionReason", reason)
    w.cbc(w.cac(node, "TaxScheme"), "ID", "VAT")


def render_ehf(document: Document, pdf: bytes | None = None) -> bytes:
    """The document as EHF Billing 3.0 XML (UTF-8), with the PDF embedded when given."""
    if not document.ehf_possible:
        raise ValueError("EHF needs the buyer's organisation number or Peppol id")
    credit = document.is_credit_note
    sign = document.sign
    root = etree.Element(f"{{{UBL[document.kind]}}}{'CreditNote' if credit else 'Invoice'}",
                         nsmap={None: UBL[document.kind], "cac": CAC, "cbc": CBC})
    w = _Writer(root)
    w.cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    w.cbc(root, "ProfileID", PROFILE_ID)
    w.cbc(root, "ID", document.number)
    w.cbc(root, "IssueDate", document.issue_date.isoformat())
    if not credit:
        w.cbc(root, "DueDate", document.due_date.isoformat())
    w.cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", 381 if credit else 380)
    # PEPPOL-EN16931-R002: one note at most.
    w.cbc(root, "Note", " – ".join(document.notes))
    w.cbc(root, "DocumentCurrencyCode", CURRENCY)
    # PEPPOL-EN16931-R003: a buyer reference or an order reference; the customer number
    # serves when the buyer gave neither.
    w.cbc(root, "BuyerReference", document.buyer_reference
          or (None if document.order_reference else
              document.customer_number or document.buyer.organisation_number
              or str(document.number)))
    if document.period_start and document.period_end:
        period = w.cac(root, "InvoicePeriod")
        w.cbc(period, "StartDate", document.period_start.isoformat())
        w.cbc(period, "EndDate", document.period_end.isoformat())
    if document.order_reference:
        w.cbc(w.cac(root, "OrderReference"), "ID", document.order_reference)
    if credit and document.credited_number:
        reference = w.cac(w.cac(root, "BillingReference"), "InvoiceDocumentReference")
        w.cbc(reference, "ID", document.credited_number)
        if document.credited_issue_date:
            w.cbc(reference, "IssueDate", document.credited_issue_date.isoformat())
    if pdf is not None:
        name = f"{'kreditnota' if credit else 'faktura'}-{document.number}.pdf"
        attachment_ref = w.cac(root, "AdditionalDocumentReference")
        w.cbc(attachment_ref, "ID", name)
        w.cbc(attachment_ref, "DocumentDescription",
              "Kreditnota" if credit else "Faktura")
        w.cbc(w.cac(attachment_ref, "Attachment"), "EmbeddedDocumentBinaryObject",
              base64.b64encode(pdf).decode("ascii"), mimeCode="application/pdf",
              filename=name)
    outside = any(group.category == OUTSIDE for group in document.groups)
    _party(w, w.cac(root, "AccountingSupplierParty"), document.seller, True, not outside)
    _party(w, w.cac(root, "AccountingCustomerParty"), document.buyer, False, not outside)
    if not credit and document.seller.bank_account:
        means = w.cac(root, "PaymentMeans")
        w.cbc(means, "PaymentMeansCode", CREDIT_TRANSFER)
        w.cbc(means, "PaymentID", document.kid)
        account = w.cac(means, "PayeeFinancialAccount")
        w.cbc(account, "ID", document.seller.bank_account)
        w.cbc(account, "Name", document.seller.name)
    if document.payment_terms or not credit:
        w.cbc(w.cac(root, "PaymentTerms"), "Note", document.payment_terms or
              f"Forfall {format_day(document.due_date, 'nb')}")
    tax_total = w.cac(root, "TaxTotal")
    w.cbc(tax_total, "TaxAmount", _money(sign * document.vat_ore), currencyID=CURRENCY)
    for group in document.groups:
        subtotal = w.cac(tax_total, "TaxSubtotal")
        w.cbc(subtotal, "TaxableAmount", _money(sign * group.basis_ore), currencyID=CURRENCY)
        w.cbc(subtotal, "TaxAmount", _money(sign * group.vat_ore), currencyID=CURRENCY)
        _tax_category(w, subtotal, "TaxCategory", group.category, group.percent,
                      group.exemption_reason)
    totals = w.cac(root, "LegalMonetaryTotal")
    net, total = sign * document.net_ore, sign * document.total_ore
    w.cbc(totals, "LineExtensionAmount", _money(net), currencyID=CURRENCY)
    w.cbc(totals, "TaxExclusiveAmount", _money(net), currencyID=CURRENCY)
    w.cbc(totals, "TaxInclusiveAmount", _money(total), currencyID=CURRENCY)
    paid = 0 if credit else min(document.paid_ore, document.total_ore)
    if paid:
        w.cbc(totals, "PrepaidAmount", _money(paid), currencyID=CURRENCY)
    w.cbc(totals, "PayableAmount", _money(total - paid), currencyID=CURRENCY)
    for line in document.lines:
        amount = sign * line.amount_ore
        quantity = line.quantity if amount >= 0 else -line.quantity
        node = w.cac(root, "CreditNoteLine" if credit else "InvoiceLine")
        w.cbc(node, "ID", line.position)
        w.cbc(node, "CreditedQuantity" if credit else "InvoicedQuantity", quantity,
              unitCode="EA")
        w.cbc(node, "LineExtensionAmount", _money(amount), currencyID=CURRENCY)
        period = w.cac(node, "InvoicePeriod")
        w.cbc(period, "StartDate", line.period_start.isoformat())
        w.cbc(period, "EndDate", line.period_end.isoformat())
        item = w.cac(node, "Item")
        w.cbc(item, "Name", line.description[:100] or "-")
        _tax_category(w, item, "ClassifiedTaxCategory", line.vat_category, line.vat_percent)
        price = w.cac(node, "Price")
        w.cbc(price, "PriceAmount", _price(amount, quantity) if quantity else "0.00",
              currencyID=CURRENCY)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def ehf_filename(document: Document) -> str:
    return f"{'kreditnota' if document.is_credit_note else 'faktura'}-{document.number}.xml"


def send_ehf(document: Document, xml: bytes, message) -> None:
    """Deliver an EHF: today attached to the invoice e-mail; a Peppol access point plugs in
    here (the buyer's Peppol id is on the document)."""
    message.add_attachment(xml, maintype="application", subtype="xml",
                           filename=ehf_filename(document))


def invoice_files(invoice: Invoice) -> tuple[Document, bytes, bytes | None]:
    """The document, its PDF and its EHF with the PDF embedded (None when the buyer cannot
    receive EHF: no organisation number or Peppol id)."""
    document = document_of(invoice)
    pdf = render_invoice_pdf(document)
    return document, pdf, render_ehf(document, pdf) if document.ehf_possible else None
