"""The invoice document as a PDF a Norwegian accountant accepts: the seller's own identity with
account and KID, wrapped line texts, headers repeated on every page, VAT per rate, "Kreditnota"
for credit notes, trial marking. Set in DejaVu Sans (a Unicode TrueType font shipped with Kvitt)."""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from stdnum.no import kontonr

from ..domain.documents import Document, Party
from ..domain.money import format_nok

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DejaVu"
CATEGORY_TEXT = {"S": "", "Z": " (fritatt)", "E": " (unntatt)", "O": " (utenfor mva-loven)"}


def _date(day) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def seller_lines(seller: Party) -> list[str]:
    """The seller block: name, address, organisation number (+ MVA), Foretaksregisteret."""
    lines = [seller.name, seller.address_line or "",
             f"{seller.postal_code or ''} {seller.city or ''}".strip()]
    if seller.organisation_number:
        number = " ".join((seller.organisation_number[:3], seller.organisation_number[3:6],
                           seller.organisation_number[6:]))
        lines.append(f"Org.nr. {number}{' MVA' if seller.vat_registered else ''}")
    if seller.business_register:
        lines.append("Foretaksregisteret")
    if seller.email:
        lines.append(seller.email)
    return [line for line in lines if line]


def account_text(seller: Party) -> str:
    return kontonr.format(seller.bank_account) if seller.bank_account else ""


def vat_label(category: str, percent: int) -> str:
    return f"Mva. {percent} %{CATEGORY_TEXT.get(category, '')}"


class _Pdf(FPDF):
    def __init__(self, title: str):
        super().__init__(format="A4")
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.document_title = title

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"{self.document_title} – side {self.page_no()}/{{nb}}", align="R")


def render_invoice_pdf(document: Document) -> bytes:
    credit = document.is_credit_note
    sign = document.sign
    title = f"{'Kreditnota' if credit else 'Faktura'} {document.number}"
    pdf = _Pdf(title)
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 10, "KREDITNOTA" if credit else "FAKTURA", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 10)
    for note in document.notes:
        pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.ln(2)
    top = pdf.get_y()
    for line in seller_lines(document.seller):
        pdf.multi_cell(90, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    seller_bottom = pdf.get_y()
    facts = [("Kreditnotanummer" if credit else "Fakturanummer", str(document.number)),
             ("Dato" if credit else "Fakturadato", _date(document.issue_date))]
    if credit and document.credited_number:
        facts.append(("Krediterer faktura", str(document.credited_number)))
    if not credit:
        facts += [("Forfallsdato", _date(document.due_date)), ("KID", document.kid or ""),
                  ("Kontonummer", account_text(document.seller))]
    if document.customer_number:
        facts.append(("Kundenummer", document.customer_number))
    if document.buyer_reference:
        facts.append(("Deres referanse", document.buyer_reference))
    if document.order_reference:
        facts.append(("Bestillingsnummer", document.order_reference))
    pdf.set_y(top)
    for label, value in facts:
        pdf.set_x(110)
        pdf.cell(35, 4.5, label)
        pdf.multi_cell(0, 4.5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), seller_bottom) + 5)
    pdf.set_font(FONT, "B", 9)
    pdf.cell(0, 5, "Til", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    buyer = document.buyer
    for line in filter(None, [buyer.name, buyer.address_line,
                              f"{buyer.postal_code or ''} {buyer.city or ''}".strip(),
                              f"Org.nr. {buyer.organisation_number}"
                              if buyer.organisation_number else ""]):
        pdf.multi_cell(100, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    if credit and document.reason:
        pdf.ln(2)
        pdf.multi_cell(0, 4.5, f"Årsak: {document.reason}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    rate_column = len({(line.vat_category, line.vat_percent) for line in document.lines}) > 1
    headings = ["Beskrivelse", "Periode", "Antall", "Pris", "Mva.", "Beløp"] if rate_column \
        else ["Beskrivelse", "Periode", "Antall", "Pris", "Beløp"]
    widths = (70, 38, 14, 24, 14, 30) if rate_column else (80, 40, 14, 26, 30)
    with pdf.table(col_widths=widths, text_align=["LEFT", "LEFT"] + ["RIGHT"] * (len(widths) - 2),
                   borders_layout="HORIZONTAL_LINES", line_height=4.5, repeat_headings=1,
                   headings_style=FontFace(emphasis="BOLD"), padding=(1, 1)) as table:
        table.row(headings)
        for line in document.lines:
            cells = [line.description,
                     f"{_date(line.period_start)}–{_date(line.period_end)}",
                     str(line.quantity), format_nok(sign * line.unit_ore)]
            if rate_column:
                cells.append(f"{line.vat_percent} %")
            cells.append(format_nok(sign * line.amount_ore))
            table.row(cells)
    pdf.ln(3)
    rows = [("Sum eks. mva.", sign * document.net_ore, False)]
    rows += [(f"{vat_label(g.category, g.percent)} av {format_nok(sign * g.basis_ore)}",
              sign * g.vat_ore, False) for g in document.groups]
    rows.append(("Kreditert" if credit else "Å betale", sign * document.total_ore, True))
    for label, amount, bold in rows:
        pdf.set_font(FONT, "B" if bold else "", 9)
        pdf.cell(sum(widths[:-1]), 5, label, align="R")
        pdf.cell(widths[-1], 5, format_nok(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.set_font(FONT, "", 9)
    if not credit:
        pdf.multi_cell(0, 4.5, (
            f"Betal {format_nok(document.total_ore)} til konto {account_text(document.seller)} "
            f"med KID {document.kid} innen {_date(document.due_date)}."),
            new_x="LMARGIN", new_y="NEXT")
    if document.payment_terms:
        pdf.multi_cell(0, 4.5, document.payment_terms, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
