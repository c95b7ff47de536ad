"""The invoice document as a PDF a Norwegian accountant accepts: the seller's own identity with
account and KID, wrapped line texts, headers repeated on every page, VAT per rate, "Kreditnota"
for credit notes, trial marking. Set in Helvetica, or in DejaVu Sans (a Unicode TrueType font
shipped with Kvitt) when a text needs characters beyond Windows-1252."""
from __future__ import annotations

from pathlib import Path
from typing import cast

from fpdf import FPDF
from fpdf.errors import FPDFUnicodeEncodingException
from stdnum.no import kontonr

from ..domain.documents import Document, Party
from ..domain.formats import format_day
from ..domain.money import format_nok

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DejaVu"
CORE_FONT = "helvetica"
CATEGORY_TEXT = {"S": "", "Z": " (fritatt)", "E": " (unntatt)", "O": " (utenfor mva-loven)"}


def _date(day) -> str:
    return format_day(day, "nb") if day else ""  # the document is in bokmål


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
    def __init__(self, title: str, unicode: bool):
        super().__init__(format="A4")
        self.family = FONT if unicode else CORE_FONT
        self.core_fonts_encoding = "windows-1252"  # the standard fonts' WinAnsiEncoding
        if unicode:
            self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
            self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.document_title = title
        self.table_headings: list[str] = []  # repeated at the top of a new page

    def footer(self):
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, f"{self.document_title} – side {self.page_no()}/{{nb}}", align="R")


LINE = 4.5
PAD = 1.0


def _row(pdf: _Pdf, cells: list[str], widths, aligns, bold: bool = False) -> None:
    """One table row: wrapped cells, a rule below, the headings again on a new page."""
    pdf.set_font(pdf.family, "B" if bold else "", 9)
    inner = [width - 2 * PAD for width in widths]
    heights = [cast(float, pdf.multi_cell(room, LINE, text, dry_run=True, output="HEIGHT"))
               if pdf.get_string_width(text) > room else LINE
               for text, room in zip(cells, inner, strict=True)]
    height = max(heights) + 2 * PAD
    if not bold and pdf.will_page_break(height):
        pdf.add_page()
        _row(pdf, pdf.table_headings, widths, aligns, bold=True)
        pdf.set_font(pdf.family, "", 9)
    top, x = pdf.get_y(), pdf.l_margin
    for text, width, room, align, cell_height in zip(cells, widths, inner, aligns, heights,
                                                     strict=True):
        pdf.set_xy(x + PAD, top + PAD)
        if cell_height > LINE:
            pdf.multi_cell(room, LINE, text, align=align)
        else:
            pdf.cell(room, LINE, text, align=align)
        x += width
    pdf.set_y(top + height)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + sum(widths), pdf.get_y())


def _line(pdf: _Pdf, width: float, text: str) -> None:
    """A text at the left margin (or at x) that wraps only when it must; then the next line."""
    room = width or pdf.w - pdf.r_margin - pdf.get_x()
    if pdf.get_string_width(text) <= room - 2 * pdf.c_margin:
        pdf.cell(room, LINE, text, new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(room, LINE, text, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: _Pdf, headings: list[str], rows: list[list[str]], widths, aligns) -> None:
    pdf.table_headings = headings
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + sum(widths), pdf.get_y())
    _row(pdf, headings, widths, aligns, bold=True)
    for cells in rows:
        _row(pdf, cells, widths, aligns)
    pdf.set_x(pdf.l_margin)


def render_invoice_pdf(document: Document) -> bytes:
    """Helvetica (a PDF standard font, nothing embedded: a few milliseconds) when every text
    is in its Windows-1252 range, as Norwegian and most European text is; DejaVu Sans, embedded
    and subset (ten times the work), when a text needs more."""
    try:
        return _render(document, unicode=False)
    except FPDFUnicodeEncodingException:
        return _render(document, unicode=True)


def _render(document: Document, unicode: bool) -> bytes:
    credit = document.is_credit_note
    sign = document.sign
    title = f"{'Kreditnota' if credit else 'Faktura'} {document.number}"
    pdf = _Pdf(title, unicode)
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 18)
    pdf.cell(0, 10, "KREDITNOTA" if credit else "FAKTURA", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "B", 10)
    for note in document.notes:
        pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 9)
    pdf.ln(2)
    top = pdf.get_y()
    for line in seller_lines(document.seller):
        _line(pdf, 90, line)
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
        _line(pdf, 0, value)
    pdf.set_y(max(pdf.get_y(), seller_bottom) + 5)
    pdf.set_font(pdf.family, "B", 9)
    pdf.cell(0, 5, "Til", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 9)
    buyer = document.buyer
    for line in filter(None, [buyer.name, buyer.address_line,
                              f"{buyer.postal_code or ''} {buyer.city or ''}".strip(),
                              f"Org.nr. {buyer.organisation_number}"
                              if buyer.organisation_number else ""]):
        _line(pdf, 100, line)
    if credit and document.reason:
        pdf.ln(2)
        pdf.multi_cell(0, 4.5, f"Årsak: {document.reason}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    rate_column = len({(line.vat_category, line.vat_percent) for line in document.lines}) > 1
    headings = ["Beskrivelse", "Periode", "Antall", "Pris", "Mva.", "Beløp"] if rate_column \
        else ["Beskrivelse", "Periode", "Antall", "Pris", "Beløp"]
    widths = (70, 38, 14, 24, 14, 30) if rate_column else (80, 40, 14, 26, 30)
    aligns = ["L", "L"] + ["R"] * (len(widths) - 2)
    rows_of_cells = []
    for item in document.lines:
        cells = [item.description, f"{_date(item.period_start)}–{_date(item.period_end)}",
                 str(item.quantity), format_nok(sign * item.unit_ore)]
        if rate_column:
            cells.append(f"{item.vat_percent} %")
        cells.append(format_nok(sign * item.amount_ore))
        rows_of_cells.append(cells)
    _table(pdf, headings, rows_of_cells, widths, aligns)
    pdf.ln(3)
    rows = [("Sum eks. mva.", sign * document.net_ore, False)]
    rows += [(f"{vat_label(g.category, g.percent)} av {format_nok(sign * g.basis_ore)}",
              sign * g.vat_ore, False) for g in document.groups]
    rows.append(("Kreditert" if credit else "Å betale", sign * document.total_ore, True))
    for label, amount, bold in rows:
        pdf.set_font(pdf.family, "B" if bold else "", 9)
        pdf.cell(sum(widths[:-1]), 5, label, align="R")
        pdf.cell(widths[-1], 5, format_nok(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.set_font(pdf.family, "", 9)
    if not credit and document.avtalegiro:
        pdf.multi_cell(0, 4.5, (
            f"{format_nok(document.total_ore)} trekkes via AvtaleGiro fra din konto "
            f"{_date(document.due_date)}. Du trenger ikke betale selv."),
            new_x="LMARGIN", new_y="NEXT")
    elif not credit:
        pdf.multi_cell(0, 4.5, (
            f"Betal {format_nok(document.total_ore)} til konto {account_text(document.seller)} "
            f"med KID {document.kid} innen {_date(document.due_date)}."),
            new_x="LMARGIN", new_y="NEXT")
    if document.payment_terms:
        pdf.multi_cell(0, 4.5, document.payment_terms, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
