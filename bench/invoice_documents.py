"""Benchmark: rendering an invoice document as PDF and as EHF, and validating an EHF.

Issues three typical documents in a fresh SQLite database (a licence invoice with a part month
and the interval discount, a sales invoice with five VAT groups, a partial credit note), then
prints, per document kind, the median of N renderings (default 1 000) of the PDF and of the EHF
(with the PDF embedded, the PDF made beforehand), each beside its ceiling measured in the same
run: for the EHF, lxml parsing and serialising the same XML (no building at all); for the PDF,
an fpdf2 page with the same two fonts and no content. Then the official rules' validation per
document (median of 20). Targets: EHF <= 2 ms, PDF <= 5 ms per invoice.

    .venv/bin/python bench/invoice_documents.py [--runs 1000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("KVITT_ENV", "development")  # the test clock, no production secret
sys.path.insert(0, str(ROOT))


def median_ms(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def documents():
    """Three issued documents, as the engine writes them."""
    from sqlalchemy import select

    from tests.billing_setup import active_customer, make_seller, sales_subscription
    from webapp import clock
    from webapp.extensions import db
    from webapp.models import Invoice
    from webapp.services import billing, sales
    from webapp.services.invoicing import document_of

    def at(*parts):
        clock.set_test_clock(dt.datetime(*parts, tzinfo=clock.OSLO))
        db.session.commit()

    at(2026, 1, 5, 9, 0)
    licence = active_customer(dt.date(2026, 1, 20), "annual", quantity=8, users=8)
    make_seller(licence.agreement.companies[0])
    seller = active_customer(dt.date(2026, 1, 5), name="Fjellbakst AS").agreement.companies[0]
    make_seller(seller)
    sales_subscription(seller, [
        (f"Vare {i} med en lang beskrivelse", i, 12_345 * i, rate, category)
        for i, (rate, category) in enumerate(
            [(25, "S"), (15, "S"), (12, "S"), (0, "Z"), (0, "E")], start=1)],
        dt.date(2026, 2, 10))
    at(2026, 2, 10, 9, 0)
    billing.issue_due_invoices(clock.now())
    sales.issue_subscription_invoices(clock.now())
    invoices = db.session.scalars(select(Invoice).order_by(Invoice.id)).all()
    licence_invoice = next(i for i in invoices if i.subscription_id == licence.id)
    sales_invoice = next(i for i in invoices if i.seller_company_id == seller.id)
    note = billing.credit_invoice(licence_invoice, "Feil antall", clock.now(),
                                  line_ids=[licence_invoice.lines[0].id])
    db.session.commit()
    return {"licence invoice": document_of(licence_invoice),
            "sales invoice, 5 VAT groups": document_of(sales_invoice),
            "partial credit note": document_of(note)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()

    from fpdf import FPDF
    from lxml import etree

    from tests.ehf_rules import official_rules
    from webapp import create_app
    from webapp.extensions import db
    from webapp.services.catalog import load_catalog
    from webapp.services.ehf import render_ehf
    from webapp.services.invoice_pdf import FONTS, render_invoice_pdf

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                          "TEST_CLOCK_ALLOWED": True})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            load_catalog()
            db.session.commit()
            found = documents()

    def empty_pdf():
        pdf = FPDF()
        pdf.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
        pdf.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
        pdf.add_page()
        pdf.set_font("DejaVu", "", 9)
        return bytes(pdf.output())

    pdf_ceiling = median_ms(empty_pdf, args.runs)
    rules = official_rules()
    print(f"runs per figure: {args.runs} (median); validation: 20 (median)")
    print(f"{'document':32} {'lines':>5} {'EHF ms':>8} {'ceiling':>8} {'PDF ms':>8} "
          f"{'ceiling':>8} {'validate ms':>12} {'fatal':>6}")
    for name, document in found.items():
        pdf = render_invoice_pdf(document)
        xml = render_ehf(document, pdf)
        ehf_ms = median_ms(lambda d=document, p=pdf: render_ehf(d, p), args.runs)
        ehf_ceiling = median_ms(lambda x=xml: etree.tostring(etree.fromstring(x)), args.runs)
        pdf_ms = median_ms(lambda d=document: render_invoice_pdf(d), args.runs)
        validate_ms = median_ms(lambda x=xml: rules.check(x), 20)
        fatal = len(rules.fatal(xml))
        print(f"{name:32} {len(document.lines):>5} {ehf_ms:>8.2f} {ehf_ceiling:>8.2f} "
              f"{pdf_ms:>8.2f} {pdf_ceiling:>8.2f} {validate_ms:>12.1f} {fatal:>6}")
    print("targets: EHF <= 2 ms, PDF <= 5 ms per invoice")


if __name__ == "__main__":
    main()
