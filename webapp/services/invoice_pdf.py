"""The invoice as a PDF (Norwegian content: seller with MVA, buyer, number, KID, periods)."""
from __future__ import annotations

from flask import current_app
from fpdf import FPDF

from ..domain.money import format_nok
from ..models import Invoice


def _text(value) -> str:
    """The PDF core fonts speak Latin-1: keep æøå, replace the rest."""
    text = str(value if value is not None else "")
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    return text.encode("latin-1", "replace").decode("latin-1")


def _date(day) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def render_invoice_pdf(invoice: Invoice) -> bytes:
    config = current_app.config
    seller = invoice.seller
    credit = invoice.kind == "credit_note"
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_title(_text(f"{'Kreditnota' if credit else 'Faktura'} {invoice.number}"))
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _text("KREDITNOTA" if credit else "FAKTURA"), new_x="LMARGIN", new_y="NEXT")
    if invoice.is_trial:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 6, _text("Produsert i prøveperiode"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.ln(2)
    top = pdf.get_y()
    seller_lines = [seller.name, seller.address_line,
                    f"{seller.postal_code or ''} {seller.city or ''}".strip(),
                    f"Org.nr. {seller.organisation_number} MVA", f"Konto {config['VENDOR_BANK_ACCOUNT']}"
                    if seller.kind == "vendor" else ""]
    for line in filter(None, seller_lines):
        pdf.cell(90, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(110, top)
    facts = [("Fakturanummer", invoice.number), ("Fakturadato", _date(invoice.invoice_date)),
             ("Forfallsdato", _date(invoice.due_date)), ("KID", invoice.kid)]
    if invoice.customer_number:
        facts.append(("Kundenummer", invoice.customer_number))
    if credit and invoice.reason:
        facts.append(("Årsak", invoice.reason))
    for label, value in facts:
        pdf.set_x(110)
        pdf.cell(35, 5, _text(label))
        pdf.cell(0, 5, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 5, _text("Til"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    buyer = [invoice.buyer_name, invoice.buyer_address_line,
             f"{invoice.buyer_postal_code or ''} {invoice.buyer_city or ''}".strip(),
             f"Org.nr. {invoice.buyer_organisation_number}"
             if invoice.buyer_organisation_number else ""]
    for line in filter(None, buyer):
        pdf.cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    widths = (78, 42, 14, 26, 30)
    pdf.set_font("Helvetica", "B", 9)
    for width, title in zip(widths, ("Beskrivelse", "Periode", "Antall", "Pris/mnd",
                                     "Beløp")):
        pdf.cell(width, 6, _text(title), border="B", align="L" if width > 30 else "R")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for line in invoice.lines:
        period = f"{_date(line.period_start)}-{_date(line.period_end)}"
        cells = (line.description[:48], period, str(line.quantity),
                 format_nok(line.unit_ore), format_nok(line.amount_ore))
        for width, value in zip(widths, cells):
            pdf.cell(width, 6, _text(value), align="L" if width > 30 else "R")
        pdf.ln()
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 10)
    for label, amount, bold in (("Sum eks. mva.", invoice.net_ore, False),
                                ("Mva. 25 %", invoice.vat_ore, False),
                                ("Å betale" if not credit else "Kreditert", invoice.total_ore,
                                 True)):
        pdf.set_font("Helvetica", "B" if bold else "", 10)
        pdf.cell(sum(widths[:-1]), 6, _text(label), align="R")
        pdf.cell(widths[-1], 6, _text(format_nok(amount)), align="R", new_x="LMARGIN",
                 new_y="NEXT")
    if not credit:
        pdf.ln(6)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, _text(
            f"Betal {format_nok(invoice.total_ore)} til konto "
            f"{config['VENDOR_BANK_ACCOUNT']} med KID {invoice.kid} innen "
            f"{_date(invoice.due_date)}."))
    return bytes(pdf.output())
